package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// squash drops all white space, so that names wrapped across lines in a
// table cell can be found.
func squash(s string) string {
	return regexp.MustCompile(`\s+`).ReplaceAllString(s, "")
}

func TestPDFContents(t *testing.T) {
	r := norwegianReport()
	_, text, pages := pdfText(t, r, PDFOptions{})
	for _, want := range []string{
		// Sections and the running header and footer.
		"1 Scope and method", "2 Executive summary", "3 Controls", "4 Evidence tables", "5 Integrity and verification",
		"Personal-data scope", "Coverage", "By GDPR article", "By severity", "mTLS inventory", "How to verify",
		"tilsyn · GDPR and Schrems II audit evidence", "Page 2 of ",
		// Verdict, controls and their statuses.
		"Verdict: NON-COMPLIANT", "MESH-01", "MESH-02", "NO-01", "BAK-01", "NOT ASSESSED", "PASS", "FAIL",
		"Art. 32(1)(a)", "backupstoragelocations forbidden: RBAC denied list",
		// Findings: resource, field, value; remediation.
		"hovedbok/hovedbok-db", `"PERMISSIVE"`, "spec.portLevelMtls[9090].mode", "null (not set)", "mode: STRICT",
		// Norwegian text from the cluster and the policies.
		"oslo-prod-æøå", "Navnerom med personopplysninger har en behandlingsansvarlig", "æøå ÆØÅ é",
		"Navnerommet «hovedbok» mangler behandlingsansvarlig (påkrevd før overføring)", "Økonomi, Tromsø",
		// Coverage gap in words, digests.
		"BackupStorageLocation objects (backupstoragelocations) were not collected", strings.Repeat("a", 64), r.Integrity.ReportSHA256,
		// mTLS inventory.
		"betalings-api", "hovedbok/eldre-klienter", "istiod's default",
		"betalings-api-with-a-very-long-name-that-has-to-wrap-somewhere",
	} {
		// Table cells wrap: compare without white space.
		if !strings.Contains(squash(text), squash(want)) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	if pages < 6 || pages > 12 {
		t.Errorf("%d pages, want 6 to 12", pages)
	}
	if r.Integrity.ReportSHA256 == "" {
		t.Error("WritePDF did not seal the report")
	}
}

// The evidence tables: every inventory of the JSON and the waivers, with
// owner-declared transfer bases set apart from the auditor's waivers.
func TestPDFEvidenceTables(t *testing.T) {
	_, text, _ := pdfText(t, norwegianReport(), PDFOptions{})
	evidence := text[strings.Index(text, "4 Evidence tables\n"):strings.Index(text, "5 Integrity and verification\n")]
	for _, want := range []string{
		"mTLS inventory", "Transfer inventory (Art. 30(1)(e))", "Storage residency", "Nodes", "Backup locations",
		"Waivers approved by the auditor",
		// Transfers: host, declaring resource, TLS origination, country
		// evidence, the owner's basis and an unaccepted one.
		"api.eu-west.payments.card-acquirer-with-a-rather-long-hostname.example.com", "ServiceEntry betaling/kortinnløser",
		"hovedbok/oppgjørsbank", "profile spec.transfers.destinations[*.example.com]", "Basis declared by the resource owner",
		"kontrakt (not an accepted basis)", "2 destinations have a transfer basis declared by the resource owner",
		"it is not an approval by the auditor",
		// Storage: the London volume with its region, one without evidence.
		"pvc-2b8d4f6a-1c3e-4a5b-8d7f-9e0a1b2c3d4e", "topology.ebs.csi.aws.com/zone = eu-west-2a (region eu-west-2)", "GB",
		"lokal-disk-tromsø-01", "none: no topology",
		// Nodes: region, zone, provider and jurisdiction; a node without labels.
		"ip-10-0-16-4.eu-north-1.compute.internal", "eu-north-1a", "Amazon Web Services", "oslo-bm-01", "oslo-1-rack3",
		"Nordisk Drift AS, Tromsø", "node-uten-etiketter", "none (no region or zone label)",
		"eu-west-2 providerID names eu-north-1",
		// Backups: what was collected, and what was not.
		"VolumeSnapshotLocation velero/aws-london", "country from spec.config.region",
		"BackupStorageLocation objects (backupstoragelocations) were not collected",
		"The table lists what was collected; it may be incomplete.",
		// Waivers: justification, approver, expiry, status, what they cover.
		waiverJustification, "Åse Ødegård, personvernombud", "2027-03-31", "W-2026-007", "active", "waives 1:",
		"EGR-02 ServiceEntry betaling/kortinnløser", "expired", "2026-10-31", "Deployment in betaling with labels app=betalings-api",
		"incomplete", "waivers[2] is incomplete: waivers[2].approvedBy: missing: who approved the waiver",
		"waivers/tilsyn-waivers.yaml",
	} {
		if !strings.Contains(squash(evidence), squash(want)) {
			t.Errorf("the evidence tables lack %q", want)
		}
	}
	// Dates and short names are not broken across lines.
	for _, whole := range []string{"2027-03-31", "2026-10-31", "oslo-1-rack3", "W-2026-007"} {
		if !strings.Contains(evidence, whole) {
			t.Errorf("%q is broken across lines", whole)
		}
	}
	// The cover lists the tables; the method names what was derived.
	for _, want := range []string{
		"Transfer inventory (Art. 30(1)(e)) page", "Waivers approved by the auditor page",
		"encryption in transit, transfers out of the cluster, backups and 1 other control (NO-01)",
		"every destination outside the cluster that data can reach (3 destinations)",
		"where data is: 4 nodes, 2 volumes bound to personal-data claims and 1 Velero location",
		"Waivers approved by the auditor came from waivers/tilsyn-waivers.yaml (3 waivers)",
	} {
		if !strings.Contains(squash(text), squash(want)) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
}

// Without a waiver file or inventories the tables say so, and the cover
// speaks only of the controls the report has.
func TestPDFEmptyEvidenceTables(t *testing.T) {
	r := norwegianReport()
	r.Metadata.Waivers, r.Waivers = "", nil
	r.Inventory = Inventory{}
	r.Controls = r.Controls[:3]
	r.Summary = Summarise(r.Controls)
	_, text, _ := pdfText(t, r, PDFOptions{})
	for _, want := range []string{
		"No waiver file was given to the audit (--waivers): no finding is waived.",
		"No destination outside the cluster", "No PersistentVolume is bound to a claim in a personal-data namespace.",
		"The snapshot holds no nodes.",
		// BackupStorageLocations were not collected: an empty table proves nothing.
		"Nothing is listed, and that says nothing about the cluster: an input this table needs was not collected.",
		"Encryption in transit and 1 other control (NO-01): 3 controls and the evidence behind them",
	} {
		if !strings.Contains(squash(text), squash(want)) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	for _, unwanted := range []string{"transfers out of the cluster", "data location", "where data is", "No Velero backup"} {
		if strings.Contains(squash(text), squash(unwanted)) {
			t.Errorf("the PDF speaks of %q, which its controls do not cover", unwanted)
		}
	}
}

// The cover lists the sections with the pages they start on.
func TestPDFContentsPageNumbers(t *testing.T) {
	_, text, _ := pdfText(t, norwegianReport(), PDFOptions{})
	m := regexp.MustCompile(`Controls\s+page (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no page number for the Controls section in the contents:\n%s", text[:min(len(text), 3000)])
	}
	pages := strings.Split(text, "\f")
	n := 0
	fmt.Sscan(m[1], &n)
	if n < 1 || n > len(pages) || !strings.Contains(pages[n-1], "3 Controls") {
		t.Errorf("the contents say Controls starts on page %s, but it is not there", m[1])
	}
}

// The same report gives the same bytes; another audit time, other bytes.
func TestPDFDeterministic(t *testing.T) {
	render := func(r *Report) []byte {
		var buf bytes.Buffer
		if err := WritePDF(&buf, r, PDFOptions{}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := render(norwegianReport())
	// Another document in between must not change the next one (fpdf
	// once shared state between documents through the font bytes).
	render(bigReport(300, 7))
	for i := range 5 {
		if again := render(norwegianReport()); !bytes.Equal(first, again) {
			t.Fatalf("render %d differs from the first", i+2)
		}
	}
	// A report read back from its JSON renders to the same bytes.
	data, err := Marshal(norwegianReport())
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := DecodeJSON("report.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, render(decoded)) {
		t.Error("the report decoded from its JSON renders differently")
	}
	later := norwegianReport()
	later.Metadata.GeneratedAt = later.Metadata.GeneratedAt.Add(time.Hour)
	if bytes.Equal(first, render(later)) {
		t.Error("a different audit time gives the same PDF")
	}
	if !bytes.Contains(first, []byte("/CreationDate (D:20261121120000")) {
		t.Error("the creation date is not the audit time")
	}
}

// Above the row limit, tables are aggregated by namespace and say where
// every row is.
func TestPDFAggregatesLargeTables(t *testing.T) {
	r := bigReport(3000, 80)
	manyInventories(r, 3000, 80)
	_, text, pages := pdfText(t, r, PDFOptions{MaxRows: 100, MaxGroups: 20})
	for _, want := range []string{
		"3000 rows in 80 namespaces", "aggregated by namespace", "The JSON report (inventory.mtls) lists every row.",
		"3000 findings in 80 namespaces", "controls[id=MESH-02].findings", "60 other namespaces",
		"3000 destinations in 80 namespaces", "The JSON report (inventory.transfers) lists every destination.",
		"3000 volumes in 80 namespaces", "The JSON report (inventory.storage) lists every volume.",
		"3000 nodes in 80 regions", "aggregated by region", "The JSON report (inventory.nodes) lists every node.",
		"60 other regions", "NO 13 · US 13 · unknown 12",
		// What the summary columns count.
		"Destinations Hosts Protocol", "Country Allowed Declared basis",
	} {
		if !strings.Contains(squash(text), squash(want)) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	for _, name := range []string{"workload-02999", "host-02999", "pvc-02999", "node-02999"} {
		if strings.Contains(text, name) {
			t.Errorf("an aggregated table lists %s", name)
		}
	}
	if pages > 20 {
		t.Errorf("%d pages for an aggregated report, want at most 20", pages)
	}
	// Below the limit every row is listed.
	small := bigReport(40, 5)
	_, text, _ = pdfText(t, small, PDFOptions{MaxRows: 100})
	if !strings.Contains(text, "workload-00039") || strings.Contains(text, "40 rows in 5 namespaces") {
		t.Error("a table under the row limit is not listed in full")
	}
}

func TestWrap(t *testing.T) {
	d := newDoc(norwegianReport(), PDFOptions{})
	d.pdf.AddPage()
	d.font(sans, "", 8, colText)
	cases := []string{
		"spec.template.metadata.annotations[traffic.sidecar.istio.io/excludeOutboundIPRanges]",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"Navnerommet «hovedbok» mangler behandlingsansvarlig (påkrevd før overføring)",
		"two\nlines",
		"",
	}
	for _, text := range cases {
		lines := d.wrap(text, 30)
		for _, l := range lines {
			if w := d.pdf.GetStringWidth(l); w > 30.01 {
				t.Errorf("wrap(%q): line %q is %.1f mm wide, want at most 30", text, l, w)
			}
		}
		if got := strings.Join(lines, ""); squash(got) != squash(text) {
			t.Errorf("wrap(%q) lost text: %q", text, lines)
		}
	}
	if got := d.wrap("two\nlines", 30); len(got) != 2 {
		t.Errorf("wrap kept %d lines of two", len(got))
	}
}

func TestShareWidths(t *testing.T) {
	cases := []struct {
		name       string
		minW, natW []float64
	}{
		{"everything fits", []float64{5, 5, 5}, []float64{10, 20, 30}},
		{"prose column", []float64{20, 10, 25, 8}, []float64{40, 12, 70, 9}},
		{"words overflow", []float64{80, 80, 80}, []float64{90, 90, 90}},
		{"nothing wraps", []float64{60, 70, 50}, []float64{60, 70, 50}},
	}
	for _, c := range cases {
		w := shareWidths(c.minW, c.natW, 160, 1)
		want := 160 + 2*float64(len(w))
		if got := totalOf(w); got < want-0.01 || got > want+0.01 {
			t.Errorf("%s: widths %v add up to %.2f, want %.0f", c.name, w, got, want)
		}
		for i, x := range w {
			if x <= 0 || x != x {
				t.Errorf("%s: column %d width %v", c.name, i, x)
			}
		}
	}
}

// Words break after / . - : , = but never leave two characters or fewer
// at a word's start or end; the pieces join back to the text.
func TestTokens(t *testing.T) {
	cases := map[string][]string{
		"reported by ACC-02":      {"reported ", "by ", "ACC-02"},
		"eu-west-2a":              {"eu-west-2a"},
		"api.vipps.no x":          {"api.", "vipps.no ", "x"},
		"spec.tls.mode":           {"spec.", "tls.", "mode"},
		"MESH_EXTERNAL":           {"MESH_EXTERNAL"},
		"payments/card-processor": {"payments/", "card-", "processor"},
		"":                        nil,
	}
	for text, want := range cases {
		got := tokens(text)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tokens(%q) (-want +got):\n%s", text, diff)
		}
		if strings.Join(got, "") != text {
			t.Errorf("tokens(%q) lost text: %q", text, got)
		}
	}
}
