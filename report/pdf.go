package report

import (
	"bytes"
	_ "embed" // the PDF fonts
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/tilsyn/tilsyn/evaluate"
)

// The PDF embeds DejaVu Sans and DejaVu Sans Mono (Debian fonts-dejavu-core
// 2.37; Bitstream Vera licence, DejaVu changes in the public domain: see
// fonts/LICENSE) so that any text a cluster holds — Norwegian æ ø å, other
// accents, names in other scripts — renders as written. Only the glyphs a
// report uses are embedded in it.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontSansBold []byte
	//go:embed fonts/DejaVuSansMono.ttf
	fontMono []byte
)

// PDFOptions tune the PDF report.
type PDFOptions struct {
	// MaxRows is how many rows a table lists before it is aggregated by
	// namespace (the JSON always has every row); 0 means DefaultMaxRows.
	MaxRows int
	// MaxGroups is how many namespaces an aggregated table lists, those
	// with the most rows; the others are summed in one row. 0 means
	// DefaultMaxGroups.
	MaxGroups int
}

// Defaults of PDFOptions.
const (
	DefaultMaxRows   = 200
	DefaultMaxGroups = 50
)

// Page geometry, in millimetres (A4 portrait).
const (
	pageW        = 210.0
	pageH        = 297.0
	marginX      = 18.0
	marginTop    = 22.0
	marginBottom = 20.0
	contentW     = pageW - 2*marginX
)

// Font families registered in the document.
const (
	sans = "sans"
	mono = "mono"
)

type rgb struct{ r, g, b int }

// The palette.
var (
	colText   = rgb{33, 37, 41}
	colMuted  = rgb{108, 117, 125}
	colRule   = rgb{206, 212, 218}
	colHead   = rgb{43, 58, 74}
	colZebra  = rgb{244, 246, 248}
	colCode   = rgb{240, 242, 245}
	colPass   = rgb{25, 128, 56}
	colFail   = rgb{179, 38, 30}
	colWaived = rgb{31, 95, 170}
	colNA     = rgb{183, 110, 0}
)

// doc is a PDF report being rendered.
type doc struct {
	pdf       *fpdf.Fpdf
	r         *Report
	maxRows   int
	maxGroups int
	// invs are the evidence tables, built once (the cover lists them).
	invs []inventory
}

// The top-level sections, in order; each starts on a new page. The cover
// lists them with their page numbers.
const (
	secScope = iota
	secSummary
	secControls
	secEvidence
	secIntegrity
)

var sectionTitles = []string{
	secScope:     "Scope and method",
	secSummary:   "Executive summary",
	secControls:  "Controls",
	secEvidence:  "Evidence tables",
	secIntegrity: "Integrity and verification",
}

// pageAlias is replaced by the page number of section i when the PDF is
// written.
func pageAlias(i int) string { return fmt.Sprintf("{sec:%d}", i) }

// WritePDF writes the report as a PDF for people: cover, scope and
// method, executive summary, one section per control, the evidence
// tables and an integrity page. The output depends only on the report
// (creation date = the audit time, no random identifiers), so the same
// report always gives the same bytes. If the report is not sealed yet
// (integrity.reportSHA256 empty), WritePDF seals it first (see Marshal).
func WritePDF(w io.Writer, r *Report, opts PDFOptions) error {
	if r.Integrity.ReportSHA256 == "" {
		if _, err := Marshal(r); err != nil {
			return err
		}
	}
	d := newDoc(r, opts)
	d.cover()
	d.scopeAndMethod()
	d.executiveSummary()
	d.controlSections()
	d.evidenceTables()
	d.integrityPage()
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("render PDF: %w", err)
	}
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("write PDF: %w", err)
	}
	return nil
}

