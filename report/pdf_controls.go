package report

import (
	"fmt"
	"strings"

	"github.com/tilsyn/tilsyn/evaluate"
)

// controlSections is section 3: one part per control with its status,
// what it checks, its legal basis, its findings and the remediation.
func (d *doc) controlSections() {
	d.newSection(secControls)
	d.note("Findings name the resource, the field that decided the outcome and the value found there. Values are " +
		"quoted as JSON: strings in quotes, null when the field is not set.")
	for i := range d.r.Controls {
		d.control(&d.r.Controls[i])
	}
}

func (d *doc) control(c *Control) {
	p := d.pdf
	d.heading(c.ID+"  "+c.Title, 45)
	p.SetX(marginX)
	d.badge(statusLabel(string(c.Status)), statusColour(string(c.Status)), 9)
	d.font(sans, "", 8.5, colMuted)
	facts := []string{"severity " + c.Severity}
	if len(c.Articles) > 0 {
		facts = append(facts, "GDPR Art. "+strings.Join(c.Articles, ", Art. "))
	}
	facts = append(facts, plural(len(c.Findings), "finding"), "policy "+c.Source)
	p.CellFormat(contentW-30, 5, "  "+strings.Join(facts, " · "), "", 1, "L", false, 0, "")
	p.Ln(1.5)

	if c.Description != "" {
		d.subheading("What was checked")
		d.para(c.Description)
	}
	if len(c.References) > 0 {
		d.subheading("Legal basis and references")
		for _, ref := range c.References {
			d.bullet(ref)
		}
		p.Ln(1)
	}

	switch {
	case c.Status == evaluate.NotAssessed:
		d.subheading("Not assessed")
	case len(c.NotAssessed) > 0:
		d.subheading("Partly not assessed")
	}
	for _, g := range c.NotAssessed {
		text := g.Reason
		if g.Resource != nil {
			text = resourceName(*g.Resource) + ": " + text
		}
		d.bullet(text)
	}

	if len(c.Findings) > 0 {
		title := "Findings"
		if c.Status == evaluate.Waived {
			title = "Findings (covered by waivers)"
		}
		d.subheading(fmt.Sprintf("%s (%d)", title, len(c.Findings)))
		d.evidence(findingsTable(c))
	} else if c.Status == evaluate.Pass {
		d.subheading("Findings")
		d.para("None: every resource this control checks meets it.")
	}

	if c.Remediation != "" && len(c.Findings) > 0 {
		d.code("Remediation", c.Remediation)
	}
	seen := map[string]bool{c.Remediation: true}
	for _, f := range c.Findings {
		if !seen[f.Remediation] {
			seen[f.Remediation] = true
			d.code("Remediation for "+resourceName(f.Resource), f.Remediation)
		}
	}
}

// findingsTable is a control's findings as an evidence table, aggregated
// by namespace when there are many.
func findingsTable(c *Control) evidenceTable {
	t := evidenceTable{
		jsonPath: "controls[id=" + c.ID + "].findings",
		noun:     "finding",
		columns: []column{
			{header: "Resource"}, {header: "Field", mono: true},
			{header: "Value", mono: true}, {header: "Finding"}, {header: "Severity"},
		},
		groupHeader: "Namespace",
		distinct:    []int{0},
		tally:       []int{4},
	}
	for _, f := range c.Findings {
		severity := f.Severity
		if f.Waiver != nil {
			severity += "\nwaived by " + f.Waiver.Ref
		}
		t.rows = append(t.rows, []string{resourceLines(f.Resource), f.Field, findingValue(f.Value), f.Message, severity})
		t.group = append(t.group, namespaceOr(f.Resource.Namespace))
	}
	t.style = func(row, col int) cellStyle {
		if col == 4 && c.Findings[row].Waiver == nil && evaluate.SeverityRank(c.Findings[row].Severity) >= evaluate.SeverityRank("high") {
			return cellStyle{colour: &colFail, bold: true}
		}
		return cellStyle{}
	}
	return t
}

func findingValue(v any) string {
	if v == nil {
		return "null (not set)"
	}
	return valueText(v)
}

func namespaceOr(ns string) string {
	if ns == "" {
		return "(cluster-scoped)"
	}
	return ns
}

// resourceLines names a resource on two lines: kind, then namespace/name.
func resourceLines(r evaluate.Resource) string {
	if r.Namespace != "" {
		return r.Kind + "\n" + r.Namespace + "/" + r.Name
	}
	return r.Kind + "\n" + r.Name
}
