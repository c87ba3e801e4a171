package mesh

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/synth"
)

// TestResolveShared: remembering what is decoded, and the workloads, by
// object identity changes nothing in the results, the first time or the
// next, also for snapshots that share most of their objects with one
// resolved before (as the webhook's neighbourhoods do).
func TestResolveShared(t *testing.T) {
	synthetic := t.TempDir()
	if _, err := synth.WriteDir(synthetic, synth.Scaled(0.005)); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"nordic-fintech": filepath.Join("..", "testdata", "examples", "nordic-fintech"),
		"compliant": filepath.Join("..", "testdata", "examples", "compliant"), "synthetic": synthetic} {
		s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		variants := []variant{{"as read", s}}
		if name == "synthetic" {
			variants = sharingVariants(t, s)
		}
		for _, v := range variants {
			want := resultJSON(t, Resolve)(v.snap)
			for i := 0; i < 2; i++ {
				if diff := cmp.Diff(want, resultJSON(t, sharedPassing(nil))(v.snap)); diff != "" {
					t.Errorf("%s, %s, pass %d: ResolveShared differs from Resolve (-want +got):\n%s", name, v.name, i, diff)
				}
			}
		}
	}
}

// TestResolvePassing: an object passing through (a change under review)
// is resolved as any other, and nothing is remembered by its identity, nor
// by the identity of what it holds.
func TestResolvePassing(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteDir(dir, synth.Scaled(0.005)); err != nil {
		t.Fatal(err)
	}
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveShared(s, nil); err != nil { // the cluster's own objects, remembered
		t.Fatal(err)
	}
	for _, key := range []string{collect.Pods, collect.Deployments, collect.PeerAuthentications, collect.DestinationRules, collect.Services} {
		if len(s.Resources[key]) == 0 {
			t.Fatalf("no %s in the synthetic cluster", key)
		}
		passing := copyObject(t, s.Resources[key][0])
		c := *s
		c.Resources = maps.Clone(s.Resources)
		c.Resources[key] = append([]collect.Object{passing}, s.Resources[key][1:]...)
		want := resultJSON(t, Resolve)(&c)
		if diff := cmp.Diff(want, resultJSON(t, sharedPassing(passing))(&c)); diff != "" {
			t.Errorf("%s passing: ResolveShared differs from Resolve (-want +got):\n%s", key, diff)
		}
		if held := remembered(passing); held != "" {
			t.Errorf("%s passing: %s remembered", key, held)
		}
	}
}

// remembered names the memo that holds o, or a map of o, by identity.
func remembered(o collect.Object) string {
	maps := map[unsafe.Pointer]bool{reflect.ValueOf(o).UnsafePointer(): true}
	for _, path := range [][]string{{"metadata"}, {"spec", "template", "metadata"}} {
		md := collect.Map(o, path...)
		for _, k := range []string{"labels", "annotations"} {
			if m, ok := md[k].(map[string]any); ok {
				maps[reflect.ValueOf(m).UnsafePointer()] = true
			}
		}
	}
	if spec, ok := o["spec"].(map[string]any); ok {
		maps[reflect.ValueOf(spec).UnsafePointer()] = true
	}
	for p := range maps {
		if _, ok := labelMaps.m[p]; ok {
			return "labelMaps"
		}
		if _, ok := peerAuthShared.m[p]; ok {
			return "peerAuthShared"
		}
		if _, ok := destRuleShared.m[p]; ok {
			return "destRuleShared"
		}
	}
	for name, lists := range map[string]func() [][][]collect.Object{"workloadMemo": workloadMemo.lists, "serviceMemo": serviceMemo.lists} {
		for _, entry := range lists() {
			for _, list := range entry {
				for _, x := range list {
					if maps[reflect.ValueOf(x).UnsafePointer()] {
						return name
					}
				}
			}
		}
	}
	return ""
}

// lists are the lists of every entry.
func (m *listMemo[V]) lists() [][][]collect.Object {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out [][][]collect.Object
	for _, e := range m.m {
		out = append(out, e.lists)
	}
	return out
}

func sharedPassing(passing collect.Object) func(*collect.Snapshot) (*Result, error) {
	return func(s *collect.Snapshot) (*Result, error) { return ResolveShared(s, passing) }
}

type variant struct {
	name string
	snap *collect.Snapshot
}

// sharingVariants are s and snapshots holding the same objects but for
// one change to what workloads and Services are derived from: a pod, a
// pod template (with no pods, the templates decide), the injector's
// policy, the Services' names.
func sharingVariants(t *testing.T, s *collect.Snapshot) []variant {
	t.Helper()
	with := func(from *collect.Snapshot, key string, objs []collect.Object) *collect.Snapshot {
		c := *from
		c.Resources = maps.Clone(from.Resources)
		c.Resources[key] = objs
		return &c
	}
	pods := s.Resources[collect.Pods]
	deploys := s.Resources[collect.Deployments]
	if len(pods) < 2 || len(deploys) == 0 {
		t.Fatalf("want pods and deployments, have %d and %d", len(pods), len(deploys))
	}
	// A pod without its sidecar, in place of the first.
	bare := copyObject(t, pods[0])
	spec := collect.Map(bare, "spec")
	spec["containers"] = slices.DeleteFunc(collect.List(spec, "containers"), func(c any) bool {
		return collect.Str(c.(map[string]any), "name") == "istio-proxy"
	})
	noPods := with(s, collect.Pods, nil)
	svcs := slices.Clone(s.Resources[collect.Services])
	if len(svcs) == 0 {
		t.Fatal("want Services")
	}
	for i, svc := range svcs {
		svcs[i] = copyObject(t, svc)
		md := collect.Map(svcs[i], "metadata")
		md["name"] = collect.Str(md, "name") + "-renamed"
	}
	relabelled := slices.Clone(deploys)
	for i, d := range relabelled {
		relabelled[i] = copyObject(t, d)
		collect.Map(relabelled[i], "spec", "template", "metadata")["labels"] = map[string]any{"sidecar.istio.io/inject": "false"}
	}
	disabled := collect.Object{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "istio-sidecar-injector", "namespace": "istio-system"},
		"data":     map[string]any{"config": "policy: disabled\n"}}
	return []variant{
		{"as read", s},
		{"without a pod", with(s, collect.Pods, pods[1:])},
		{"a pod without its sidecar", with(s, collect.Pods, append([]collect.Object{bare}, pods[1:]...))},
		{"no pods", noPods},
		{"Services renamed", with(s, collect.Services, svcs)},
		{"no pods, templates opting out", with(noPods, collect.Deployments, relabelled)},
		{"no pods, injection disabled", with(noPods, collect.ConfigMaps, append(slices.Clone(s.Resources[collect.ConfigMaps]), disabled))},
	}
}

func copyObject(t *testing.T, o collect.Object) collect.Object {
	t.Helper()
	js, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var out collect.Object
	if err := json.Unmarshal(js, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func resultJSON(t *testing.T, f func(*collect.Snapshot) (*Result, error)) func(*collect.Snapshot) string {
	return func(s *collect.Snapshot) string {
		t.Helper()
		r, err := f(s)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.MarshalIndent(struct {
			Workloads, Rows, PeerAuthentication, DestinationRules any
		}{r.Workloads, r.Rows, r.PeerAuthentication, r.DestinationRules}, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(js)
	}
}
