package report

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/mesh"
)

var auditTime = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// norwegianReport is a small report whose cluster, scope, controls and
// findings carry Norwegian text, one control of every status, and
// cluster-scoped and namespaced resources.
func norwegianReport() *Report {
	controls := []Control{
		{
			ID: "MESH-02", Title: "Personal-data workloads resolve to STRICT mTLS on every port", Severity: "high",
			Status: evaluate.Fail, Articles: []string{"32(1)(a)", "25(2)"}, Source: "policies/mesh/mesh_02.rego",
			Description: "The effective mode of every workload and port in a personal-data namespace.",
			References:  []string{"EDPB Recommendations 01/2020 v2.0, use case 3 (data in transit)"},
			Remediation: "Set the namespace policy to STRICT:\n  spec:\n    mtls:\n      mode: STRICT",
			Findings: []Finding{
				{Resource: evaluate.Resource{Kind: "Deployment", Namespace: "betaling", Name: "betalings-api-with-a-very-long-name-that-has-to-wrap-somewhere"},
					Field: "PeerAuthentication betaling/default spec.portLevelMtls[9090].mode", Value: "DISABLE",
					Message: "Deployment betaling/betalings-api accepts DISABLE on port 9090", Severity: "high"},
				{Resource: evaluate.Resource{Kind: "StatefulSet", Namespace: "hovedbok", Name: "hovedbok-db"},
					Field: "PeerAuthentication hovedbok/default spec.mtls.mode", Value: "PERMISSIVE",
					Message: "StatefulSet hovedbok/hovedbok-db accepts PERMISSIVE on every port", Severity: "medium"},
			},
		},
		{
			ID: "NO-01", Title: "Navnerom med personopplysninger har en behandlingsansvarlig", Severity: "low",
			Status: evaluate.Fail, Articles: []string{"5(2)"}, Source: "policies/no_01.rego",
			Description: "Hvert navnerom som behandler personopplysninger skal ha en behandlingsansvarlig – æøå ÆØÅ é.",
			Remediation: "kubectl annotate namespace <navnerom> tilsyn.io/behandlingsansvarlig=\"Økonomi, Tromsø\"",
			Findings: []Finding{
				{Resource: evaluate.Resource{Kind: "Namespace", Name: "hovedbok"},
					Field: "metadata.annotations[tilsyn.io/behandlingsansvarlig]", Value: nil,
					Message: "Navnerommet «hovedbok» mangler behandlingsansvarlig (påkrevd før overføring)", Severity: "low"},
			},
		},
		{ID: "MESH-01", Title: "Mesh-wide mutual TLS is STRICT", Severity: "high", Status: evaluate.Pass,
			Articles: []string{"5(1)(f)", "32(1)(a)"}, Source: "policies/mesh/mesh_01.rego", Findings: []Finding{}},
		{ID: "BAK-01", Title: "Backups are kept in allowed regions", Severity: "critical", Status: evaluate.NotAssessed,
			Articles: []string{"44"}, Source: "policies/bak/bak_01.rego", Findings: []Finding{},
			NotAssessed: []evaluate.Gap{{Reason: "backupstoragelocations forbidden: RBAC denied list"}}},
		{ID: "EGR-02", Title: "External destinations outside the allowed countries have a transfer basis", Severity: "high",
			Status: evaluate.Waived, Articles: []string{"30(1)(e)", "44"}, Source: "policies/egr/egr_02.rego",
			Findings: []Finding{{Resource: evaluate.Resource{Kind: "ServiceEntry", Namespace: "betaling", Name: "kortinnløser"},
				Field: "spec.hosts[0]", Value: "otel.sporing.example", Severity: "high",
				Message: "ServiceEntry betaling/kortinnløser lets personal-data workloads reach otel.sporing.example, of unknown country",
				Waiver:  &evaluate.WaiverRef{Ref: "W-2026-007", Justification: waiverJustification, ApprovedBy: "Åse Ødegård, personvernombud", Expires: "2027-03-31"}}}},
	}
	r := &Report{
		APIVersion: APIVersion, Kind: Kind,
		Metadata: Metadata{
			ToolVersion: "test", GeneratedAt: auditTime, CollectedAt: auditTime.Add(-time.Hour),
			Source:  collect.Source{Type: "live"},
			Cluster: &collect.Cluster{Context: "oslo-prod-æøå", Server: "https://10.0.0.1:6443", UID: "5f0c-uid"},
			Profile: "eea", Waivers: "waivers/tilsyn-waivers.yaml",
		},
		Scope: Scope{PersonalData: PersonalDataScope{
			Scope:     evaluate.Scope{Selector: "tilsyn.io/personal-data=true", Namespaces: []string{"betaling", "hovedbok"}},
			Statement: "Namespaces matching the personal-data selector process personal data.",
		}},
		Controls: controls,
		Inventory: Inventory{Transfers: fixtureTransfers(), Storage: fixtureStorage(), Nodes: fixtureNodes(), Backups: fixtureBackups(), MTLS: []mesh.Row{
			{Namespace: "betaling", Workload: mesh.WorkloadID{Kind: "Deployment", Name: "betalings-api"}, Port: 0, Mode: "STRICT",
				Policy: "betaling/default", Field: "spec.mtls.mode", Sidecar: true, Encrypted: true},
			{Namespace: "betaling", Workload: mesh.WorkloadID{Kind: "Deployment", Name: "betalings-api"}, Port: 9090, Mode: "DISABLE",
				Policy: "betaling/default", Field: "spec.portLevelMtls[9090].mode", Sidecar: true},
			{Namespace: "hovedbok", Workload: mesh.WorkloadID{Kind: "StatefulSet", Name: "hovedbok-db"}, Mode: "PERMISSIVE",
				Policy: "default", Sidecar: true, ClientDisable: []string{"hovedbok/eldre-klienter"}},
		}},
		Coverage: []collect.Coverage{
			{Resource: "namespaces", Kind: "Namespace", Status: collect.Collected, Count: 2},
			{Resource: "nodes", Kind: "Node", Status: collect.Collected, Count: 4},
			{Resource: "configmaps", Kind: "ConfigMap", Status: collect.Collected, Count: 1},
			{Resource: "persistentvolumes", Kind: "PersistentVolume", Status: collect.Collected, Count: 2},
			{Resource: "peerauthentications", Kind: "PeerAuthentication", Group: "security.istio.io", Status: collect.Collected, Count: 2},
			{Resource: "destinationrules", Kind: "DestinationRule", Group: "networking.istio.io", Status: collect.Collected, Count: 2},
			{Resource: "serviceentries", Kind: "ServiceEntry", Group: "networking.istio.io", Status: collect.Collected, Count: 2},
			{Resource: "telemetries", Kind: "Telemetry", Group: "telemetry.istio.io", Status: collect.Collected},
			{Resource: "backupstoragelocations", Kind: "BackupStorageLocation", Group: "velero.io", Status: collect.Forbidden, Reason: "RBAC denied list"},
			{Resource: "volumesnapshotlocations", Kind: "VolumeSnapshotLocation", Group: "velero.io", Status: collect.Collected, Count: 1},
		},
		Waivers: fixtureWaivers(),
		Integrity: Integrity{SnapshotSHA256: strings.Repeat("a", 64), PolicySHA256: strings.Repeat("b", 64), ProfileSHA256: strings.Repeat("c", 64),
			WaiversSHA256: strings.Repeat("d", 64)},
	}
	r.Summary = Summarise(r.Controls)
	return r
}

