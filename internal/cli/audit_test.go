package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/internal/testcluster"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The tests run from the repository root so that paths in reports read as
// a user would type them. Tests against a real API server start their own
// (testcluster.Start): a live audit reads the whole cluster.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	os.Exit(testcluster.Main(m))
}

const fixedNow = "2026-11-21T12:00:00Z"

// run runs tilsyn with args and returns stdout, stderr and the exit code.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, args)
	code := ExitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got); run with -update if intended:\n%s", path, diff)
	}
}

// nordicArgs audit the nordic-fintech sample as its owner would: with its
// own profile (the Oslo data centre, known APIs) and its waivers.
var nordicArgs = []string{"--profile", "testdata/profiles/nordic-fintech.yaml", "--waivers", "testdata/waivers/nordic-fintech.yaml"}

func TestAuditSamplesGolden(t *testing.T) {
	cases := []struct {
		name     string
		extra    []string
		wantExit int
	}{
		{"nordic-fintech", nordicArgs, ExitFail},
		// Every assessable control passes; RES-01 needs the node agent's
		// records, which manifests cannot hold: incomplete, never pass.
		{"compliant", nil, ExitNotAssessed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"audit", "-f", "testdata/examples/" + c.name, "--now", fixedNow, "--format", "json"}, c.extra...)
			out, errOut, code := run(t, "", args...)
			if code != c.wantExit {
				t.Fatalf("exit %d, want %d; stderr: %s", code, c.wantExit, errOut)
			}
			golden(t, c.name+".json", []byte(out))
			// Same input and clock: same bytes.
			again, _, _ := run(t, "", args...)
			if again != out {
				t.Error("two audits of the same input at the same time differ")
			}
		})
	}
}

