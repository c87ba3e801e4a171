package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
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
		"Verdict: NON-COMPLIANT", "MESH-01", "MESH-02", "NO-01", "LOC-01", "NOT ASSESSED", "PASS", "FAIL",
		"Art. 32(1)(a)", "nodes forbidden: RBAC denied list",
		// Findings: resource, field, value; remediation.
		"hovedbok/hovedbok-db", `"PERMISSIVE"`, "spec.portLevelMtls[9090].mode", "null (not set)", "mode: STRICT",
		// Norwegian text from the cluster and the policies.
		"oslo-prod-æøå", "Navnerom med personopplysninger har en behandlingsansvarlig", "æøå ÆØÅ é",
		"Navnerommet «hovedbok» mangler behandlingsansvarlig (påkrevd før overføring)", "Økonomi, Tromsø",
		// Coverage gap in words, digests.
		"Node objects (nodes) were not collected", strings.Repeat("a", 64), r.Integrity.ReportSHA256,
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
	_, text, pages := pdfText(t, r, PDFOptions{MaxRows: 100, MaxGroups: 20})
	for _, want := range []string{
		"3000 rows in 80 namespaces", "aggregated by namespace", "The JSON report (inventory.mtls) lists every row.",
		"3000 findings in 80 namespaces", "controls[id=MESH-02].findings", "60 other namespaces",
	} {
		if !strings.Contains(squash(text), squash(want)) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	if strings.Contains(text, "workload-02999") {
		t.Error("an aggregated table lists a single workload")
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
