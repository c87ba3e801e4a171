package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilsyn/tilsyn/report"
)

func TestVerifyIntactEvidence(t *testing.T) {
	priv, pub := keys(t)
	dir := evidence(t, priv)
	out, errOut, code := run(t, "", "verify", filepath.Join(dir, "tilsyn-report.json"), "--key", pub, "--policy", "testdata/policies/nordic")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"ok    report digest", "ok    signature of " + filepath.Join(dir, "tilsyn-report.json"),
		"ok    signature of " + filepath.Join(dir, "tilsyn-report.pdf"), "ok    PDF content",
		"ok    snapshot digest", "ok    policy and profile digests", "reproduces the report byte for byte",
		"verified: every check passed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
}

// Any modified byte of any evidence file makes verify fail, saying which
// check failed.
func TestVerifyDetectsTampering(t *testing.T) {
	priv, pub := keys(t)
	dir := evidence(t, priv)
	files := map[string][]string{
		"tilsyn-report.json":     {"report digest", "signature of"},
		"tilsyn-report.pdf":      {"signature of"},
		"tilsyn-report.json.sig": {"signature of"},
		"tilsyn-report.pdf.sig":  {"signature of"},
		SnapshotName:             {"snapshot"},
	}
	for name, wants := range files {
		orig, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{0, len(orig) / 3, len(orig) / 2, len(orig) - 2} {
			t.Run(name, func(t *testing.T) {
				mod := bytes.Clone(orig)
				mod[at] ^= 0x20
				if mod[at] == '\n' || orig[at] == '\n' {
					mod[at] = orig[at] ^ 0x01
				}
				copyDir := t.TempDir()
				for other := range files {
					data, _ := os.ReadFile(filepath.Join(dir, other))
					if other == name {
						data = mod
					}
					if err := os.WriteFile(filepath.Join(copyDir, other), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				out, errOut, code := run(t, "", "verify", filepath.Join(copyDir, "tilsyn-report.json"), "--key", pub, "--policy", "testdata/policies/nordic")
				if code != ExitFail {
					t.Fatalf("byte %d of %s modified: exit %d, want 1:\n%s%s", at, name, code, out, errOut)
				}
				if !strings.Contains(errOut, "verification FAILED") {
					t.Errorf("stderr lacks the verdict: %q", errOut)
				}
				for _, want := range wants {
					if !strings.Contains(out, "FAIL  "+want) && !strings.Contains(out, want) {
						t.Errorf("byte %d of %s modified: output lacks %q:\n%s", at, name, want, out)
					}
				}
			})
		}
	}
}

// A report edited and sealed again (its digest recomputed) by someone
// without the key is caught by re-running the evaluation.
func TestVerifyReEvaluationCatchesAForgedReport(t *testing.T) {
	priv, _ := keys(t)
	dir := evidence(t, priv)
	path := filepath.Join(dir, "tilsyn-report.json")
	rep, err := report.ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Controls {
		if rep.Controls[i].ID == "MESH-02" {
			rep.Controls[i].Findings[0].Value = "STRICT"
		}
	}
	if err := report.WriteFile(path, func(w io.Writer) error { return report.WriteJSON(w, rep) }, true); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "tilsyn-report.pdf"))
	out, _, code := run(t, "", "verify", path, "--policy", "testdata/policies/nordic")
	if code != ExitFail {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"ok    report digest", "present but not checked; give --key", "ok    snapshot digest",
		"FAIL  re-evaluation: evaluating the snapshot gives a different result",
		`value "STRICT" -> "PERMISSIVE"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
}

func TestVerifyNeedsTheSamePoliciesAndKey(t *testing.T) {
	priv, pub := keys(t)
	_, otherPub := keys(t)
	dir := evidence(t, priv)
	report := filepath.Join(dir, "tilsyn-report.json")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"without the user policies", []string{"--key", pub}, "FAIL  policy digest: the built-in policies (no --policy) hash to"},
		{"another key", []string{"--key", otherPub, "--policy", "testdata/policies/nordic"}, "signed with another key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, code := run(t, "", append([]string{"verify", report}, c.args...)...)
			if code != ExitFail || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want 1 and %q:\n%s", code, c.want, out)
			}
		})
	}
	// A missing signature when --key asks for one.
	os.Remove(report + ".sig")
	out, _, code := run(t, "", "verify", report, "--key", pub, "--policy", "testdata/policies/nordic")
	if code != ExitFail || !strings.Contains(out, "no signature file") {
		t.Errorf("missing signature: exit %d:\n%s", code, out)
	}
}

func TestVerifyBadInput(t *testing.T) {
	_, pub := keys(t)
	notReport := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(notReport, []byte(`{"hello": "world"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"verify"}, "want one report"},
		{[]string{"verify", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{[]string{"verify", notReport}, "not a tilsyn report"},
		{[]string{"verify", notReport, "--key", notReport}, "not a PEM file"},
		{[]string{"verify", "testdata/golden/compliant.json", "--snapshot", filepath.Join(t.TempDir(), "none.json"), "--key", pub}, "no such file"},
	}
	for _, c := range cases {
		_, errOut, code := run(t, "", c.args...)
		if code != ExitError || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", c.args, code, errOut, c.want)
		}
	}
}

// An audit with waivers is reproduced only with the same waiver file.
func TestVerifyWithWaivers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "evidence")
	args := append([]string{"audit", "-f", "testdata/examples/nordic-fintech", "--now", fixedNow, "--out", dir, "--format", "json", "--save-snapshot"}, nordicArgs...)
	if _, errOut, code := run(t, "", args...); code != ExitFail {
		t.Fatalf("audit: exit %d: %s", code, errOut)
	}
	rep := filepath.Join(dir, "tilsyn-report.json")
	profileArg := []string{"--profile", "testdata/profiles/nordic-fintech.yaml"}
	out, errOut, code := run(t, "", append([]string{"verify", rep}, profileArg...)...)
	if code != ExitOK || !strings.Contains(out, "ok    waivers: testdata/waivers/nordic-fintech.yaml matches") || !strings.Contains(out, "byte for byte") {
		t.Errorf("verify with the report's waiver file: exit %d\n%s%s", code, out, errOut)
	}
	other := filepath.Join(t.TempDir(), "waivers.yaml")
	if err := os.WriteFile(other, []byte("apiVersion: tilsyn.io/v1\nkind: WaiverList\nwaivers: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, "", append([]string{"verify", rep, "--waivers", other}, profileArg...)...)
	if code != ExitFail || !strings.Contains(out, "give the waiver file the audit used with --waivers") {
		t.Errorf("verify with another waiver file: exit %d\n%s", code, out)
	}
}
