package report

import (
	"fmt"
	"sort"
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
			natW[c] = max(natW[c], d.pdf.GetStringWidth(para))
			for _, tok := range tokens(para) {
				minW[c] = max(minW[c], d.pdf.GetStringWidth(strings.TrimRight(tok, " ")))
			}
		}
	}
	for c, col := range t.columns {
		measure(c, col.header, true)
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
// break at spaces and after / . - _ : , = when they can, inside a word
// only when a word alone is too wide.
func (d *doc) wrap(text string, w float64) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line, lineW := "", 0.0
		for _, tok := range tokens(para) {
			tw := d.pdf.GetStringWidth(tok)
			if lineW+tw <= w {
				line += tok
				lineW += tw
				continue
			}
			if line != "" {
				out = append(out, strings.TrimRight(line, " "))
				tok = strings.TrimLeft(tok, " ")
				tw = d.pdf.GetStringWidth(tok)
			}
			line, lineW = "", 0
			for tw > w && tok != "" {
				// Too wide on its own: cut it where it fills the line.
				cut := d.fit(tok, w)
				out = append(out, tok[:cut])
				tok = tok[cut:]
				tw = d.pdf.GetStringWidth(tok)
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
func tokens(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if strings.ContainsRune(" /.-_:,=", r) {
			end := i + utf8.RuneLen(r)
			out = append(out, s[start:end])
			start = end
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// evidenceTable is a table of evidence rows that the PDF lists in full up
// to the row limit, and above it aggregates by a group (the namespace),
// saying where the JSON keeps every row. Each inventory of the report is
// one evidenceTable definition (see pdf_inventory.go).
type evidenceTable struct {
	// jsonPath names where the JSON report holds the rows.
	jsonPath string
	// noun counts the rows in notes ("row", "finding").
	noun    string
	columns []column
	rows    [][]string
	style   func(row, col int) cellStyle
	// group is each row's group key (a namespace); groupHeader heads it.
	group       []string
	groupHeader string
	// distinct columns are counted as distinct values per group; tally
	// columns as counts of each value ("STRICT 4 · PERMISSIVE 1").
	distinct []int
	tally    []int
}

// evidence draws an evidence table, aggregated when it has more rows
// than the limit.
func (d *doc) evidence(t evidenceTable) {
	if len(t.rows) <= d.maxRows || len(t.group) != len(t.rows) {
		d.table(table{columns: t.columns, rows: t.rows, style: t.style})
		return
	}
	type agg struct {
		key      string
		rows     int
		distinct []map[string]bool
		tally    []map[string]int
	}
	byKey := map[string]*agg{}
	for i, row := range t.rows {
		a := byKey[t.group[i]]
		if a == nil {
			a = &agg{key: t.group[i], distinct: make([]map[string]bool, len(t.distinct)), tally: make([]map[string]int, len(t.tally))}
			for j := range a.distinct {
				a.distinct[j] = map[string]bool{}
			}
			for j := range a.tally {
				a.tally[j] = map[string]int{}
			}
			byKey[t.group[i]] = a
		}
		a.rows++
		for j, c := range t.distinct {
			a.distinct[j][row[c]] = true
		}
		for j, c := range t.tally {
			a.tally[j][row[c]]++
		}
	}
	groups := make([]*agg, 0, len(byKey))
	for _, a := range byKey {
		groups = append(groups, a)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].key < groups[j].key })
	shown, rest := groups, []*agg(nil)
	if len(groups) > d.maxGroups {
		sort.SliceStable(shown, func(i, j int) bool { return shown[i].rows > shown[j].rows })
		shown, rest = groups[:d.maxGroups], groups[d.maxGroups:]
	}
	note := fmt.Sprintf("%s in %d %ss: more than the %d this document lists, so they are aggregated by %s",
		plural(len(t.rows), t.noun), len(groups), strings.ToLower(t.groupHeader), d.maxRows, strings.ToLower(t.groupHeader))
	if len(rest) > 0 {
		note += fmt.Sprintf(" (the %d with the most %ss are shown, the other %d summed in the last row)", len(shown), t.noun, len(rest))
	}
	d.note(note + ". The JSON report (" + t.jsonPath + ") lists every " + t.noun + ".")

	cols := []column{{header: t.groupHeader}, {header: capitalise(t.noun) + "s", align: "R"}}
	for _, c := range t.distinct {
		cols = append(cols, column{header: t.columns[c].header + "s", align: "R"})
	}
	for _, c := range t.tally {
		cols = append(cols, column{header: t.columns[c].header})
	}
	var rows [][]string
	for _, a := range shown {
		row := []string{a.key, fmt.Sprint(a.rows)}
		for j := range t.distinct {
			row = append(row, fmt.Sprint(len(a.distinct[j])))
		}
		for j := range t.tally {
			row = append(row, tallyText(a.tally[j]))
		}
		rows = append(rows, row)
	}
	if len(rest) > 0 {
		sum := &agg{tally: make([]map[string]int, len(t.tally))}
		distinct := make([]int, len(t.distinct))
		for j := range sum.tally {
			sum.tally[j] = map[string]int{}
		}
		for _, a := range rest {
			sum.rows += a.rows
			for j := range t.distinct {
				distinct[j] += len(a.distinct[j])
			}
			for j := range t.tally {
				for v, n := range a.tally[j] {
					sum.tally[j][v] += n
				}
			}
		}
		row := []string{fmt.Sprintf("%d other %ss", len(rest), strings.ToLower(t.groupHeader)), fmt.Sprint(sum.rows)}
		for j := range t.distinct {
			row = append(row, fmt.Sprint(distinct[j]))
		}
		for j := range t.tally {
			row = append(row, tallyText(sum.tally[j]))
		}
		rows = append(rows, row)
	}
	d.table(table{columns: cols, rows: rows})
}

// tallyText writes value counts, most frequent first.
func tallyText(m map[string]int) string {
	type vc struct {
		v string
		n int
	}
	var all []vc
	for v, n := range m {
		if v == "" {
			v = "(none)"
		}
		all = append(all, vc{v, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].v < all[j].v
	})
	parts := make([]string, len(all))
	for i, x := range all {
		parts[i] = fmt.Sprintf("%s %d", x.v, x.n)
	}
	return strings.Join(parts, " · ")
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}