func TestAuditNordicFintechStatuses(t *testing.T) {
	args := append([]string{"audit", "-f", "testdata/examples/nordic-fintech", "--now", fixedNow, "--format", "text"}, nordicArgs...)
	out, _, _ := run(t, "", args...)
	for _, want := range []string{
		"PASS         MESH-01", "FAIL         MESH-02", "FAIL         MESH-03", "FAIL         MESH-04",
		"WAIVED       MESH-05", "FAIL         MESH-06", "Verdict: NON-COMPLIANT",
		"NOT-ASSESSED RES-01", "FAIL         ACC-02",
		"ACTIVE     W-2026-003", "EXPIRED    W-2025-019", "UNMATCHED  W-2026-001", "INCOMPLETE W-2026-004",
		"Transfer bases declared by the resource owner (not auditor-approved):",
		"ServiceEntry payments/card-processor → api.stripe.com: scc",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// Bad input is exit 2 with a message naming where the problem is, and no
// report file is written.
func TestAuditBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	malformed := write("bad/app.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  labels: [unclosed\n")
	unknownKind := write("typo/app.yaml", "apiVersion: security.istio.io/v1\nkind: PeerAuthentications\nmetadata:\n  name: default\n")
	noKind := write("nokind/app.yaml", "apiVersion: v1\nmetadata:\n  name: x\n")
	emptyDir := filepath.Join(dir, "empty")
	if err := os.MkdirAll(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	onlyComments := write("comments/app.yaml", "# nothing here\n---\n# still nothing\n")
	brokenPolicy := write("policies/broken.rego", "package tilsyn.controls.broken\n\nimport rego.v1\n\nfindings contains f if {\n\tf := \n}\n")
	notJSON := write("snap.json", "{not json")
	kubeconfig := write("kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: unreachable, context: {cluster: c, user: u}}]
current-context: unreachable
`)
	// Live audits must not find a kubeconfig or pod credentials of the
	// machine running the tests.
	t.Setenv("KUBECONFIG", filepath.Join(dir, "no-kubeconfig"))
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	saDir := serviceAccountDir
	serviceAccountDir = filepath.Join(dir, "no-serviceaccount")
	t.Cleanup(func() { serviceAccountDir = saDir })
	badProfile := write("profile.yaml", "apiVersion: tilsyn.io/v1\nkind: Profile\nmetadata: {name: x}\nspec:\n  extends: eea\n  location: {allowedCountries: [Norway]}\n")
	badWaivers := write("waivers.yaml", "apiVersion: tilsyn.io/v1\nkind: WaiverList\nwaivers:\n- control: EGR-02\n  justifcation: typo\n")

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"malformed YAML", []string{"-f", malformed}, malformed + ": document 2 (line 6): invalid YAML"},
		{"unknown kind", []string{"-f", unknownKind}, `unknown kind "PeerAuthentications" in security.istio.io/v1 (did you mean PeerAuthentication?)`},
		{"missing kind", []string{"-f", noKind}, "document 1 (line 1): object has no kind"},
		{"empty directory", []string{"-f", emptyDir}, "directory holds no manifest files"},
		{"only comments", []string{"-f", onlyComments}, "no Kubernetes objects found"},
		{"missing path", []string{"-f", filepath.Join(dir, "nope")}, "no such file or directory"},
		{"broken policy", []string{"-f", "testdata/examples/compliant", "--policy", filepath.Dir(brokenPolicy)}, "broken.rego:7: rego_parse_error"},
		{"bad snapshot", []string{"--snapshot", notJSON}, "not a tilsyn snapshot"},
		{"bad profile", []string{"-f", "testdata/examples/compliant", "--profile", "mars"}, `no such built-in profile`},
		{"invalid profile", []string{"-f", "testdata/examples/compliant", "--profile", badProfile}, badProfile + `: spec.location.allowedCountries[0]: "Norway" is not an ISO 3166-1 alpha-2`},
		{"bad waivers", []string{"-f", "testdata/examples/compliant", "--waivers", badWaivers}, badWaivers + `: json: unknown field "justifcation"`},
		{"missing waivers", []string{"-f", "testdata/examples/compliant", "--waivers", filepath.Join(dir, "none.yaml")}, "waivers: open"},
		{"bad fail-on", []string{"-f", "testdata/examples/compliant", "--fail-on", "urgent"}, "--fail-on"},
		{"no cluster to audit", nil, "no cluster to audit: no kubeconfig found"},
		{"missing kubeconfig", []string{"--kubeconfig", filepath.Join(dir, "nope")}, "kubeconfig: stat " + filepath.Join(dir, "nope")},
		{"bad kubeconfig", []string{"--kubeconfig", malformed}, "kubeconfig: "},
		{"unknown context", []string{"--kubeconfig", kubeconfig, "--context", "nope"}, `context "nope" does not exist`},
		{"unreachable cluster", []string{"--kubeconfig", kubeconfig}, "cannot reach the API server at https://127.0.0.1:1 (context unreachable)"},
		{"in-cluster outside a pod", []string{"--in-cluster"}, "--in-cluster: not running in a pod"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"audit", "--out", out, "--now", fixedNow}, c.args...)
			_, errOut, code := run(t, "", args...)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q does not contain %q", errOut, c.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("output directory has %d entries after a failed audit", len(entries))
			}
		})
	}
}

// An existing report is never replaced silently.
func TestAuditDoesNotOverwrite(t *testing.T) {
	out := t.TempDir()
	report := filepath.Join(out, ReportName+".json")
	if err := os.WriteFile(report, []byte("earlier evidence"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "", "audit", "-f", "testdata/examples/compliant", "--out", out, "-q")
	if code != ExitError || !strings.Contains(errOut, "--force") {
		t.Fatalf("exit %d, stderr %q; want exit 2 suggesting --force", code, errOut)
	}
	if data, _ := os.ReadFile(report); string(data) != "earlier evidence" {
		t.Fatal("the existing report was modified")
	}
	if _, _, code := run(t, "", "audit", "-f", "testdata/examples/compliant", "--out", out, "-q", "--force"); code == ExitError {
		t.Fatalf("--force: exit %d", code)
	}
	if data, _ := os.ReadFile(report); !bytes.Contains(data, []byte(`"kind": "AuditReport"`)) {
		t.Fatal("--force did not write the report")
	}
}

// A snapshot saved by collect audits to the same result as the manifests.
func TestCollectThenAuditSnapshot(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snapshot.json")
	if _, errOut, code := run(t, "", "collect", "-f", "testdata/examples/nordic-fintech", "-o", snap); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, secretish := range []string{"managedFields", "last-applied-configuration"} {
		if bytes.Contains(data, []byte(secretish)) {
			t.Errorf("snapshot keeps %s", secretish)
		}
	}
	// Audit after the collection: a snapshot collected later than the
	// audit time is itself a finding (ACC-01).
	later := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	fromSnap, _, code1 := run(t, "", "audit", "--snapshot", snap, "--now", later, "--format", "text")
	fromManifests, _, code2 := run(t, "", "audit", "-f", "testdata/examples/nordic-fintech", "--now", later, "--format", "text")
	if code1 != code2 {
		t.Errorf("exit codes differ: snapshot %d, manifests %d", code1, code2)
	}
	// Only the header line (source) may differ.
	trim := func(s string) string { return s[strings.Index(s, "\n"):] }
	if diff := cmp.Diff(trim(fromManifests), trim(fromSnap)); diff != "" {
		t.Errorf("snapshot audit differs from manifest audit:\n%s", diff)
	}
}

// Helm-rendered output on stdin is audited like files.
func TestAuditStdin(t *testing.T) {
	data, err := os.ReadFile("testdata/examples/nordic-fintech/30-auth-rendered.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, string(data), "audit", "-f", "-", "--now", fixedNow, "--format", "json")
	if code != ExitFail {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"auth-legacy-clients"`) {
		t.Error("the DestinationRule from stdin is not in the report")
	}
}

func TestParseAuditFlags(t *testing.T) {
	now, _ := time.Parse(time.RFC3339, fixedNow)
	live := liveConfig{Timeout: defaultTimeout, QPS: defaultQPS}
	base := func(c auditConfig) auditConfig {
		if c.DefaultNamespace == "" {
			c.DefaultNamespace = "default"
		}
		if c.Profile == "" {
			c.Profile = "eea"
		}
		if c.FailOn == "" {
			c.FailOn = "low"
		}
		if c.Out == "" {
			c.Out = "-"
		}
		if c.LiveConfig.Timeout == 0 {
			c.LiveConfig.Timeout = live.Timeout
		}
		if c.LiveConfig.QPS == 0 {
			c.LiveConfig.QPS = live.QPS
		}
		return c
	}
	cases := []struct {
		name    string
		args    []string
		tty     bool
		want    auditConfig
		wantErr string
	}{
		{name: "defaults on a terminal", args: []string{"x"}, tty: true,
			want: base(auditConfig{Manifests: []string{"x"}, Formats: []string{"text"}})},
		{name: "defaults in a pipe", args: []string{"-f", "x"},
			want: base(auditConfig{Manifests: []string{"x"}, Formats: []string{"json"}})},
		{name: "out dir", args: []string{"-f", "x", "--out", "out", "--fail-on", "high", "--now", fixedNow},
			want: base(auditConfig{Manifests: []string{"x"}, Formats: []string{"json", "pdf", "text"}, Out: "out", FailOn: "high", Now: now})},
		{name: "waivers and stats", args: []string{"-f", "x", "--waivers", "w.yaml", "--stats", "--profile", "norway"},
			want: base(auditConfig{Manifests: []string{"x"}, Profile: "norway", Waivers: "w.yaml", Stats: true, Formats: []string{"json"}})},
		{name: "two formats to stdout", args: []string{"-f", "x", "--format", "json,text"}, wantErr: "--out - writes one format"},
		{name: "unknown format", args: []string{"-f", "x", "--format", "xml"}, wantErr: `--format "xml"`},
		{name: "both inputs", args: []string{"-f", "x", "--snapshot", "s"}, wantErr: "not both"},
		{name: "bad time", args: []string{"-f", "x", "--now", "yesterday"}, wantErr: "--now"},
		{name: "unknown flag", args: []string{"--kubeconfig-typo"}, wantErr: "unknown flag"},

		// Live clusters.
		{name: "live by default", args: nil,
			want: base(auditConfig{Live: true, Formats: []string{"json"}})},
		{name: "live with every flag", args: []string{"--kubeconfig", "kc", "--context", "prod", "-n", "a,b", "--namespace", "c",
			"--timeout", "30s", "--qps", "5", "--out", "ev", "--keep", "7"},
			want: base(auditConfig{Live: true, Formats: []string{"json", "pdf", "text"}, Out: "ev", Keep: 7,
				LiveConfig: liveConfig{Kubeconfig: "kc", Context: "prod", Namespaces: []string{"a", "b", "c"}, Timeout: 30 * time.Second, QPS: 5}})},
		{name: "in cluster", args: []string{"--in-cluster", "--out", "/evidence", "--keep", "30", "-q"},
			want: base(auditConfig{Live: true, Formats: []string{"json", "pdf", "text"}, Out: "/evidence", Keep: 30, Quiet: true,
				LiveConfig: liveConfig{InCluster: true}})},
		{name: "live flag with manifests", args: []string{"-f", "x", "--context", "prod"}, wantErr: "--context reads a live cluster"},
		{name: "namespace with snapshot", args: []string{"--snapshot", "s", "-n", "a"}, wantErr: "--namespace reads a live cluster"},
		{name: "zero timeout", args: []string{"--timeout", "0s"}, wantErr: "--timeout 0s"},
		{name: "bad timeout", args: []string{"--timeout", "soon"}, wantErr: "--timeout"},
		{name: "negative qps", args: []string{"--qps", "-1"}, wantErr: "--qps -1"},
		{name: "empty namespace", args: []string{"-n", ""}, wantErr: "empty namespace"},
		{name: "keep without out", args: []string{"--keep", "3"}, wantErr: "--keep needs --out DIR"},
		{name: "negative keep", args: []string{"--keep", "-1", "--out", "x"}, wantErr: "--keep -1"},
		{name: "keep with manifests", args: []string{"-f", "x", "--out", "o", "--keep", "2"},
			want: base(auditConfig{Manifests: []string{"x"}, Formats: []string{"json", "pdf", "text"}, Out: "o", Keep: 2})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseAuditFlags(c.args, &bytes.Buffer{}, c.tty)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.want.Now.IsZero() {
				got.Now = time.Time{}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHelpAndUsage(t *testing.T) {
	out, _, code := run(t, "", "audit", "--help")
	if code != ExitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--fail-on") {
		t.Errorf("audit --help: exit %d\n%s", code, out)
	}
	_, errOut, code := run(t, "", "bogus")
	if code != ExitError || !strings.Contains(errOut, `unknown command "bogus"`) {
		t.Errorf("bogus: exit %d, %q", code, errOut)
	}
}

// --stats shows where the time went on standard error; nothing of it
// reaches the report, which stays byte-for-byte reproducible.
func TestAuditStats(t *testing.T) {
	args := []string{"audit", "-f", "testdata/examples/compliant", "--now", fixedNow, "--format", "json"}
	plain, _, _ := run(t, "", args...)
	out, errOut, _ := run(t, "", append(args, "--stats")...)
	if out != plain {
		t.Error("--stats changed the report")
	}
	for _, want := range []string{"input conversion", "facts: location", "CONTROL", "MESH-02", "all controls"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stats lack %q:\n%s", want, errOut)
		}
	}
}

// Waivers follow the audit clock: the same file waives at one --now and
// is expired at a later one.
func TestWaiversFollowTheAuditClock(t *testing.T) {
	args := append([]string{"audit", "-f", "testdata/examples/nordic-fintech", "--format", "text"}, nordicArgs...)
	before, _, _ := run(t, "", append(args, "--now", fixedNow)...)
	after, _, _ := run(t, "", append(args, "--now", "2027-04-01T00:00:00Z")...)
	if !strings.Contains(before, "WAIVED       MESH-05") || !strings.Contains(before, "ACTIVE     W-2026-003") {
		t.Errorf("W-2026-003 should waive MESH-05 on %s:\n%s", fixedNow, before)
	}
	if !strings.Contains(after, "FAIL         MESH-05") || !strings.Contains(after, "EXPIRED    W-2026-003") {
		t.Errorf("W-2026-003 should have expired on 2027-04-01:\n%s", after)
	}
}

func TestProfilesShow(t *testing.T) {
	out, errOut, code := run(t, "", "profiles", "show", "testdata/profiles/nordic-fintech.yaml")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"name: nordic-fintech", "oslo-1: \"NO\"", "eu-west-2: GB", "meshMinProtocolVersion: TLSV1_3", "maxSamplingPercent: 10"} {
		if !strings.Contains(out, want) {
			t.Errorf("effective profile lacks %q", want)
		}
	}
	out, _, _ = run(t, "", "profiles", "list")
	if !strings.Contains(out, "eea") || !strings.Contains(out, "norway") {
		t.Errorf("profiles list: %s", out)
	}
}

func TestPoliciesListAndTest(t *testing.T) {
	out, _, code := run(t, "", "policies", "list")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, id := range []string{"MESH-01", "TLS-01", "TLS-04", "PKI-01", "EGR-01", "EGR-05", "LOC-01", "LOC-05", "BAK-01", "BAK-03", "RES-01", "RES-03", "ACC-01", "ACC-02"} {
		if !strings.Contains(out, id+" ") {
			t.Errorf("policies list lacks %s", id)
		}
	}
	out, errOut, code := run(t, "", "policies", "test")
	if code != ExitOK || !strings.Contains(out, " 0 failed") {
		t.Errorf("policies test: exit %d\n%s%s", code, out, errOut)
	}
}
