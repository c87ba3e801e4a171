package report

import (
	"strings"
	"unicode/utf8"
)

// column is one column of a PDF table.
type column struct {
	header string
	align  string // "L" (default), "C" or "R"
	mono   bool   // digests, fields and values; the header stays bold sans
}

// cellStyle colours one cell.
type cellStyle struct {
	colour *rgb
	bold   bool
}

// table is a table as the PDF shows it.
type table struct {
	columns []column
	rows    [][]string
	// style, when set, styles a cell (row and column indexes of rows).
	style func(row, col int) cellStyle
}

func (t table) cellStyle(row, col int) cellStyle {
	if t.style == nil {
		return cellStyle{}
	}
	return t.style(row, col)
}

// Table layout, in millimetres and points.
const (
	tableFont    = 7.5
	tableLine    = 3.5
	tablePadX    = 1.3
	tablePadY    = 0.9
	maxCellLines = 30 // a longer cell is cut; the JSON has the whole value
	// keepWhole: a line no wider (a date, a zone, a short host) is not
	// broken unless the columns' words alone overflow the page.
	keepWhole = 18.0
)

// table draws a table across the text width: cells wrap (long names break
// at / . - and the like), rows never split across pages, and the header
// repeats on every page the table runs onto.
func (d *doc) table(t table) {
	p := d.pdf
	widths := d.columnWidths(t)
	// layout wraps row r (-1: the header).
	layout := func(cells []string, r int) ([][]string, float64) {
		lines := make([][]string, len(t.columns))
		n := 1
		for c := range t.columns {
			text := ""
			if c < len(cells) {
				text = cells[c]
			}
			d.setCellFont(t.columns[c], r < 0 || t.cellStyle(r, c).bold)
			lines[c] = d.wrap(clean(text), widths[c]-2*tablePadX)
			if len(lines[c]) > maxCellLines {
				lines[c] = append(lines[c][:maxCellLines-1], "… (cut here; the JSON report has the whole value)")
			}
			n = max(n, len(lines[c]))
		}
		return lines, float64(n)*tableLine + 2*tablePadY
	}
	headers := make([]string, len(t.columns))
	for i, c := range t.columns {
		headers[i] = c.header
	}
	headLines, headH := layout(headers, -1)
	drawHeader := func() {
		y := p.GetY()
		p.SetFillColor(colHead.r, colHead.g, colHead.b)
		p.Rect(marginX, y, contentW, headH, "F")
		x := marginX
		for c, col := range t.columns {
			d.setCellFont(col, true)
			p.SetTextColor(255, 255, 255)
			d.cellLines(x, y, widths[c], headLines[c], col.align)
			x += widths[c]
		}
		p.SetXY(marginX, y+headH)
	}
	if len(t.rows) == 0 {
		return
	}
	_, firstH := layout(t.rows[0], 0)
	d.ensure(headH + firstH)
	drawHeader()
	for r, cells := range t.rows {
		lines, h := layout(cells, r)
		if p.GetY()+h > pageH-marginBottom {
			p.AddPage()
			drawHeader()
		}
		y := p.GetY()
		if r%2 == 1 {
			p.SetFillColor(colZebra.r, colZebra.g, colZebra.b)
			p.Rect(marginX, y, contentW, h, "F")
		}
		x := marginX
		for c, col := range t.columns {
			st := t.cellStyle(r, c)
			d.setCellFont(col, st.bold)
			if st.colour != nil {
				p.SetTextColor(st.colour.r, st.colour.g, st.colour.b)
			}
			d.cellLines(x, y, widths[c], lines[c], col.align)
			x += widths[c]
		}
		p.SetDrawColor(colRule.r, colRule.g, colRule.b)
		p.SetLineWidth(0.1)
		p.Line(marginX, y+h, marginX+contentW, y+h)
		p.SetXY(marginX, y+h)
	}
	p.Ln(2.5)
}

// columnWidths sizes the columns to their content, as browsers size HTML
// tables: each column gets at least its longest unbreakable word, and the
// rest of the text width is shared in proportion to how much wider each
// column's longest cell is. Columns are never narrower than their words
// unless those alone overflow the page.
func (d *doc) columnWidths(t table) []float64 {
	n := len(t.columns)
	minW, natW := make([]float64, n), make([]float64, n)
	measure := func(c int, text string, bold bool) {
		d.setCellFont(t.columns[c], bold)
		for _, para := range strings.Split(text, "\n") {
			w := d.pdf.GetStringWidth(para)
			natW[c] = max(natW[c], w)
			if w <= keepWhole {
				minW[c] = max(minW[c], w)
				continue
			}
			for _, tok := range tokens(para) {
				minW[c] = max(minW[c], d.pdf.GetStringWidth(strings.TrimRight(tok, " ")))
			}
		}
	}
	for c, col := range t.columns {
		// A header may take two lines: it asks for half its width.
		d.setCellFont(col, true)
		for _, para := range strings.Split(col.header, "\n") {
			natW[c] = max(natW[c], d.pdf.GetStringWidth(para)/2)
			for _, tok := range tokens(para) {
				minW[c] = max(minW[c], d.pdf.GetStringWidth(strings.TrimRight(tok, " ")))
			}
		}
	}
	for r, row := range t.rows {
		for c := range min(n, len(row)) {
			measure(c, row[c], t.cellStyle(r, c).bold)
		}
	}
	avail := contentW - float64(n)*2*tablePadX
	for c := range n {
		// A column of long prose should not starve the others.
		minW[c] = min(minW[c], avail*0.4)
		natW[c] = max(min(natW[c], avail*0.45), minW[c])
	}
	return shareWidths(minW, natW, avail, tablePadX)
}

