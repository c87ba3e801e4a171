package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tilsyn/tilsyn/evaluate"
)

// executiveSummary is section 2: the verdict, the controls by GDPR
// article and the findings by severity, and every control's status.
func (d *doc) executiveSummary() {
	r := d.r
	d.newSection(secSummary)
	p := d.pdf
	p.SetX(marginX)
	d.badge(statusLabel(r.Summary.Verdict), statusColour(r.Summary.Verdict), 12)
	p.Ln(9)
	d.para(controlCounts(r.Summary) + ". " + findingCounts(r.Summary) + ". " + verdictMeaning(r.Summary.Verdict))

	d.heading("By GDPR article", 30)
	d.note("Each control is listed under every article it evidences; findings are counted for failed controls.")
	type art struct {
		name                   string
		ids                    []string
		pass, fail, wv, na, fn int
	}
	byArt := map[string]*art{}
	for _, c := range r.Controls {
		for _, a := range c.Articles {
			x := byArt[a]
			if x == nil {
				x = &art{name: a}
				byArt[a] = x
			}
			x.ids = append(x.ids, c.ID)
			switch c.Status {
			case evaluate.Pass:
				x.pass++
			case evaluate.Fail:
				x.fail++
				x.fn += len(c.Findings)
			case evaluate.Waived:
				x.wv++
			default:
				x.na++
			}
		}
	}
	arts := make([]*art, 0, len(byArt))
	for _, a := range byArt {
		arts = append(arts, a)
	}
	sort.Slice(arts, func(i, j int) bool { return articleLess(arts[i].name, arts[j].name) })
	var rows [][]string
	for _, a := range arts {
		rows = append(rows, []string{"Art. " + a.name, strings.Join(a.ids, ", "), fmt.Sprint(a.pass), fmt.Sprint(a.fail),
			fmt.Sprint(a.wv), fmt.Sprint(a.na), fmt.Sprint(a.fn)})
	}
	d.table(table{
		columns: []column{
			{header: "Article"}, {header: "Controls"}, {header: "Pass", align: "R"},
			{header: "Fail", align: "R"}, {header: "Waived", align: "R"},
			{header: "Not assessed", align: "R"}, {header: "Findings", align: "R"},
		},
		rows: rows,
		style: func(row, col int) cellStyle {
			if col == 3 && arts[row].fail > 0 {
				return cellStyle{colour: &colFail, bold: true}
			}
			if col == 5 && arts[row].na > 0 {
				return cellStyle{colour: &colNA, bold: true}
			}
			return cellStyle{}
		},
	})

	d.heading("By severity", 30)
	rows = nil
	for i := len(evaluate.Severities) - 1; i >= 0; i-- {
		sev := evaluate.Severities[i]
		var ids []string
		for _, c := range r.Controls {
			if c.Status != evaluate.Fail {
				continue
			}
			for _, f := range c.Findings {
				if f.Severity == sev {
					ids = append(ids, c.ID)
					break
				}
			}
		}
		rows = append(rows, []string{sev, fmt.Sprint(r.Summary.Findings[sev]), strings.Join(ids, ", ")})
	}
	d.table(table{
		columns: []column{{header: "Severity"}, {header: "Findings", align: "R"}, {header: "Failed controls with findings of this severity"}},
		rows:    rows,
	})

	d.heading("Controls", 30)
	rows = nil
	for _, c := range r.Controls {
		rows = append(rows, []string{c.ID, c.Title, c.Severity, statusLabel(string(c.Status)), fmt.Sprint(len(c.Findings))})
	}
	d.table(table{
		columns: []column{
			{header: "ID"}, {header: "Control"}, {header: "Severity"},
			{header: "Status"}, {header: "Findings", align: "R"},
		},
		rows: rows,
		style: func(row, col int) cellStyle {
			if col == 3 {
				c := statusColour(string(r.Controls[row].Status))
				return cellStyle{colour: &c, bold: true}
			}
			return cellStyle{}
		},
	})
}

// articleLess orders GDPR article references such as "5(1)(f)", "25(2)"
// and "32(1)(a)" by article number, then as text.
func articleLess(a, b string) bool {
	na, nb := leadingInt(a), leadingInt(b)
	if na != nb {
		return na < nb
	}
	return a < b
}

func leadingInt(s string) int {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 1 << 30
	}
	return n
}