func newDoc(r *Report, opts PDFOptions) *doc {
	d := &doc{r: r, maxRows: opts.MaxRows, maxGroups: opts.MaxGroups}
	if d.maxRows <= 0 {
		d.maxRows = DefaultMaxRows
	}
	if d.maxGroups <= 0 {
		d.maxGroups = DefaultMaxGroups
	}
	p := fpdf.New("P", "mm", "A4", "")
	d.pdf = p
	at := r.Metadata.GeneratedAt
	p.SetCreationDate(at)
	p.SetModificationDate(at)
	p.SetCatalogSort(true)
	p.SetCompression(true)
	p.SetTitle("GDPR and Schrems II audit evidence: "+d.subject(), true)
	p.SetSubject("Audit of "+d.subject()+" against profile "+r.Metadata.Profile, true)
	p.SetCreator("tilsyn "+r.Metadata.ToolVersion, true)
	p.SetProducer("tilsyn "+r.Metadata.ToolVersion, true)
	p.SetLang("en")
	// fpdf writes into the font bytes while it subsets composite glyphs
	// (å, é, ...): every document gets its own copy, or one document's
	// glyphs would change the next one's bytes.
	p.AddUTF8FontFromBytes(sans, "", bytes.Clone(fontSans))
	p.AddUTF8FontFromBytes(sans, "B", bytes.Clone(fontSansBold))
	p.AddUTF8FontFromBytes(mono, "", bytes.Clone(fontMono))
	p.SetMargins(marginX, marginTop, marginX)
	p.SetCellMargin(0) // text starts where the tables' and paragraphs' edges are
	p.SetAutoPageBreak(true, marginBottom)
	p.AliasNbPages("{nb}")
	p.SetHeaderFuncMode(d.header, true)
	p.SetFooterFunc(d.footer)
	return d
}

// subject names what was audited in a few words.
func (d *doc) subject() string {
	m := d.r.Metadata
	if c := m.Cluster; c != nil {
		switch {
		case c.Context != "":
			return "cluster " + c.Context
		case c.Server != "":
			return "cluster " + c.Server
		}
	}
	if m.Source.Type == "manifests" && len(m.Source.Paths) > 0 {
		return "manifests " + strings.Join(m.Source.Paths, ", ")
	}
	return m.Source.Type
}

func (d *doc) header() {
	p := d.pdf
	if p.PageNo() == 1 {
		return
	}
	d.font(sans, "", 7.5, colMuted)
	p.SetXY(marginX, 10)
	left := "tilsyn · GDPR and Schrems II audit evidence"
	leftW := p.GetStringWidth(left) + 6
	p.CellFormat(leftW, 4, left, "", 0, "L", false, 0, "")
	tail := " · " + d.r.Metadata.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC") + " · " + strings.ToUpper(d.r.Summary.Verdict)
	subject := []rune(d.subject())
	for len(subject) > 1 && p.GetStringWidth(string(subject)+"…"+tail) > contentW-leftW {
		subject = subject[:len(subject)-1]
	}
	right := string(subject)
	if right != d.subject() {
		right += "…"
	}
	p.CellFormat(contentW-leftW, 4, right+tail, "", 0, "R", false, 0, "")
	d.rule(15)
}

func (d *doc) footer() {
	p := d.pdf
	if p.PageNo() == 1 {
		return
	}
	d.rule(pageH - 13)
	d.font(sans, "", 7.5, colMuted)
	p.SetXY(marginX, pageH-12)
	p.CellFormat(contentW/2, 4, "Report SHA-256 "+shortDigest(d.r.Integrity.ReportSHA256), "", 0, "L", false, 0, "")
	p.CellFormat(contentW/2, 4, fmt.Sprintf("Page %d of {nb}", p.PageNo()), "", 0, "R", false, 0, "")
}

// rule draws a thin horizontal line across the text width at y.
func (d *doc) rule(y float64) {
	d.pdf.SetDrawColor(colRule.r, colRule.g, colRule.b)
	d.pdf.SetLineWidth(0.2)
	d.pdf.Line(marginX, y, pageW-marginX, y)
}

func (d *doc) font(family, style string, size float64, c rgb) {
	d.pdf.SetFont(family, style, size)
	d.pdf.SetTextColor(c.r, c.g, c.b)
}

// newSection starts top-level section i on a new page, with a bookmark
// and its page number for the contents.
func (d *doc) newSection(i int) {
	p := d.pdf
	p.AddPage()
	p.RegisterAlias(pageAlias(i), fmt.Sprint(p.PageNo()))
	title := fmt.Sprintf("%d  %s", i+1, sectionTitles[i])
	p.Bookmark(title, 0, -1)
	d.font(sans, "B", 16, colHead)
	p.MultiCell(contentW, 8, title, "", "L", false)
	p.Ln(2)
}

// heading is a second-level heading; it moves to a new page when less
// than need millimetres remain below it.
func (d *doc) heading(title string, need float64) {
	p := d.pdf
	d.ensure(need + 10)
	p.Ln(3)
	p.Bookmark(title, 1, -1)
	d.font(sans, "B", 11.5, colHead)
	p.MultiCell(contentW, 5.5, title, "", "L", false)
	p.Ln(1)
}

// subheading is a small bold label above a block.
func (d *doc) subheading(title string) {
	d.ensure(14)
	d.pdf.Ln(1.5)
	d.font(sans, "B", 9, colHead)
	d.pdf.MultiCell(contentW, 4.5, title, "", "L", false)
	d.pdf.Ln(0.5)
}

