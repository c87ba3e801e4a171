package report

import (
	"fmt"
	"strings"

	"github.com/tilsyn/tilsyn/evaluate"
)

const timeLayout = "2006-01-02 15:04:05 UTC"

// cover is the first page: what was audited, when, against what, the
// verdict, the digests and the contents.
func (d *doc) cover() {
	p := d.pdf
	r := d.r
	p.AddPage()
	// The band grows with the subtitle, which names what the controls
	// cover.
	d.font(sans, "", 11, rgb{255, 255, 255})
	sub := d.wrap(clean(d.coverSubtitle()), contentW)
	bandH := max(58, 32+float64(len(sub))*5.5+10)
	p.SetFillColor(colHead.r, colHead.g, colHead.b)
	p.Rect(0, 0, pageW, bandH, "F")
	d.font(sans, "", 10, rgb{200, 210, 220})
	p.SetXY(marginX, 16)
	p.CellFormat(contentW, 5, "tilsyn audit evidence", "", 1, "L", false, 0, "")
	d.font(sans, "B", 22, rgb{255, 255, 255})
	p.SetX(marginX)
	p.CellFormat(contentW, 11, "GDPR and Schrems II audit", "", 1, "L", false, 0, "")
	d.font(sans, "", 11, rgb{255, 255, 255})
	for _, l := range sub {
		p.SetX(marginX)
		p.CellFormat(contentW, 5.5, l, "", 1, "L", false, 0, "")
	}

	p.SetXY(marginX, bandH+10)
	d.keyValues(42, d.identity())

	// The verdict.
	p.Ln(2)
	y := p.GetY()
	col := statusColour(r.Summary.Verdict)
	p.SetFillColor(col.r, col.g, col.b)
	p.Rect(marginX, y, contentW, 24, "F")
	d.font(sans, "B", 18, rgb{255, 255, 255})
	p.SetXY(marginX+5, y+3)
	p.CellFormat(contentW-10, 9, "Verdict: "+statusLabel(r.Summary.Verdict), "", 1, "L", false, 0, "")
	d.font(sans, "", 9.5, rgb{255, 255, 255})
	p.SetX(marginX + 5)
	p.CellFormat(contentW-10, 5, controlCounts(r.Summary), "", 1, "L", false, 0, "")
	p.SetX(marginX + 5)
	p.CellFormat(contentW-10, 5, findingCounts(r.Summary), "", 1, "L", false, 0, "")
	p.SetXY(marginX, y+28)
	d.note(verdictMeaning(r.Summary.Verdict))

	d.subheading("Digests (SHA-256)")
	d.digestTable()
	d.note("The integrity page (section 5) says what each digest covers and how to check them with tilsyn verify. " +
		"This document is rendered from the JSON report whose digest is given above; the JSON holds every row that " +
		"long tables here aggregate.")

	d.subheading("Contents")
	d.font(sans, "", 9, colText)
	for i, t := range sectionTitles {
		d.font(sans, "", 9, colText)
		p.SetX(marginX)
		p.CellFormat(10, 5, fmt.Sprint(i+1), "", 0, "L", false, 0, "")
		p.CellFormat(contentW-30, 5, t, "", 0, "L", false, 0, "")
		p.CellFormat(20, 5, "page "+pageAlias(i), "", 1, "L", false, 0, "")
		if i != secEvidence {
			continue
		}
		d.font(sans, "", 8, colMuted)
		for j, inv := range d.inventories() {
			p.SetX(marginX + 10)
			p.CellFormat(contentW-30, 4.2, inv.title, "", 0, "L", false, 0, "")
			p.CellFormat(20, 4.2, "page "+inventoryAlias(j), "", 1, "L", false, 0, "")
		}
	}
}

// coverSubtitle says what the audit's controls cover and what was
// audited: "Encryption in transit, …, backups and accountability: 29
// controls and the evidence behind them, for cluster oslo-prod".
func (d *doc) coverSubtitle() string {
	c := catalogOf(d.r.Controls)
	if c.total == 0 {
		return "No controls were evaluated; the evidence collected from " + d.subject()
	}
	return capitalise(c.about()) + ": " + plural(c.total, "control") + " and the evidence behind them, for " + d.subject()
}

// identity lists what was audited, when and with what.
func (d *doc) identity() [][2]string {
	m := d.r.Metadata
	var kv [][2]string
	if c := m.Cluster; c != nil {
		if c.Context != "" {
			kv = append(kv, [2]string{"Cluster context", c.Context})
		}
		if c.Server != "" {
			kv = append(kv, [2]string{"API server", c.Server})
		}
		if c.UID != "" {
			kv = append(kv, [2]string{"Cluster UID", c.UID + " (kube-system namespace)"})
		}
		if c.ServerVersion != "" {
			kv = append(kv, [2]string{"Kubernetes", c.ServerVersion})
		}
	}
	src := m.Source.Type
	switch {
	case src == "manifests" && len(m.Source.Paths) > 0:
		src = "manifests: " + strings.Join(m.Source.Paths, ", ")
	case src == "live":
		src = "live cluster"
		if len(m.Source.Namespaces) > 0 {
			src += ", namespaces " + strings.Join(m.Source.Namespaces, ", ")
		} else {
			src += ", all namespaces"
		}
	}
	kv = append(kv,
		[2]string{"Source", src},
		[2]string{"State collected", m.CollectedAt.UTC().Format(timeLayout)},
		[2]string{"Audit time", m.GeneratedAt.UTC().Format(timeLayout)},
		[2]string{"Profile", m.Profile},
		[2]string{"Tool", "tilsyn " + m.ToolVersion},
	)
	return kv
}

func (d *doc) digestTable() {
	in := d.r.Integrity
	d.table(table{
		columns: []column{{header: "Input"}, {header: "SHA-256", mono: true}},
		rows: [][]string{
			{"Snapshot", in.SnapshotSHA256},
			{"Policy bundle", in.PolicySHA256},
			{"Profile", in.ProfileSHA256},
			{"JSON report", in.ReportSHA256},
		},
	})
}

func controlCounts(s Summary) string {
	c := s.Controls
	return fmt.Sprintf("%d controls: %d pass, %d fail, %d waived, %d not assessed", c.Total, c.Pass, c.Fail, c.Waived, c.NotAssessed)
}

func findingCounts(s Summary) string {
	total := s.Findings["total"]
	if total == 0 {
		return "No findings in failed controls"
	}
	var parts []string
	for i := len(evaluate.Severities) - 1; i >= 0; i-- {
		if n := s.Findings[evaluate.Severities[i]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, evaluate.Severities[i]))
		}
	}
	return fmt.Sprintf("%s in failed controls: %s", plural(total, "finding"), strings.Join(parts, ", "))
}

func verdictMeaning(v string) string {
	switch v {
	case Compliant:
		return "Compliant: every control was assessed and passed (or its findings are covered by a valid waiver)."
	case NonCompliant:
		return "Non-compliant: at least one control failed. Section 3 names, for each finding, the resource, the field and the value found, and the remediation."
	default:
		return "Incomplete: no control failed, but at least one could not be assessed because an input it needs was not collected. Not assessed never counts as passed."
	}
}