// bigReport has rows mTLS rows and findings spread over namespaces.
func bigReport(rows, namespaces int) *Report {
	r := norwegianReport()
	r.Inventory.MTLS = nil
	var findings []Finding
	for i := range rows {
		ns := fmt.Sprintf("ns-%03d", i%namespaces)
		name := fmt.Sprintf("workload-%05d", i)
		r.Inventory.MTLS = append(r.Inventory.MTLS, mesh.Row{Namespace: ns, Workload: mesh.WorkloadID{Kind: "Deployment", Name: name},
			Mode: []string{"STRICT", "PERMISSIVE", "DISABLE"}[i%3], Policy: ns + "/default", Field: "spec.mtls.mode", Sidecar: i%4 != 0, Encrypted: i%3 == 0 && i%4 != 0})
		findings = append(findings, Finding{Resource: evaluate.Resource{Kind: "Deployment", Namespace: ns, Name: name},
			Field: "spec.mtls.mode", Value: "PERMISSIVE", Message: "accepts PERMISSIVE", Severity: "medium"})
	}
	r.Controls[0].Findings = findings
	r.Summary = Summarise(r.Controls)
	return r
}

// pdfText renders r and returns the PDF bytes, its text as pdftotext
// extracts it, and its page count.
func pdfText(t *testing.T, r *Report, opts PDFOptions) ([]byte, string, int) {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePDF(&buf, r, opts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), popplerText(t, path), popplerPages(t, path)
}

// popplerText runs pdftotext (poppler-utils; `make pdftools` installs it)
// in content-stream order (-raw): the lines of a table cell come one after
// the other, and a name wrapped after a hyphen keeps it (the reading-order
// mode joins such lines and drops the hyphen).
func popplerText(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-raw", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v (install poppler-utils: make pdftools)", path, err)
	}
	return string(out)
}

func popplerPages(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v (install poppler-utils: make pdftools)", path, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("pdfinfo %s: no page count", path)
	return 0
}
