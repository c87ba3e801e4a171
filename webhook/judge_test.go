package webhook

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/profile"
)

// TestJudgeRepeats: the same change judged again in the same state gets
// the same verdict without evaluating; a change of the object's content,
// of an object around it, or of coverage is judged afresh.
func TestJudgeRepeats(t *testing.T) {
	e, p := testEngine(t)
	s := loadExample(t, "nordic-fintech")
	j := newTestJudge(t, e, p, s)
	rt, _ := collect.TypeByKey(collect.Deployments)
	if len(s.Resources[rt.Key]) == 0 {
		t.Fatal("no Deployment in the sample")
	}
	pod := s.Resources[rt.Key][0]
	obj := deepCopy(pod)
	collect.Map(obj, "metadata")["name"] = "repeated"
	judge := func(o collect.Object) Verdict {
		t.Helper()
		v, err := j.Judge(context.Background(), rt, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := judge(obj)
	if first.Repeat || len(first.Controls) == 0 {
		t.Fatalf("first judgement: repeat %v, controls %v", first.Repeat, first.Controls)
	}
	again := judge(deepCopy(obj))
	if !again.Repeat {
		t.Fatal("the same change in the same state was evaluated again")
	}
	if diff := cmp.Diff(findingsOf(first), findingsOf(again)); diff != "" {
		t.Errorf("repeated verdict differs (-first +again):\n%s", diff)
	}

	changed := deepCopy(obj)
	setPath(changed, []string{"spec", "template", "metadata", "annotations", "sidecar.istio.io/inject"}, "false")
	if judge(changed).Repeat {
		t.Error("a change of another content reused a verdict")
	}

	// An object around the change is stored anew (same content, new
	// version): the state differs.
	ns := collect.Meta(pod).Namespace
	art, _ := collect.TypeByKey(collect.Namespaces)
	j.state.Upsert(art, deepCopy(findNamespace(t, s, ns)))
	if judge(deepCopy(obj)).Repeat {
		t.Error("a verdict was reused after the state around the change changed")
	}
	if !judge(deepCopy(obj)).Repeat {
		t.Error("the same change in the new state was evaluated again")
	}
	j.state.SetCoverage(collect.Coverage{Resource: collect.Secrets, Kind: "Secret", Status: collect.Collected})
	if judge(deepCopy(obj)).Repeat {
		t.Error("a verdict was reused after coverage changed")
	}
}

func findNamespace(t *testing.T, s *collect.Snapshot, ns string) collect.Object {
	t.Helper()
	for _, o := range s.Resources[collect.Namespaces] {
		if collect.Meta(o).Name == ns {
			return o
		}
	}
	t.Fatalf("no Namespace %s", ns)
	return nil
}

// findingsOf lists a verdict's findings with their control ids.
func findingsOf(v Verdict) map[string][]evaluate.Finding {
	out := map[string][]evaluate.Finding{}
	for _, f := range v.Findings {
		out[f.Control.ID] = append(out[f.Control.ID], f.Finding)
	}
	return out
}

// TestJudgeUnchangedUpdate: an update that changes only what no control
// reads (status, resourceVersion, generation; a controller's own labels
// and annotations) is admitted unevaluated; any other change is
// evaluated, and so is every update of a type whose objects the controls
// read themselves.
func TestJudgeUnchangedUpdate(t *testing.T) {
	e, p := testEngine(t)
	s := loadExample(t, "nordic-fintech")
	j := newTestJudge(t, e, p, s)
	rt, _ := collect.TypeByKey(collect.Deployments)
	old := deepCopy(s.Resources[rt.Key][0])
	setPath(old, []string{"metadata", "resourceVersion"}, "1")
	judge := func(rt collect.ResourceType, old, new collect.Object) Verdict {
		t.Helper()
		v, err := j.Judge(context.Background(), rt, old, new)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	bumped := deepCopy(old)
	setPath(bumped, []string{"metadata", "resourceVersion"}, "2")
	setPath(bumped, []string{"metadata", "generation"}, json.Number("7"))
	setPath(bumped, []string{"status", "readyReplicas"}, json.Number("3"))
	if v := judge(rt, old, bumped); !v.Unchanged || len(v.Findings) > 0 || len(v.Controls) == 0 {
		t.Errorf("status and version only: unchanged %v, %d findings, controls %v", v.Unchanged, len(v.Findings), v.Controls)
	}
	for _, path := range [][]string{
		{"metadata", "labels", "tier"},
		{"metadata", "annotations", "note"},
	} {
		changed := deepCopy(bumped)
		setPath(changed, path, "x")
		if v := judge(rt, old, changed); !v.Unchanged || len(v.Findings) > 0 {
			t.Errorf("%v changed: unchanged %v, %d findings; a controller's own labels are read by nothing", path, v.Unchanged, len(v.Findings))
		}
	}
	for _, path := range [][]string{
		{"spec", "replicas"},
		{"spec", "template", "metadata", "labels", "tier"},
		{"spec", "template", "metadata", "annotations", "sidecar.istio.io/inject"},
	} {
		changed := deepCopy(bumped)
		setPath(changed, path, "x")
		if judge(rt, old, changed).Unchanged {
			t.Errorf("%v changed: not evaluated", path)
		}
	}
	// A type whose objects some control reads in its policy is always
	// evaluated: the policy may read any field.
	checked := 0
	for _, rt := range collect.Registry {
		key := rt.Key
		if !j.subsetFor(rt, "").ReadsObjects()[key] || len(s.Resources[key]) == 0 {
			continue
		}
		checked++
		o := deepCopy(s.Resources[key][0])
		setPath(o, []string{"metadata", "resourceVersion"}, "1")
		o2 := deepCopy(o)
		setPath(o2, []string{"metadata", "resourceVersion"}, "2")
		if judge(rt, o, o2).Unchanged {
			t.Errorf("%s: an update was not evaluated though a policy reads the objects", key)
		}
	}
	if checked == 0 {
		t.Error("no type of the sample whose objects a policy reads")
	}
}

// RES-01 judges the node agent's records, which no admitted object
// changes: the webhook leaves it to the audit, and every other control is
// judged.
func TestAuditOnly(t *testing.T) {
	e, _ := testEngine(t)
	var only []string
	for _, c := range e.Controls() {
		if AuditOnly(c) {
			only = append(only, c.ID)
		}
	}
	if diff := cmp.Diff([]string{"RES-01"}, only); diff != "" {
		t.Errorf("controls left to the audit (-want +got):\n%s", diff)
	}
}

// TestJudgeReevaluates: only the controls whose inputs a change alters are
// evaluated with it. A Deployment's replica count is read by no control;
// switching off its sidecar is read by those that judge workloads, and is
// denied.
func TestJudgeReevaluates(t *testing.T) {
	e, p := testEngine(t)
	s := loadExample(t, "nordic-fintech")
	j := newTestJudge(t, e, p, s)
	rt, _ := collect.TypeByKey(collect.Deployments)
	sc := evaluate.PersonalDataScope(s, p, "istio-system")
	var old collect.Object
	for _, d := range s.Resources[rt.Key] {
		if collect.Str(d, "spec", "template", "metadata", "annotations", "sidecar.istio.io/inject") == "" &&
			slices.Contains(sc.Namespaces, collect.Meta(d).Namespace) {
			old = d
			break
		}
	}
	if old == nil {
		t.Fatal("no personal-data Deployment without an injection annotation in the sample")
	}
	judge := func(o collect.Object) Verdict {
		t.Helper()
		v, err := j.Judge(context.Background(), rt, old, o)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	scaled := deepCopy(old)
	setPath(scaled, []string{"spec", "replicas"}, json.Number("9"))
	collect.Map(scaled, "metadata")["resourceVersion"] = "999"
	if v := judge(scaled); v.Reevaluated != 0 || len(v.Findings) != 0 || v.Unchanged {
		t.Errorf("scaled Deployment: %d controls evaluated again, %d findings, unchanged %v; want 0, 0, false",
			v.Reevaluated, len(v.Findings), v.Unchanged)
	}
	off := deepCopy(old)
	setPath(off, []string{"spec", "template", "metadata", "annotations", "sidecar.istio.io/inject"}, "false")
	v := judge(off)
	if v.Reevaluated == 0 || v.Reevaluated == len(v.Controls) {
		t.Errorf("sidecar switched off: %d of %d controls evaluated again, want some", v.Reevaluated, len(v.Controls))
	}
	if len(v.Findings) == 0 {
		t.Error("switching off the sidecar of a personal-data workload introduced nothing")
	}
}

// TestJudgeConfigMapSubsets: ConfigMaps are judged with two sets of
// controls (those whose data tilsyn keeps, istio-*, tilsyn-node-*, and the
// others, here a policy that reads ConfigMaps themselves, and Nodes so
// that both sets see the same neighbourhood); what is known of a
// neighbourhood without the change belongs to one set and is never used
// for the other.
func TestJudgeConfigMapSubsets(t *testing.T) {
	dir := t.TempDir()
	policy := `# METADATA
# title: ConfigMaps name an owner
# description: Every ConfigMap carries an owner label.
# custom:
#   id: CM-01
#   severity: low
#   articles: ["5(2)"]
#   remediation: Label it.
#   requires: [configmaps]
package tilsyn.controls.cm_01

import rego.v1

findings contains f if {
	count(input.facts.location.nodes) >= 0
	some cm in input.resources.configmaps
	not cm.metadata.labels.owner
	f := {"resource": {"kind": "ConfigMap", "namespace": cm.metadata.namespace, "name": cm.metadata.name},
		"field": "metadata.labels[owner]", "value": null, "message": "no owner"}
}
`
	if err := os.WriteFile(filepath.Join(dir, "cm.rego"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	prof, js, err := profile.Load(profile.Default)
	if err != nil {
		t.Fatal(err)
	}
	e, err := evaluate.New(context.Background(), evaluate.Options{PolicyDirs: []string{dir}, Profile: prof, ProfileJSON: js})
	if err != nil {
		t.Fatal(err)
	}
	s := loadExample(t, "nordic-fintech")
	j := newTestJudge(t, e, prof, s)
	rt, _ := collect.TypeByKey(collect.ConfigMaps)
	ns := collect.Meta(s.Resources[collect.Deployments][0]).Namespace
	for _, name := range []string{"app-config", "istio-extra", "app-config-2", "istio-extra-2"} {
		o := collect.Object{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": name, "namespace": ns, "uid": "u-" + name}}
		v, err := j.Judge(context.Background(), rt, nil, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(v.Findings) != 1 || v.Findings[0].Control.ID != "CM-01" || v.Findings[0].Finding.Resource.Name != name {
			t.Errorf("%s (%d controls): findings %+v, want CM-01 on it", name, len(v.Controls), findingsOf(v))
		}
	}
}
