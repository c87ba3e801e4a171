package report

import (
	"testing"

	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/mesh"
)

// Waived findings do not count as failures, in the summary or for --fail-on.
func TestWaivedFindingsDoNotFail(t *testing.T) {
	waived := Finding{Severity: "high", Waiver: &evaluate.WaiverRef{Ref: "W-1"}}
	open := Finding{Severity: "low"}
	controls := []Control{
		{ID: "A-1", Status: evaluate.Waived, Findings: []Finding{waived}},
		{ID: "B-1", Status: evaluate.Fail, Findings: []Finding{waived, open}},
	}
	s := Summarise(controls)
	if s.Findings["total"] != 1 || s.Findings["high"] != 0 || s.Findings["low"] != 1 || s.Findings["waived"] != 2 {
		t.Errorf("findings = %v", s.Findings)
	}
	if s.Controls.Waived != 1 || s.Controls.Fail != 1 || s.Verdict != NonCompliant {
		t.Errorf("summary = %+v", s)
	}
	r := &Report{Controls: controls}
	if r.FailsAt("medium") || !r.FailsAt("low") {
		t.Error("FailsAt counts a waived finding")
	}
	if s := Summarise(controls[:1]); s.Verdict != Compliant {
		t.Errorf("only waived findings: verdict %s", s.Verdict)
	}
}

// Every inventory list is present, empty rather than null.
func TestInventoryListsArePresent(t *testing.T) {
	inv := inventoryOf(&evaluate.Results{Mesh: &mesh.Result{}})
	if inv.MTLS == nil || inv.Transfers == nil || inv.Storage == nil || inv.Nodes == nil || inv.Backups == nil {
		t.Errorf("inventory = %+v", inv)
	}
}
