package mesh

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

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
				if diff := cmp.Diff(want, resultJSON(t, ResolveShared)(v.snap)); diff != "" {
					t.Errorf("%s, %s, pass %d: ResolveShared differs from Resolve (-want +got):\n%s", name, v.name, i, diff)
				}
			}
		}
	}
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
