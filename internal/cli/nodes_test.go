package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilsyn/tilsyn/evaluate"
)

// --local-node audits the machine tilsyn runs on: RES-01 for this one
// node, and every other control not assessed (no cluster was read).
func TestAuditLocalNode(t *testing.T) {
	defaults := copyStrings(tunedSysctls)
	defaults["fs.file-max"] = "65536"
	proc := procTree(t, defaults)
	out, errOut, code := run(t, "", "audit", "--local-node", "--proc", proc, "--node-name", "worker-7", "--now", fixedNow, "--format", "json")
	if code != ExitFail {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	r := decodeReport(t, out)
	for _, c := range r.Controls {
		switch {
		case c.ID == "RES-01":
			if c.Status != evaluate.Fail || len(c.Findings) != 1 || c.Findings[0].Resource.Name != "worker-7" || c.Findings[0].Value != "65536" {
				t.Errorf("RES-01: %s %+v", c.Status, c.Findings)
			}
			if len(c.NotAssessed) != 1 || !strings.Contains(c.NotAssessed[0].Reason, "Node objects were not collected") {
				t.Errorf("RES-01 gaps %+v", c.NotAssessed)
			}
		case c.ID == "ACC-02": // the waivers given (none): no cluster needed
		case c.Status != evaluate.NotAssessed:
			t.Errorf("%s: %s, want not-assessed: --local-node reads no cluster", c.ID, c.Status)
		}
	}
	if len(r.Inventory.NodeTuning) != 1 || r.Inventory.NodeTuning[0].From != "proc tree "+proc || r.Inventory.NodeTuning[0].Record != evaluate.RecordUsed {
		t.Errorf("node table %+v", r.Inventory.NodeTuning)
	}
	if r.Metadata.Source.Type != "local-node" {
		t.Errorf("source %+v", r.Metadata.Source)
	}
}

// This machine, collected into a snapshot and audited from it.
func TestCollectLocalNodeThisMachine(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "node.json")
	if _, errOut, code := run(t, "", "collect", "--local-node", "-o", snap, "-q"); code != ExitOK {
		t.Fatalf("collect --local-node: exit %d: %s", code, errOut)
	}
	out, errOut, code := run(t, "", "audit", "--snapshot", snap, "--format", "json")
	if code == ExitError {
		t.Fatalf("audit: %s", errOut)
	}
	rows := decodeReport(t, out).Inventory.NodeTuning
	if len(rows) != 1 || rows[0].Kernel == "" || rows[0].Record != evaluate.RecordUsed || len(rows[0].Settings) != 8 {
		t.Errorf("node table %+v", rows)
	}
}

func TestNodeAgentCommandLine(t *testing.T) {
	out, _, code := run(t, "", "node-agent", "--help")
	if code != ExitOK || !strings.Contains(out, "--interval") || !strings.Contains(out, "hostNetwork") {
		t.Errorf("node-agent --help: exit %d\n%s", code, out)
	}
	t.Setenv("NODE_NAME", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no node name: give --node-name, or set NODE_NAME"},
		{[]string{"--node-name", "n1", "--interval", "1s"}, "--interval 1s: want at least 10s"},
		{[]string{"--node-name", "n1", "extra"}, "unexpected arguments extra"},
		{[]string{"--node-name", "n1", "--once", "--proc", filepath.Join(t.TempDir(), "nope"), "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, "kubeconfig"},
	} {
		_, errOut, code := run(t, "", append([]string{"node-agent"}, c.args...)...)
		if code != ExitError || !strings.Contains(errOut, c.want) {
			t.Errorf("node-agent %v: exit %d, %q, want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