// shareWidths shares avail between columns with minimum and natural
// widths: columns whose natural width is within a fair share get it; the
// others share the rest in proportion to how much they would wrap. pad is
// added to both sides of every column.
func shareWidths(minW, natW []float64, avail, pad float64) []float64 {
	n := len(minW)
	w := make([]float64, n)
	fixed := make([]bool, n)
	for {
		rem, open := avail, 0
		for c := range n {
			if fixed[c] {
				rem -= natW[c]
			} else {
				open++
			}
		}
		changed := false
		for c := range n {
			if !fixed[c] && open > 0 && natW[c] <= rem/float64(open) {
				fixed[c], changed = true, true
			}
		}
		if !changed {
			break
		}
	}
	rem, sumMin, sumNat, sumFixed := avail, 0.0, 0.0, 0.0
	for c := range n {
		if fixed[c] {
			rem -= natW[c]
			sumFixed += natW[c]
		} else {
			sumMin += minW[c]
			sumNat += natW[c]
		}
	}
	for c := range n {
		switch {
		case sumNat == 0: // every column fits: spread what is left
			w[c] = natW[c] + (avail-sumFixed)*natW[c]/max(sumFixed, 1e-9)
		case sumMin > rem: // the words do not fit: shrink all
			w[c] = avail * minW[c] / totalOf(minW)
		case fixed[c]:
			w[c] = natW[c]
		case sumNat-sumMin < 1e-9: // nothing wraps: share the rest evenly
			w[c] = minW[c] + (rem-sumMin)/float64(n-countTrue(fixed))
		default:
			w[c] = minW[c] + (rem-sumMin)*(natW[c]-minW[c])/(sumNat-sumMin)
		}
		w[c] += 2 * pad
	}
	return w
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func totalOf(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

func (d *doc) setCellFont(c column, bold bool) {
	switch {
	case c.mono && !bold:
		d.font(mono, "", tableFont-0.5, colText)
	case bold:
		d.font(sans, "B", tableFont, colText)
	default:
		d.font(sans, "", tableFont, colText)
	}
}

func (d *doc) cellLines(x, y, w float64, lines []string, align string) {
	if align == "" {
		align = "L"
	}
	for i, l := range lines {
		d.pdf.SetXY(x+tablePadX, y+tablePadY+float64(i)*tableLine)
		d.pdf.CellFormat(w-2*tablePadX, tableLine, l, "", 0, align, false, 0, "")
	}
}

// wrap breaks text into lines no wider than w in the current font. Lines
// break at spaces and after / . - : , = when they can, inside a word
// only when a word alone is too wide.
func (d *doc) wrap(text string, w float64) []string {
	var out []string
	// A space that ends a line takes no room; widths that only rounding
	// tells apart fit.
	w += 1e-6
	width := func(tok string) (all, ink float64) {
		all = d.pdf.GetStringWidth(tok)
		if trimmed := strings.TrimRight(tok, " "); len(trimmed) < len(tok) {
			return all, d.pdf.GetStringWidth(trimmed)
		}
		return all, all
	}
	for _, para := range strings.Split(text, "\n") {
		line, lineW := "", 0.0
		for _, tok := range tokens(para) {
			tw, ink := width(tok)
			if lineW+ink <= w {
				line += tok
				lineW += tw
				continue
			}
			if line != "" {
				out = append(out, strings.TrimRight(line, " "))
				tok = strings.TrimLeft(tok, " ")
				tw, ink = width(tok)
			}
			for ink > w && tok != "" {
				// Too wide on its own: cut it where it fills the line.
				cut := d.fit(tok, w)
				out = append(out, tok[:cut])
				tok = tok[cut:]
				tw, ink = width(tok)
			}
			line, lineW = tok, tw
		}
		out = append(out, strings.TrimRight(line, " "))
	}
	return out
}

// fit is the length in bytes of the longest prefix of s (at least one
// rune) no wider than w.
func (d *doc) fit(s string, w float64) int {
	width, n := 0.0, 0
	for i, r := range s {
		width += d.pdf.GetStringWidth(string(r))
		if width > w && n > 0 {
			return i
		}
		n = i + utf8.RuneLen(r)
	}
	return n
}

// tokens splits s after each break opportunity; the pieces join back to s.
// A word is not broken where that would leave two characters or fewer at
// its start or its end (eu-west-2, ACC-02, api.vipps.no).
func tokens(s string) []string {
	var out []string
	for len(s) > 0 {
		// One word and the space after it.
		end := strings.IndexByte(s, ' ') + 1
		if end == 0 {
			end = len(s)
		}
		word := s[:end]
		s = s[end:]
		var pieces []string
		start := 0
		for i, r := range word {
			if strings.ContainsRune(breaks, r) && r != ' ' {
				pieces = append(pieces, word[start:i+utf8.RuneLen(r)])
				start = i + utf8.RuneLen(r)
			}
		}
		if start < len(word) {
			pieces = append(pieces, word[start:])
		}
		if n := len(pieces); n > 1 && short(pieces[n-1]) {
			pieces = append(pieces[:n-2], pieces[n-2]+pieces[n-1])
		}
		if len(pieces) > 1 && short(pieces[0]) {
			pieces = append([]string{pieces[0] + pieces[1]}, pieces[2:]...)
		}
		out = append(out, pieces...)
	}
	return out
}

// short reports whether a piece of a word has two characters or fewer,
// not counting the break or space that ends it.
func short(piece string) bool {
	return utf8.RuneCountInString(strings.TrimRight(piece, breaks)) <= 2
}

// breaks are the characters a line may break after.
const breaks = " /.-:,="