// ensure starts a new page unless h millimetres remain on this one.
func (d *doc) ensure(h float64) {
	if d.pdf.GetY()+h > pageH-marginBottom {
		d.pdf.AddPage()
	}
}

// para writes a wrapped paragraph.
func (d *doc) para(text string) {
	d.font(sans, "", 9, colText)
	d.pdf.MultiCell(contentW, 4.4, clean(text), "", "L", false)
	d.pdf.Ln(1.2)
}

// note writes a small muted paragraph.
func (d *doc) note(text string) {
	d.font(sans, "", 7.5, colMuted)
	d.pdf.MultiCell(contentW, 3.6, clean(text), "", "L", false)
	d.pdf.Ln(1)
}

// code writes preformatted text (remediation, commands) on a tinted block,
// under an optional subheading kept on the same page. Blocks of up to
// 25 lines are not split across pages.
func (d *doc) code(title, text string) {
	p := d.pdf
	const lh = 3.6
	d.font(mono, "", 7.5, colText)
	lines := d.wrap(clean(strings.TrimRight(text, "\n")), contentW-6)
	need := float64(min(len(lines), 25))*lh + 3
	if title != "" {
		need += 8
	}
	d.ensure(need)
	if title != "" {
		d.subheading(title)
		d.font(mono, "", 7.5, colText)
	}
	for len(lines) > 0 {
		room := int((pageH - marginBottom - p.GetY() - 2) / lh)
		if room < 2 {
			p.AddPage()
			d.font(mono, "", 7.5, colText)
			continue
		}
		n := min(room, len(lines))
		y := p.GetY()
		p.SetFillColor(colCode.r, colCode.g, colCode.b)
		p.Rect(marginX, y, contentW, float64(n)*lh+2, "F")
		for i, l := range lines[:n] {
			p.SetXY(marginX+3, y+1+float64(i)*lh)
			p.CellFormat(contentW-6, lh, l, "", 0, "L", false, 0, "")
		}
		p.SetXY(marginX, y+float64(n)*lh+2)
		lines = lines[n:]
	}
	p.Ln(1.5)
}

// keyValues writes label: value lines, the values wrapped.
func (d *doc) keyValues(labelW float64, kv [][2]string) {
	p := d.pdf
	for _, e := range kv {
		d.font(sans, "", 9, colText)
		lines := d.wrap(clean(e[1]), contentW-labelW)
		d.ensure(float64(min(len(lines), 3)) * 4.6)
		y := p.GetY()
		d.font(sans, "B", 9, colMuted)
		p.SetXY(marginX, y)
		p.CellFormat(labelW, 4.6, e[0], "", 0, "L", false, 0, "")
		d.font(sans, "", 9, colText)
		d.flow(marginX+labelW, y, contentW-labelW, 4.6, lines)
	}
	p.Ln(1.5)
}

// flow writes lines from (x, y) down, continuing on a new page when one
// fills, and leaves the cursor at the left margin below them.
func (d *doc) flow(x, y, w, lh float64, lines []string) {
	p := d.pdf
	for _, l := range lines {
		if y+lh > pageH-marginBottom {
			p.AddPage() // restores the font and colours after the header
			y = p.GetY()
		}
		p.SetXY(x, y)
		p.CellFormat(w, lh, l, "", 0, "L", false, 0, "")
		y += lh
	}
	p.SetXY(marginX, y)
}

// badge draws a coloured label at the current position and moves right.
func (d *doc) badge(text string, c rgb, size float64) {
	p := d.pdf
	d.font(sans, "B", size, rgb{255, 255, 255})
	w := p.GetStringWidth(text) + 4
	h := size * 0.55
	p.SetFillColor(c.r, c.g, c.b)
	p.CellFormat(w, h, text, "", 0, "C", true, 0, "")
}

func statusColour(s string) rgb {
	switch s {
	case "pass", Compliant:
		return colPass
	case "fail", NonCompliant:
		return colFail
	case "waived":
		return colWaived
	default:
		return colNA
	}
}

// statusLabel is a status or verdict as a label: PASS, NOT ASSESSED,
// NON-COMPLIANT.
func statusLabel(s string) string {
	if s == string(evaluate.NotAssessed) {
		return "NOT ASSESSED"
	}
	return strings.ToUpper(s)
}

func shortDigest(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// clean makes text safe to lay out: tabs become spaces, carriage returns
// and other control characters (except newlines) are dropped.
func clean(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r == '\n':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
