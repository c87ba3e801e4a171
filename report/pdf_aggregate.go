package report

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

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
	// key, when set, is the value of a cell that distinct and tally
	// columns count (else the cell's text); summaryHeaders, where not
	// empty, name what they count (else the column's header).
	key            func(row, col int) string
	summaryHeaders []string
}

func (t *evidenceTable) summaryHeader(c int) string {
	if c < len(t.summaryHeaders) && t.summaryHeaders[c] != "" {
		return t.summaryHeaders[c]
	}
	return t.columns[c].header
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
			a.distinct[j][t.value(i, c, row)] = true
		}
		for j, c := range t.tally {
			a.tally[j][t.value(i, c, row)]++
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
	note := fmt.Sprintf("%s in %s: more than the %d this document lists, so they are aggregated by %s",
		plural(len(t.rows), t.noun), plural(len(groups), strings.ToLower(t.groupHeader)), d.maxRows, strings.ToLower(t.groupHeader))
	if len(rest) > 0 {
		note += fmt.Sprintf(" (the %d with the most %ss are shown, the other %d summed in the last row)", len(shown), t.noun, len(rest))
	}
	d.note(note + ". The JSON report (" + t.jsonPath + ") lists every " + t.noun + ".")

	cols := []column{{header: t.groupHeader}, {header: capitalise(t.noun) + "s", align: "R"}}
	for _, c := range t.distinct {
		cols = append(cols, column{header: t.summaryHeader(c) + "s", align: "R"})
	}
	for _, c := range t.tally {
		cols = append(cols, column{header: t.summaryHeader(c)})
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

// value is the value of cell (r, c) that aggregation counts.
func (t *evidenceTable) value(r, c int, row []string) string {
	if t.key != nil {
		return t.key(r, c)
	}
	return row[c]
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
