package evaluate

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
)

func TestReadPaths(t *testing.T) {
	e := engineWith(t, nil)
	want := map[string][]string{
		"MESH-06": {"facts/peerAuthentication", "resources/peerauthentications"},
		"LOC-03":  {"facts/location"},
		"LOC-01":  {"facts/location/nodes"},
		"ACC-01":  {"coverage", "meta"},
		"RES-02":  {"facts/podSysctls"},
	}
	for _, c := range e.Controls() {
		w, ok := want[c.ID]
		if !ok {
			continue
		}
		if diff := cmp.Diff(w, readPaths(e, &c)); diff != "" {
			t.Errorf("%s reads (-want +got):\n%s", c.ID, diff)
		}
	}
}

// A control's digest changes exactly when a part of the input it reads
// does; what no rule reads (a Deployment's own labels) changes nothing.
func TestPreparedDigests(t *testing.T) {
	ids := []string{"MESH-01", "MESH-05", "MESH-06", "RES-02", "LOC-03"}
	digests := func(t *testing.T, e *Engine, yaml string) map[string]InputDigest {
		t.Helper()
		sub, err := e.Subset(context.Background(), ids)
		if err != nil {
			t.Fatal(err)
		}
		s := snapshotOf(t, yaml)
		pr, err := sub.Prepare(Part{Snapshot: s, Scope: PersonalDataScope(s, testProfile(t), "istio-system")}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]InputDigest{}
		for i, d := range pr.Digests() {
			out[sub.IDs()[i]] = d
		}
		return out
	}
	changed := func(a, b map[string]InputDigest) []string {
		var out []string
		for _, id := range ids {
			if a[id] != b[id] {
				out = append(out, id)
			}
		}
		return out
	}
	const strict = "\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: pay}\nspec: {mtls: {mode: STRICT}}\n"
	relabelled := strings.Replace(bypass, "metadata: {name: api, namespace: pay}", "metadata: {name: api, namespace: pay, labels: {team: a}}", 1)
	e := engineWith(t, nil)
	base := digests(t, e, bypass)
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"same input", bypass, nil},
		{"a label no rule reads", relabelled, nil},
		{"a PeerAuthentication", bypass + strict, []string{"MESH-01", "MESH-06"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, changed(base, digests(t, e, c.yaml))); diff != "" {
				t.Errorf("controls whose inputs changed (-want +got):\n%s", diff)
			}
		})
	}
	// A waiver that selects by label makes every label count: it decides
	// whether a finding is waived.
	w := waivers(t, "2027-01-01", "DPO")
	if !w.At(testNow).NeedsLabels() {
		t.Fatal("the test waiver does not select by label")
	}
	ew := engineWith(t, w)
	if got := changed(digests(t, ew, bypass), digests(t, ew, relabelled)); len(got) != len(ids) {
		t.Errorf("with a label-selecting waiver, a relabelled Deployment changed %v, want all of %v", got, ids)
	}
}

// Evaluating some controls of a prepared part gives the results a whole
// evaluation gives for them.
func TestPreparedEvaluateSome(t *testing.T) {
	e := engineWith(t, nil)
	ids := []string{"MESH-05", "MESH-06", "RES-02"}
	sub, err := e.Subset(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshotOf(t, bypass)
	part := Part{Snapshot: s, Scope: PersonalDataScope(s, testProfile(t), "istio-system")}
	all, err := sub.EvaluatePart(context.Background(), part, testNow)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sub.Prepare(part, testNow)
	if err != nil {
		t.Fatal(err)
	}
	some, err := pr.Evaluate(context.Background(), []int{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if all[0].Status != Fail || len(all[0].Findings) == 0 {
		t.Fatalf("MESH-05 on a sidecar bypass: %s, %d findings", all[0].Status, len(all[0].Findings))
	}
	for _, i := range []int{0, 2} {
		if diff := cmp.Diff(all[i].Findings, some[i].Findings); diff != "" || all[i].Status != some[i].Status {
			t.Errorf("%s alone: %s, want %s (-all +some):\n%s", ids[i], some[i].Status, all[i].Status, diff)
		}
	}
	if some[1].Control.ID != "" {
		t.Errorf("MESH-06 was not asked for, got %s", some[1].Status)
	}
}

// Digests hash the text OPA writes for a value: appendText writes what
// String returns, for every value of a sample cluster's whole input.
func TestAppendTextIsString(t *testing.T) {
	e := engineWith(t, nil)
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{"../testdata/examples/nordic-fintech"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range e.Controls() {
		if c.Phase != PhaseWaivers {
			ids = append(ids, c.ID)
		}
	}
	sub, err := e.Subset(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sub.Prepare(Part{Snapshot: s, Scope: PersonalDataScope(s, testProfile(t), "istio-system")}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.WalkTerms(pr.input, func(term *ast.Term) bool {
		if got, want := string(appendText([]byte("x"), term.Value)), "x"+term.Value.String(); got != want {
			t.Errorf("appendText wrote %.200q, String %.200q", got, want)
		}
		n++
		return false
	})
	if n < 1000 {
		t.Errorf("only %d values walked", n)
	}
}
