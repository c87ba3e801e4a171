package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	audit := func(name string, args ...string) string {
		out, errOut, _ := run(t, "", append([]string{"audit", "--now", fixedNow, "--format", "json"}, args...)...)
		if out == "" {
			t.Fatalf("audit %v: %s", args, errOut)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	before := audit("before.json", "-f", "testdata/examples/nordic-fintech")
	after := audit("after.json", "-f", "testdata/examples/nordic-fintech", "--policy", "testdata/policies/nordic")
	fixed := audit("fixed.json", "-f", "testdata/examples/compliant")

	out, errOut, code := run(t, "", "diff", before, after)
	if code != ExitFail {
		t.Fatalf("exit %d, want 1 (drift): %s", code, errOut)
	}
	for _, want := range []string{"NO-01     appeared, fail", "+ NO-01     Namespace ledger", "metadata.annotations[tilsyn.io/behandlingsansvarlig] = null (low)"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}

	out, _, code = run(t, "", "diff", before, fixed, "--output", "json")
	if code != ExitFail {
		t.Fatalf("exit %d, want 1", code)
	}
	var drift struct {
		Controls []struct{ ID, Change, OldStatus, NewStatus string }
		Findings []struct{ Control, Change string }
	}
	if err := json.Unmarshal([]byte(out), &drift); err != nil {
		t.Fatal(err)
	}
	disappeared := 0
	for _, f := range drift.Findings {
		if f.Change != "disappeared" {
			t.Errorf("finding %s %s: in the compliant cluster every finding should have disappeared", f.Control, f.Change)
		}
		disappeared++
	}
	if disappeared != 52 || len(drift.Controls) != 24 {
		t.Errorf("%d findings disappeared and %d controls changed, want 52 and 24:\n%s", disappeared, len(drift.Controls), out)
	}

	out, _, code = run(t, "", "diff", before, before)
	if code != ExitOK || !strings.Contains(out, "No control or finding changed.") {
		t.Errorf("same report: exit %d:\n%s", code, out)
	}
	for _, args := range [][]string{{"diff", before}, {"diff", before, after, "--output", "xml"}, {"diff", before, filepath.Join(dir, "none.json")}} {
		if _, _, code := run(t, "", args...); code != ExitError {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
