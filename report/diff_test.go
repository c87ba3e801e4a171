package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/evaluate"
)

func TestDiff(t *testing.T) {
	old := norwegianReport()
	cur := norwegianReport()
	// MESH-01 now fails; NO-01 is gone; ORG-01 is new.
	cur.Controls[2].Status = evaluate.Fail
	cur.Controls[2].Findings = []Finding{{Resource: evaluate.Resource{Kind: "PeerAuthentication", Namespace: "istio-system", Name: "default"},
		Field: "spec.mtls.mode", Value: "PERMISSIVE", Message: "mesh-wide PERMISSIVE", Severity: "high"}}
	cur.Controls = append(cur.Controls[:1], cur.Controls[2:]...)
	cur.Controls = append(cur.Controls, Control{ID: "ORG-01", Title: "Cost centres", Status: evaluate.Pass, Findings: []Finding{}})
	// In MESH-02 the PERMISSIVE finding became DISABLE and the other left.
	cur.Controls[0].Findings = []Finding{cur.Controls[0].Findings[1]}
	cur.Controls[0].Findings[0].Value = "DISABLE"
	cur.Controls[0].Findings[0].Severity = "high"

	d := Diff(old, cur)
	gotControls := map[string]string{}
	for _, c := range d.Controls {
		gotControls[c.ID] = c.Change + " " + string(c.OldStatus) + ">" + string(c.NewStatus)
	}
	wantControls := map[string]string{
		"MESH-01": "changed pass>fail",
		"NO-01":   "disappeared fail>",
		"ORG-01":  "appeared >pass",
	}
	if diff := cmp.Diff(wantControls, gotControls); diff != "" {
		t.Errorf("control changes (-want +got):\n%s", diff)
	}
	var gotFindings []string
	for _, f := range d.Findings {
		gotFindings = append(gotFindings, f.Change+" "+f.Control+" "+f.Resource.Name)
	}
	wantFindings := []string{
		"appeared MESH-01 default",
		"disappeared MESH-02 betalings-api-with-a-very-long-name-that-has-to-wrap-somewhere",
		"changed MESH-02 hovedbok-db",
		"disappeared NO-01 hovedbok",
	}
	if diff := cmp.Diff(wantFindings, gotFindings); diff != "" {
		t.Errorf("finding changes (-want +got):\n%s", diff)
	}

	var text bytes.Buffer
	if err := WriteDriftText(&text, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"MESH-01   pass -> fail", "NO-01     disappeared, was fail", "ORG-01    appeared, pass",
		`value "PERMISSIVE" -> "DISABLE"; severity medium -> high`, "+ MESH-01   PeerAuthentication istio-system/default",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("drift text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteDriftJSON(&js, d); err != nil {
		t.Fatal(err)
	}
	var back Drift
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Findings) != 4 {
		t.Errorf("drift JSON: %v, %d findings", err, len(back.Findings))
	}
}

func TestDiffSameReport(t *testing.T) {
	d := Diff(norwegianReport(), norwegianReport())
	if !d.Empty() {
		t.Errorf("a report differs from itself: %+v", d)
	}
	var text bytes.Buffer
	if err := WriteDriftText(&text, d); err != nil || !strings.Contains(text.String(), "No control or finding changed.") {
		t.Errorf("drift text: %v\n%s", err, text.String())
	}
}
