package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// keys makes a key pair with tilsyn keygen and returns the paths.
func keys(t *testing.T) (priv, pub string) {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "keys", "audit")
	out, errOut, code := run(t, "", "keygen", "--out", prefix)
	if code != ExitOK || !strings.Contains(out, "Key ") {
		t.Fatalf("keygen: exit %d: %s%s", code, out, errOut)
	}
	return prefix + ".key", prefix + ".pub"
}

// evidence audits nordic-fintech with the Norwegian policy into a new
// directory, signed and with the snapshot, and returns the directory.
func evidence(t *testing.T, priv string, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "evidence")
	args := append([]string{"audit", "-f", "testdata/examples/nordic-fintech", "--policy", "testdata/policies/nordic",
		"--now", fixedNow, "--out", dir, "--format", "json,pdf,text", "--save-snapshot", "--sign", priv}, extra...)
	out, errOut, code := run(t, "", args...)
	if code != ExitFail {
		t.Fatalf("audit: exit %d, want %d: %s", code, ExitFail, errOut)
	}
	for _, name := range []string{"tilsyn-report.json", "tilsyn-report.pdf", "tilsyn-report.json.sig", "tilsyn-report.pdf.sig", SnapshotName} {
		if !strings.Contains(out, "Evidence written to "+filepath.Join(dir, name)) {
			t.Errorf("the summary does not name %s:\n%s", name, out)
		}
	}
	return dir
}

func TestAuditEvidenceSet(t *testing.T) {
	priv, _ := keys(t)
	dir := evidence(t, priv)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := "tilsyn-report.json tilsyn-report.json.sig tilsyn-report.pdf tilsyn-report.pdf.sig tilsyn-snapshot.json"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files %s, want %s (no temporary files left)", got, want)
	}

	// The PDF reads as the evidence: sections, controls, resources, æøå.
	pdf := filepath.Join(dir, "tilsyn-report.pdf")
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v (install poppler-utils: make pdftools)", err)
	}
	flat := regexp.MustCompile(`\s+`).ReplaceAllString(string(text), "")
	for _, want := range []string{
		"Scope and method", "Executive summary", "Evidence tables", "Integrity and verification", "mTLS inventory",
		"MESH-01", "MESH-02", "MESH-03", "MESH-04", "MESH-05", "MESH-06", "NO-01",
		"payments/payments-api", "ledger/ledger-db", "auth/auth-legacy-clients", "reporting/nightly-export",
		"Navnerom med personopplysninger har en behandlingsansvarlig", "«ledger»", "påkrevd før overføring – særlig viktig", "ÆØÅ é",
		// Every inventory of the JSON, and the waivers.
		"Transfer inventory (Art. 30(1)(e))", "api.stripe.com", "Storage residency", "gp3-london", "Nodes", "oslo-bm-01",
		"Backup locations", "velero/aws-stockholm", "Waivers approved by the auditor", "No waiver file was given to the audit",
	} {
		if !strings.Contains(flat, regexp.MustCompile(`\s+`).ReplaceAllString(want, "")) && !strings.Contains(string(text), want) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	info, err := exec.Command("pdfinfo", pdf).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(info)
	// One part per control: the 29 built-in controls and NO-01.
	if pages, _ := strconv.Atoi(string(m[1])); pages < 15 || pages > 40 {
		t.Errorf("%d pages, want 15 to 40", pages)
	}

	// The same audit again gives byte-identical evidence (signatures too:
	// Ed25519 is deterministic).
	again := evidence(t, priv)
	for _, name := range names {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two audits of the same input at the same time", name)
		}
	}
}

// Flags about evidence files are checked before anything runs.
func TestAuditEvidenceFlags(t *testing.T) {
	priv, pub := keys(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--sign", priv}, "--sign and --save-snapshot write files"},
		{[]string{"--save-snapshot"}, "give --out DIR"},
		{[]string{"--out", t.TempDir(), "--format", "text", "--sign", priv}, "nothing to sign"},
		{[]string{"--out", t.TempDir(), "--sign", pub}, "this is a public key"},
		{[]string{"--out", t.TempDir(), "--sign", filepath.Join(t.TempDir(), "none.key")}, "no such file"},
	}
	for _, c := range cases {
		args := append([]string{"audit", "-f", "testdata/examples/compliant"}, c.args...)
		_, errOut, code := run(t, "", args...)
		if code != ExitError || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", c.args, code, errOut, c.want)
		}
	}
}

// A signature or snapshot of an earlier audit never stays beside a newer
// report: without --force the audit refuses, with it they are removed.
func TestAuditRemovesStaleEvidence(t *testing.T) {
	priv, _ := keys(t)
	dir := evidence(t, priv)
	if err := os.Remove(filepath.Join(dir, "tilsyn-report.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "tilsyn-report.pdf")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "audit", "-f", "testdata/examples/compliant", "--out", dir, "-q")
	if code != ExitError || !strings.Contains(errOut, "from an earlier audit") {
		t.Fatalf("exit %d, stderr %q; want a refusal", code, errOut)
	}
	// compliant is incomplete (RES-01 needs the node agent): exit 3.
	if _, _, code := run(t, "", "audit", "-f", "testdata/examples/compliant", "--out", dir, "-q", "--force"); code != ExitNotAssessed {
		t.Fatalf("--force: exit %d", code)
	}
	for _, stale := range []string{"tilsyn-report.json.sig", "tilsyn-report.pdf.sig", SnapshotName} {
		if _, err := os.Stat(filepath.Join(dir, stale)); err == nil {
			t.Errorf("%s of the earlier audit is still there", stale)
		}
	}
}

func TestAuditPDFToStdout(t *testing.T) {
	out, errOut, code := run(t, "", "audit", "-f", "testdata/examples/compliant", "--format", "pdf", "--now", fixedNow)
	if code != ExitNotAssessed || !strings.HasPrefix(out, "%PDF-") {
		t.Fatalf("exit %d, %d bytes: %s", code, len(out), errOut)
	}
}

func TestKeygenRefusesToOverwrite(t *testing.T) {
	priv, _ := keys(t)
	prefix := strings.TrimSuffix(priv, ".key")
	before, _ := os.ReadFile(priv)
	_, errOut, code := run(t, "", "keygen", "--out", prefix)
	if code != ExitError || !strings.Contains(errOut, "--force") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if after, _ := os.ReadFile(priv); !bytes.Equal(before, after) {
		t.Error("the existing key was replaced")
	}
}
