package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tilsyn/tilsyn/transfer"
	"github.com/tilsyn/tilsyn/waiver"
)

// maxCovered is how many waived findings a waiver's row names.
const maxCovered = 8

// waiverTable is the report's waivers: who approved what, why, until
// when, and which findings each one covers.
func (d *doc) waiverTable() inventory {
	covered, reported := d.waiverFindings()
	s := spec[waiver.Entry]{
		jsonPath: "waivers", noun: "waiver",
		group: func(w waiver.Entry) string { return orDash(w.Control) }, groupHeader: "Control",
		fields: []field[waiver.Entry]{
			{column: column{header: "Waiver, control"}, text: func(w waiver.Entry) string { return w.Ref + "\n" + orDash(w.Control) }},
			{column: column{header: "Resources"}, text: func(w waiver.Entry) string {
				lines := make([]string, len(w.Resources))
				for i, r := range w.Resources {
					lines[i] = waiverResource(r)
				}
				return orDash(strings.Join(lines, "\n"))
			}},
			{column: column{header: "Justification"}, text: func(w waiver.Entry) string { return orDash(w.Justification) }},
			{column: column{header: "Approved by"}, text: func(w waiver.Entry) string { return orDash(w.ApprovedBy) }},
			{column: column{header: "Expires"}, text: func(w waiver.Entry) string { return orDash(w.Expires) }},
			{column: column{header: "Status"}, text: func(w waiver.Entry) string { return w.Status }, summary: countEach,
				style: func(w waiver.Entry) cellStyle {
					switch w.Status {
					case waiver.Active:
						return cellStyle{colour: &colWaived, bold: true}
					case waiver.Unmatched:
						return cellStyle{colour: &colNA, bold: true}
					}
					return cellStyle{colour: &colFail, bold: true}
				}},
			{column: column{header: "Findings"}, text: func(w waiver.Entry) string {
				names := covered[w.Ref]
				text := "waives none"
				if len(names) > 0 {
					text = fmt.Sprintf("waives %d:", w.Matched)
				}
				for i, n := range names {
					if i == maxCovered {
						text += fmt.Sprintf("\n… and %d more (the controls' findings in the JSON report)", len(names)-maxCovered)
						break
					}
					text += "\n" + n
				}
				for _, id := range reported[w.Ref] {
					text += "\nreported by " + id
				}
				return text
			}},
		},
	}
	inv := inventory{
		title: "Waivers approved by the auditor",
		intro: "A waiver is an auditor's approval, from the waiver file given to the audit: it waives the findings of " +
			"its control on the resources it names, but only while it is complete and has not expired at the audit " +
			"time. An expired, incomplete or unmatched waiver waives nothing; the Findings column names the control that reports it. " +
			"Transfer bases declared by resource owners (annotation " + transfer.BasisAnnotation + ") are not " +
			"waivers: the transfer inventory shows them.",
		table: s.table(d.r.Waivers),
	}
	for _, w := range d.r.Waivers {
		for _, p := range w.Problems {
			note := fmt.Sprintf("%s is incomplete: %s: %s", w.Ref, p.Field, p.Message)
			if p.Value != nil {
				note += " (found " + valueText(p.Value) + ")"
			}
			inv.after = append(inv.after, note+".")
		}
	}
	if src := d.r.Metadata.Waivers; src != "" {
		inv.intro = "From the waiver file " + src + " (SHA-256 " + shortDigest(d.r.Integrity.WaiversSHA256) + "). " + inv.intro
		inv.empty = "The waiver file holds no waivers: no finding is waived."
	} else {
		inv.empty = "No waiver file was given to the audit (--waivers): no finding is waived."
	}
	return inv
}

// waiverFindings names, per waiver, the findings it covers (control and
// resource), and the controls that report the waiver itself (findings on
// a resource of kind Waiver).
func (d *doc) waiverFindings() (covered, reported map[string][]string) {
	covered, reported = map[string][]string{}, map[string][]string{}
	for _, c := range d.r.Controls {
		for _, f := range c.Findings {
			if f.Waiver != nil {
				covered[f.Waiver.Ref] = append(covered[f.Waiver.Ref], c.ID+" "+resourceName(f.Resource))
			}
			if f.Resource.Kind == "Waiver" && !slices.Contains(reported[f.Resource.Name], c.ID) {
				reported[f.Resource.Name] = append(reported[f.Resource.Name], c.ID)
			}
		}
	}
	return covered, reported
}

// waiverResource says which resources one entry of a waiver selects.
func waiverResource(r waiver.Resource) string {
	kind := r.Kind
	if kind == "" {
		kind = "any kind"
	}
	var where string
	switch {
	case r.Name != "" && r.Namespace != "":
		where = r.Namespace + "/" + r.Name
	case r.Name != "":
		where = r.Name
	case r.Namespace != "":
		where = "in " + r.Namespace
	default:
		where = "in any namespace"
	}
	if r.Selector != "" {
		where += " with labels " + r.Selector
	}
	return kind + " " + where
}
