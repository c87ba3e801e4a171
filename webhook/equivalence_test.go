package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/synth"
	"github.com/tilsyn/tilsyn/profile"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func testEngine(t testing.TB) (*evaluate.Engine, *profile.Profile) {
	t.Helper()
	p, js, err := profile.Load(profile.Default)
	if err != nil {
		t.Fatal(err)
	}
	e, err := evaluate.New(context.Background(), evaluate.Options{Profile: p, ProfileJSON: js})
	if err != nil {
		t.Fatal(err)
	}
	return e, p
}

func loadExample(t testing.TB, name string) *collect.Snapshot {
	t.Helper()
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{filepath.Join("..", "testdata", "examples", name)}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// without returns a copy of a snapshot without one object (and with
// another in its place when repl is not nil).
func without(s *collect.Snapshot, key string, i int, repl collect.Object) *collect.Snapshot {
	out := *s
	out.Resources = map[string][]collect.Object{}
	for k, l := range s.Resources {
		if k != key {
			out.Resources[k] = l
			continue
		}
		cp := append([]collect.Object{}, l[:i]...)
		if repl != nil {
			cp = append(cp, repl)
		}
		out.Resources[k] = append(cp, l[i+1:]...)
	}
	out.Sort()
	return &out
}

// audit evaluates a whole cluster.
func audit(t testing.TB, e *evaluate.Engine, s *collect.Snapshot) []evaluate.Result {
	t.Helper()
	r, err := e.Evaluate(context.Background(), s, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return r.Controls
}

// keys lists findings, those of the controls left to the audit (AuditOnly)
// aside.
func keys(fs []Introduced) []string {
	out := []string{}
	for _, f := range fs {
		if AuditOnly(f.Control) {
			continue
		}
		v, _ := json.Marshal(f.Value)
		out = append(out, fmt.Sprintf("%s %s %s/%s %s=%s", f.Control.ID, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Field, v))
	}
	sort.Strings(out)
	return out
}

func newTestJudge(t testing.TB, e *evaluate.Engine, p *profile.Profile, s *collect.Snapshot) *Judge {
	t.Helper()
	j, err := NewJudge(context.Background(), e, p, FromSnapshot(s), JudgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	j.now = func() time.Time { return testNow }
	return j
}

// checkCreate judges the creation of every object of a cluster into the
// cluster without it, and compares with the full audits of the cluster
// without and with it: what the webhook reports for an object is exactly
// what the audit attributes to the object's presence.
func checkCreate(t *testing.T, e *evaluate.Engine, p *profile.Profile, s *collect.Snapshot, every int) {
	full := audit(t, e, s)
	n := 0
	var st stats
	defer st.log(t)
	for _, rt := range collect.Registry {
		for i, o := range s.Resources[rt.Key] {
			n++
			if n%every != 0 {
				continue
			}
			m := collect.Meta(o)
			name := fmt.Sprintf("create %s %s/%s", rt.Kind, m.Namespace, m.Name)
			rest := without(s, rt.Key, i, nil)
			j := newTestJudge(t, e, p, rest)
			v, err := j.Judge(context.Background(), rt, nil, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := keys(introduced(audit(t, e, rest), full))
			st.add(v, want)
			if diff := cmp.Diff(want, keys(v.Findings)); diff != "" {
				t.Errorf("%s (global %v, %d objects): webhook and audit disagree (-audit +webhook):\n%s", name, v.Global, v.Objects, diff)
			}
		}
	}
}

// checkUpdate judges changes to every object of a cluster and compares
// with the audits of the cluster before and after.
func checkUpdate(t *testing.T, e *evaluate.Engine, p *profile.Profile, s *collect.Snapshot, every int) {
	j := newTestJudge(t, e, p, s)
	full := audit(t, e, s)
	n := 0
	var st stats
	defer st.log(t)
	for _, rt := range collect.Registry {
		for i, o := range s.Resources[rt.Key] {
			for k, mutated := range mutations(rt, o) {
				n++
				if n%every != 0 {
					continue
				}
				m := collect.Meta(o)
				name := fmt.Sprintf("update %s %s/%s (%s)", rt.Kind, m.Namespace, m.Name, k)
				v, err := j.Judge(context.Background(), rt, o, mutated)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want := keys(introduced(full, audit(t, e, without(s, rt.Key, i, mutated))))
				st.add(v, want)
				if diff := cmp.Diff(want, keys(v.Findings)); diff != "" {
					t.Errorf("%s (global %v, %d objects): webhook and audit disagree (-audit +webhook):\n%s", name, v.Global, v.Objects, diff)
				}
			}
		}
	}
}

// TestEquivalence proves the neighbourhoods on the sample clusters (and
// two of overlapping PeerAuthentications and host patterns): for
// every object, what the webhook finds a create or an update introduces is
// exactly what two full audits (the cluster before and after) differ by.
func TestEquivalence(t *testing.T) {
	e, p := testEngine(t)
	for _, name := range []string{"nordic-fintech", "compliant"} {
		s := loadExample(t, name)
		t.Run(name+"/create", func(t *testing.T) { checkCreate(t, e, p, s, 1) })
		t.Run(name+"/update", func(t *testing.T) { checkUpdate(t, e, p, s, 1) })
	}
	for _, name := range []string{"peerauth", "wildcards"} {
		t.Run(name, func(t *testing.T) {
			s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{filepath.Join("testdata", name)}, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			t.Run("create", func(t *testing.T) { checkCreate(t, e, p, s, 1) })
			t.Run("update", func(t *testing.T) { checkUpdate(t, e, p, s, 1) })
		})
	}
	t.Run("synthetic", func(t *testing.T) {
		s := synthCluster(t, synth.Config{Namespaces: 12, Controllers: 40, Pods: 120, PersistentVolumes: 10,
			PeerAuthentications: 24, DestinationRules: 24, ServiceEntries: 8, Seed: 7})
		every := 2
		if testing.Short() {
			every = 11
		}
		t.Run("create", func(t *testing.T) { checkCreate(t, e, p, s, every) })
		t.Run("update", func(t *testing.T) { checkUpdate(t, e, p, s, every) })
	})
}

func synthCluster(t testing.TB, c synth.Config) *collect.Snapshot {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.WriteDir(dir, c); err != nil {
		t.Fatal(err)
	}
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mutations returns changed copies of an object that touch what the
// controls judge: labels and annotations, mTLS and TLS modes, hosts,
// selectors, injection.
func mutations(t collect.ResourceType, o collect.Object) map[string]collect.Object {
	out := map[string]collect.Object{}
	mut := func(name string, f func(o collect.Object)) {
		c := deepCopy(o)
		f(c)
		out[name] = c
	}
	mut("no labels", func(c collect.Object) { delete(collect.Map(c, "metadata"), "labels") })
	if path, ok := templatePaths[t.Key]; ok || t.Key == collect.Pods {
		tpl := c2(path)
		mut("inject false", func(c collect.Object) {
			setPath(c, append(tpl, "metadata", "labels", "sidecar.istio.io/inject"), "false")
		})
		mut("exclude ports", func(c collect.Object) {
			setPath(c, append(tpl, "metadata", "annotations", "traffic.sidecar.istio.io/excludeInboundPorts"), "8080")
		})
		mut("host network", func(c collect.Object) { setPath(c, append(tpl, "spec", "hostNetwork"), true) })
		mut("app label", func(c collect.Object) {
			setPath(c, append(tpl, "metadata", "labels", "app"), "renamed")
		})
	}
	switch t.Key {
	case collect.Namespaces:
		mut("personal data", func(c collect.Object) {
			setPath(c, []string{"metadata", "labels", "tilsyn.io/personal-data"}, "true")
		})
		mut("injection disabled", func(c collect.Object) {
			setPath(c, []string{"metadata", "labels", "istio-injection"}, "disabled")
		})
	case collect.PeerAuthentications:
		for _, mode := range []string{"DISABLE", "PERMISSIVE", "STRICT"} {
			mut("mode "+mode, func(c collect.Object) { setPath(c, []string{"spec", "mtls", "mode"}, mode) })
		}
		mut("no selector", func(c collect.Object) { delete(collect.Map(c, "spec"), "selector") })
		mut("select version v1", func(c collect.Object) {
			setPath(c, []string{"spec", "selector"}, map[string]any{"matchLabels": map[string]any{"version": "v1"}})
		})
		mut("port 8080 disable", func(c collect.Object) {
			setPath(c, []string{"spec", "portLevelMtls", "8080", "mode"}, "DISABLE")
		})
	case collect.DestinationRules:
		mut("tls disable", func(c collect.Object) { setPath(c, []string{"spec", "trafficPolicy", "tls", "mode"}, "DISABLE") })
		mut("tls simple", func(c collect.Object) { setPath(c, []string{"spec", "trafficPolicy", "tls", "mode"}, "SIMPLE") })
		mut("host elsewhere", func(c collect.Object) { setPath(c, []string{"spec", "host"}, "api.example.com") })
	case collect.ServiceEntries:
		mut("no annotations", func(c collect.Object) { delete(collect.Map(c, "metadata"), "annotations") })
		mut("internal", func(c collect.Object) { setPath(c, []string{"spec", "location"}, "MESH_INTERNAL") })
	case collect.PersistentVolumes:
		mut("zone in London", func(c collect.Object) {
			setPath(c, []string{"spec", "nodeAffinity", "required", "nodeSelectorTerms"}, []any{map[string]any{
				"matchExpressions": []any{map[string]any{"key": "topology.kubernetes.io/zone", "operator": "In", "values": []any{"eu-west-2a"}}}}})
		})
		mut("unbound", func(c collect.Object) { delete(collect.Map(c, "spec"), "claimRef") })
	case collect.PersistentVolumeClaims:
		mut("other class", func(c collect.Object) { setPath(c, []string{"spec", "storageClassName"}, "gp3-london") })
		mut("default class", func(c collect.Object) { delete(collect.Map(c, "spec"), "storageClassName") })
	case collect.StorageClasses:
		mut("anywhere", func(c collect.Object) { delete(c, "allowedTopologies") })
	case collect.Nodes:
		mut("London", func(c collect.Object) {
			setPath(c, []string{"metadata", "labels", "topology.kubernetes.io/region"}, "eu-west-2")
			setPath(c, []string{"metadata", "labels", "topology.kubernetes.io/zone"}, "eu-west-2a")
		})
	case collect.BackupStorageLocations, collect.VolumeSnapshotLocations:
		mut("region us", func(c collect.Object) { setPath(c, []string{"spec", "config", "region"}, "us-east-1") })
		mut("insecure", func(c collect.Object) { setPath(c, []string{"spec", "config", "insecureSkipTLSVerify"}, "true") })
	case collect.NetworkPolicies:
		mut("ingress only", func(c collect.Object) { setPath(c, []string{"spec", "policyTypes"}, []any{"Ingress"}) })
	case collect.Gateways:
		mut("plain http", func(c collect.Object) {
			setPath(c, []string{"spec", "servers"}, []any{map[string]any{"port": map[string]any{"number": json.Number("80"), "name": "http", "protocol": "HTTP"}, "hosts": []any{"*"}}})
		})
	case collect.Sidecars:
		mut("allow any", func(c collect.Object) { setPath(c, []string{"spec", "outboundTrafficPolicy", "mode"}, "ALLOW_ANY") })
	case collect.Telemetries:
		mut("full sampling", func(c collect.Object) {
			setPath(c, []string{"spec", "tracing"}, []any{map[string]any{"randomSamplingPercentage": json.Number("100")}})
		})
	case collect.ConfigMaps:
		mut("data", func(c collect.Object) { setPath(c, []string{"data", "extra"}, "x") })
	case collect.Services:
		mut("no selector", func(c collect.Object) { delete(collect.Map(c, "spec"), "selector") })
		mut("select app", func(c collect.Object) { setPath(c, []string{"spec", "selector"}, map[string]any{"app": "renamed"}) })
	}
	return out
}

func c2(p []string) []string { return append([]string{}, p...) }

func setPath(o collect.Object, path []string, v any) {
	cur := o
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
}

func deepCopy(o collect.Object) collect.Object {
	data, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var out collect.Object
	if err := dec.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

// stats counts what the checks covered.
type stats struct{ checks, introducing, findings, global, unchanged int }

func (s *stats) add(v Verdict, want []string) {
	s.checks++
	if len(want) > 0 {
		s.introducing++
		s.findings += len(want)
	}
	if v.Global {
		s.global++
	}
	if v.Unchanged {
		s.unchanged++
	}
}

func (s *stats) log(t *testing.T) {
	t.Logf("%d changes judged, %d of them introducing %d findings; %d judged against the whole cluster, %d found to alter nothing the controls read",
		s.checks, s.introducing, s.findings, s.global, s.unchanged)
}
