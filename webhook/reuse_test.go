package webhook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/synth"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/waiver"
)

// replica returns a pod as its controller would create it next to p: a new
// name, uid and creation time, not yet scheduled.
func replica(p collect.Object, i int) collect.Object {
	o := deepCopy(p)
	md := collect.Map(o, "metadata")
	md["name"] = fmt.Sprintf("%s-replica-%d", collect.Meta(p).Name, i)
	md["uid"] = fmt.Sprintf("replica-uid-%d", i)
	md["creationTimestamp"] = "2026-01-02T03:04:05Z"
	delete(md, "resourceVersion")
	delete(collect.Map(o, "spec"), "nodeName")
	delete(o, "status")
	return o
}

// TestJudgeSameMember: a pod created next to the same pods of its
// controller alters nothing the controls read, and is admitted without
// evaluating. For every such pod of two synthetic clusters (the samples
// have no pods), evaluating it anyway
// finds every control's input unchanged and nothing introduced.
func TestJudgeSameMember(t *testing.T) {
	e, p := testEngine(t)
	clusters := map[string]*collect.Snapshot{
		"synthetic": synthCluster(t, synth.Config{Namespaces: 6, Controllers: 30, Pods: 120, PeerAuthentications: 12,
			DestinationRules: 12, ServiceEntries: 4, Seed: 11}),
		"scaled": synthCluster(t, synth.Scaled(0.02)),
	}
	rt, _ := collect.TypeByKey(collect.Pods)
	for name, s := range clusters {
		t.Run(name, func(t *testing.T) {
			j := newTestJudge(t, e, p, s)
			same := 0
			for i, pod := range s.Resources[collect.Pods] {
				o := replica(pod, i)
				v, err := j.Judge(context.Background(), rt, nil, o)
				if err != nil {
					t.Fatal(err)
				}
				if !v.Unchanged {
					continue
				}
				same++
				full, _, err := j.judge(context.Background(), rt, nil, o, false)
				if err != nil {
					t.Fatal(err)
				}
				if full.Reevaluated != 0 || len(full.Findings) != 0 {
					t.Errorf("replica of %s/%s: admitted unevaluated, but %d controls' inputs change and %v is introduced",
						collect.Meta(pod).Namespace, collect.Meta(pod).Name, full.Reevaluated, keys(full.Findings))
				}
			}
			if same == 0 {
				t.Fatal("no replica was found to alter nothing")
			}
			t.Logf("%d of %d replicas admitted unevaluated", same, len(s.Resources[collect.Pods]))
		})
	}

	s := clusters["synthetic"]
	j := newTestJudge(t, e, p, s)
	var pod collect.Object
	for _, o := range s.Resources[collect.Pods] {
		if v, _ := j.Judge(context.Background(), rt, nil, replica(o, 0)); v.Unchanged {
			pod = o
			break
		}
	}
	changes := ownerChanges(pod)
	changes["injection off"] = func(o collect.Object) {
		setPath(o, []string{"metadata", "labels", "sidecar.istio.io/inject"}, "false")
	}
	changes["host network"] = func(o collect.Object) { setPath(o, []string{"spec", "hostNetwork"}, true) }
	changes["no uid"] = func(o collect.Object) { delete(collect.Map(o, "metadata"), "uid") }
	for name, change := range changes {
		o := replica(pod, 1)
		change(o)
		v, err := j.Judge(context.Background(), rt, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		if v.Unchanged {
			t.Errorf("%s: admitted unevaluated", name)
		}
	}
}

// ownerChanges are changes to an object to be created beside stored, that
// make its owner no reason to admit it unevaluated: no owner, an owner not
// stored, or the name of stored itself.
func ownerChanges(stored collect.Object) map[string]func(o collect.Object) {
	return map[string]func(o collect.Object){
		"no owner": func(o collect.Object) { delete(collect.Map(o, "metadata"), "ownerReferences") },
		"owner not stored": func(o collect.Object) {
			refs := collect.List(o, "metadata", "ownerReferences")
			ref := deepCopy(refs[0].(map[string]any))
			ref["name"] = "not-stored"
			collect.Map(o, "metadata")["ownerReferences"] = []any{map[string]any(ref)}
		},
		"name stored": func(o collect.Object) { collect.Map(o, "metadata")["name"] = collect.Meta(stored).Name },
	}
}

// sibling returns a controller as its owner would create it next to c: a
// new name and uid, nothing owned yet.
func sibling(c collect.Object, i int) collect.Object {
	o := deepCopy(c)
	md := collect.Map(o, "metadata")
	md["name"] = fmt.Sprintf("%s-sibling-%d", collect.Meta(c).Name, i)
	md["uid"] = fmt.Sprintf("sibling-uid-%d", i)
	delete(md, "resourceVersion")
	delete(o, "status")
	return o
}

// TestJudgeOwnedLeaf: a controller created under a stored owner, owning
// nothing yet (a Deployment's new ReplicaSet before its pods), alters
// nothing the controls read and is admitted without evaluating. For every
// such controller of a synthetic cluster, the full audits of the cluster
// without and with it agree, and evaluating it anyway introduces nothing.
func TestJudgeOwnedLeaf(t *testing.T) {
	e, p := testEngine(t)
	s := synthCluster(t, synth.Config{Namespaces: 4, Controllers: 24, Pods: 60, PeerAuthentications: 8,
		DestinationRules: 8, ServiceEntries: 4, Seed: 5})
	j := newTestJudge(t, e, p, s)
	full := audit(t, e, s)
	leaves := 0
	var leaf collect.Object
	var leafType collect.ResourceType
	for _, rt := range collect.Registry {
		if rt.Key == collect.Pods || !isWorkload(rt.Key) {
			continue
		}
		for i, c := range s.Resources[rt.Key] {
			o := sibling(c, i)
			v, err := j.Judge(context.Background(), rt, nil, o)
			if err != nil {
				t.Fatal(err)
			}
			if _, owned := controllerOwner(c, collect.Meta(c).Namespace); !owned {
				if v.Unchanged {
					t.Errorf("sibling of %s %s without an owner: admitted unevaluated", rt.Kind, collect.Meta(c).Name)
				}
				continue
			}
			if !v.Unchanged {
				t.Errorf("sibling of %s %s: evaluated; its owner is stored and it owns nothing", rt.Kind, collect.Meta(c).Name)
				continue
			}
			leaves++
			if leaf == nil && len(j.state.children[objRef{collect.Meta(c).Namespace, rt.Kind, collect.Meta(c).Name}]) > 0 {
				leaf, leafType = c, rt // one with pods, for the cases below
			}
			with := &collect.Snapshot{}
			*with = *s
			with.Resources = map[string][]collect.Object{}
			for k, l := range s.Resources {
				with.Resources[k] = l
			}
			with.Resources[rt.Key] = append(append([]collect.Object{}, s.Resources[rt.Key]...), o)
			with.Sort()
			if got := keys(introduced(full, audit(t, e, with))); len(got) > 0 {
				t.Errorf("sibling of %s %s: admitted unevaluated, but the audit finds %v", rt.Kind, collect.Meta(c).Name, got)
			}
			evaluated, _, err := j.judge(context.Background(), rt, nil, o, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(evaluated.Findings) > 0 {
				t.Errorf("sibling of %s %s: admitted unevaluated, but evaluating introduces %v", rt.Kind, collect.Meta(c).Name, keys(evaluated.Findings))
			}
		}
	}
	if leaves == 0 || leaf == nil {
		t.Fatalf("%d owned controllers in the cluster, none with pods", leaves)
	}
	t.Logf("%d controllers admitted unevaluated", leaves)
	for name, change := range ownerChanges(leaf) {
		o := sibling(leaf, 1)
		change(o)
		if v, err := j.Judge(context.Background(), leafType, nil, o); err != nil || v.Unchanged {
			t.Errorf("%s: admitted unevaluated (%v)", name, err)
		}
	}
	// Its pods stored before it: it is their workload.
	rest := without(s, leafType.Key, slices.IndexFunc(s.Resources[leafType.Key], func(o collect.Object) bool {
		return collect.Meta(o).Name == collect.Meta(leaf).Name && collect.Meta(o).Namespace == collect.Meta(leaf).Namespace
	}), nil)
	if v, err := newTestJudge(t, e, p, rest).Judge(context.Background(), leafType, nil, leaf); err != nil || v.Unchanged {
		t.Errorf("%s %s with its pods stored: admitted unevaluated (%v)", leafType.Kind, collect.Meta(leaf).Name, err)
	}
}

// TestJudgeLabelWaivers: when a waiver selects by label, every object's
// labels count to the findings: a controller's own labels and a pod's
// presence are then evaluated.
func TestJudgeLabelWaivers(t *testing.T) {
	p, js, err := profile.Load(profile.Default)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "waivers.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: tilsyn.io/v1
kind: WaiverList
waivers:
- id: W-LABEL
  control: MESH-05
  resources:
  - kind: Deployment
    selector: team=legacy
  justification: Migrated next quarter.
  approvedBy: Data Protection Officer
  expires: 2030-01-01
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ws, err := waiver.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	e, err := evaluate.New(context.Background(), evaluate.Options{Profile: p, ProfileJSON: js, Waivers: ws})
	if err != nil {
		t.Fatal(err)
	}
	s := synthCluster(t, synth.Config{Namespaces: 3, Controllers: 10, Pods: 30, Seed: 3})
	j := newTestJudge(t, e, p, s)
	drt, _ := collect.TypeByKey(collect.Deployments)
	old := deepCopy(s.Resources[collect.Deployments][0])
	setPath(old, []string{"metadata", "resourceVersion"}, "1")
	relabelled := deepCopy(old)
	setPath(relabelled, []string{"metadata", "labels", "team"}, "legacy")
	setPath(relabelled, []string{"metadata", "resourceVersion"}, "2")
	if v, err := j.Judge(context.Background(), drt, old, relabelled); err != nil || v.Unchanged {
		t.Errorf("relabelled Deployment with a label-selecting waiver: unchanged %v (%v)", v.Unchanged, err)
	}
	prt, _ := collect.TypeByKey(collect.Pods)
	for i, pod := range s.Resources[collect.Pods] {
		if v, err := j.Judge(context.Background(), prt, nil, replica(pod, i)); err != nil || v.Unchanged {
			t.Fatalf("replica of %s with a label-selecting waiver: unchanged %v (%v)", collect.Meta(pod).Name, v.Unchanged, err)
		}
	}
}

// TestNeighbourhoodDedupe: of pods alike in a neighbourhood, only the
// first in a snapshot's order is kept; the others are left out.
func TestNeighbourhoodDedupe(t *testing.T) {
	s := FromSnapshot(synthCluster(t, synth.Config{Namespaces: 3, Controllers: 12, Pods: 60, PeerAuthentications: 6, Seed: 5}))
	rt, _ := collect.TypeByKey(collect.PeerAuthentications)
	var pa collect.Object
	for _, byName := range s.objects[rt.Key] {
		for _, e := range byName {
			if e.ns != s.root {
				pa = e.obj
			}
		}
	}
	if pa == nil {
		t.Fatal("no PeerAuthentication outside the root namespace")
	}
	m := collect.Meta(pa)
	c := change{t: rt, ns: m.Namespace, name: m.Name, old: pa, new: pa}
	pods := func(dedupe bool) []*entry {
		s.mu.RLock()
		defer s.mu.RUnlock()
		entries, _, _ := s.neighbourhood(c, map[string]bool{collect.Pods: true}, map[string]bool{}, dedupe)
		var out []*entry
		for _, e := range entries {
			if e.t.Key == collect.Pods {
				out = append(out, e)
			}
		}
		return out
	}
	all, kept := pods(false), pods(true)
	if len(kept) == 0 || len(kept) >= len(all) {
		t.Fatalf("%d pods, %d kept: want fewer, and some", len(all), len(kept))
	}
	type class struct {
		owner objRef
		key   string
	}
	first := map[class]string{}
	for _, e := range all {
		k := class{e.owner, e.member}
		if id, ok := first[k]; !ok || e.id < id {
			first[k] = e.id
		}
	}
	for _, e := range kept {
		if first[class{e.owner, e.member}] != e.id {
			t.Errorf("kept %s, not the first of its kind", e.name)
		}
	}
	if len(kept) != len(first) {
		t.Errorf("%d pods kept, %d kinds of member", len(kept), len(first))
	}
}

// TestNeighbourhoodKeepsRead: a neighbourhood holds the types the judging
// controls read and Namespaces, whatever the whole namespace holds, and
// still follows the relations of types not read (a claim's volume).
func TestNeighbourhoodKeepsRead(t *testing.T) {
	s := FromSnapshot(synthCluster(t, synth.Config{Namespaces: 2, Controllers: 6, Pods: 12, PersistentVolumes: 8,
		PeerAuthentications: 4, Seed: 3}))
	rt, _ := collect.TypeByKey(collect.PeerAuthentications)
	var ns string
	for _, byName := range s.objects[collect.PersistentVolumeClaims] {
		for _, e := range byName {
			ns = e.ns
		}
	}
	if ns == "" {
		t.Fatal("no PersistentVolumeClaim")
	}
	c := change{t: rt, ns: ns, name: "new", new: collect.Object{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
		"metadata": map[string]any{"name": "new", "namespace": ns}, "spec": map[string]any{"mtls": map[string]any{"mode": "STRICT"}}}}
	types := func(reads map[string]bool) map[string]int {
		s.mu.RLock()
		defer s.mu.RUnlock()
		entries, _, _ := s.neighbourhood(c, reads, map[string]bool{}, false)
		out := map[string]int{}
		for _, e := range entries {
			out[e.t.Key]++
		}
		return out
	}
	got := types(map[string]bool{collect.PeerAuthentications: true, collect.Pods: true})
	for key := range got {
		if key != collect.PeerAuthentications && key != collect.Pods && key != collect.Namespaces {
			t.Errorf("%d %s in the neighbourhood: not read", got[key], key)
		}
	}
	if got[collect.Pods] == 0 || got[collect.Namespaces] == 0 {
		t.Errorf("neighbourhood %v: want the namespace's pods and its Namespace", got)
	}
	got = types(map[string]bool{collect.PeerAuthentications: true, collect.PersistentVolumes: true})
	if got[collect.PersistentVolumes] == 0 || got[collect.PersistentVolumeClaims] != 0 {
		t.Errorf("neighbourhood %v: want the volumes of the namespace's claims, and no claims", got)
	}
}
