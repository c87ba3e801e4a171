package report

import (
	"fmt"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
)

// maxListed is how many names a list in running text shows.
const maxListed = 60

// scopeAndMethod is section 1: how the audit was done, which namespaces
// were treated as processing personal data, and what was collected.
func (d *doc) scopeAndMethod() {
	r := d.r
	d.newSection(secScope)
	d.heading("Method", 30)
	d.method()

	d.heading("Personal-data scope", 30)
	pd := r.Scope.PersonalData
	d.para(pd.Statement)
	ns := "none"
	if n := len(pd.Namespaces); n > maxListed {
		ns = strings.Join(pd.Namespaces[:maxListed], ", ") +
			fmt.Sprintf(" … and %d more (scope.personalData.namespaces in the JSON report lists them all)", n-maxListed)
	} else if n > 0 {
		ns = strings.Join(pd.Namespaces, ", ")
	}
	d.keyValues(42, [][2]string{
		{"Selector", pd.Selector},
		{"Namespaces in scope", fmt.Sprintf("%d: %s", len(pd.Namespaces), ns)},
	})

	d.heading("Coverage", 40)
	gaps, reasons := 0, false
	var rows [][]string
	for _, c := range r.Coverage {
		if c.Status != collect.Collected {
			gaps++
		}
		reasons = reasons || c.Reason != ""
		group := c.Group
		if group == "" {
			group = "(core)"
		}
		rows = append(rows, []string{c.Resource, c.Kind, group, string(c.Status), fmt.Sprint(c.Count), c.Reason})
	}
	if gaps == 0 {
		d.para(fmt.Sprintf("Every one of the %d resource types tilsyn reads was collected.", len(r.Coverage)))
	} else {
		d.para(fmt.Sprintf("%d of the %d resource types tilsyn reads were not collected:", gaps, len(r.Coverage)))
		for _, c := range r.Coverage {
			if c.Status != collect.Collected {
				d.bullet(coverageGap(c))
			}
		}
		d.pdf.Ln(1)
		if na := d.notAssessedControls(); na != "" {
			d.para("Controls that need a missing input are not assessed: " + na + ".")
		}
	}
	cols := []column{
		{header: "Resource", mono: true}, {header: "Kind"}, {header: "API group"}, {header: "Status"},
		{header: "Objects", align: "R"}, {header: "Reason"},
	}
	if !reasons {
		cols = cols[:5]
	}
	d.table(table{
		columns: cols,
		rows:    rows,
		style: func(row, col int) cellStyle {
			if col == 3 && r.Coverage[row].Status != collect.Collected {
				return cellStyle{colour: &colNA, bold: true}
			}
			return cellStyle{}
		},
	})

	if len(r.UnknownKinds) > 0 {
		d.heading("Objects tilsyn does not interpret", 30)
		d.para("These objects were read but no built-in control looks at them; user policies can.")
		var rows [][]string
		for _, k := range r.UnknownKinds {
			rows = append(rows, []string{k.APIVersion, k.Kind, fmt.Sprint(k.Count)})
		}
		d.table(table{columns: []column{{header: "apiVersion", mono: true}, {header: "Kind"}, {header: "Objects", align: "R"}}, rows: rows})
	}
}

// method says how the audit was done, from what the report holds: the
// facts derived for the control families it has, the controls, the
// profile and the waivers.
func (d *doc) method() {
	r := d.r
	c := catalogOf(r.Controls)
	inv := r.Inventory
	var derived []string
	if c.has["MESH"] || len(inv.MTLS) > 0 {
		derived = append(derived, fmt.Sprintf("the mutual-TLS mode istiod enforces for every workload and port (%s): "+
			"PeerAuthentications at mesh, namespace and workload level, sidecar and ambient coverage, and "+
			"DestinationRules that make callers send plaintext", plural(len(inv.MTLS), "row")))
	}
	if c.has["EGR"] || len(inv.Transfers) > 0 {
		derived = append(derived, fmt.Sprintf("every destination outside the cluster that data can reach (%s): hosts "+
			"and ports of MESH_EXTERNAL ServiceEntries and telemetry sinks, with protocol, TLS origination, the country "+
			"serving each and the transfer basis its owner declares", plural(len(inv.Transfers), "destination")))
	}
	if c.has["LOC"] || c.has["BAK"] || len(inv.Nodes)+len(inv.Storage)+len(inv.Backups) > 0 {
		derived = append(derived, fmt.Sprintf("where data is: %s, %s bound to personal-data claims and %s, placed "+
			"in countries with the profile's region tables, with the jurisdiction of each infrastructure provider",
			plural(len(inv.Nodes), "node"), plural(len(inv.Storage), "volume"), plural(len(inv.Backups), "Velero location")))
	}
	if len(derived) == 0 {
		d.para("tilsyn read the cluster state listed under Coverage below (" + d.subject() + ").")
	} else {
		d.para("tilsyn read the cluster state listed under Coverage below (" + d.subject() + ") and derived from it:")
		for i, text := range derived {
			if i == len(derived)-1 {
				d.bullet(text + ".")
			} else {
				d.bullet(text + ";")
			}
		}
	}
	d.pdf.Ln(1)
	what := ""
	if about := c.about(); about != "" {
		what = " They cover " + about + "."
	}
	d.para(fmt.Sprintf("It then evaluated %s — each a policy tied to GDPR articles — against that state and those "+
		"facts, judged by the profile \"%s\".%s Section 4 holds the tables of these facts.", plural(c.total, "control"), r.Metadata.Profile, what))
	if r.Metadata.Waivers != "" {
		d.para(fmt.Sprintf("Waivers approved by the auditor came from %s (%s). A finding a complete, unexpired waiver "+
			"covers is reported as waived, with the waiver that covers it. A transfer basis declared by a resource owner "+
			"is the owner's statement, shown as such: it is not an approval by the auditor.", r.Metadata.Waivers, plural(len(r.Waivers), "waiver")))
	} else {
		d.para("No waiver file was given, so no finding is waived. A transfer basis declared by a resource owner is " +
			"the owner's statement, shown as such: it is not an approval by the auditor.")
	}
	d.para("A control whose input was not collected is reported as not assessed, never as passed. Every finding names " +
		"the resource (kind, namespace, name), the field and the value found. The same state, policies, profile and " +
		"audit time always give the same report, and the digests on the integrity page tie this report to them.")
}

// coverageGap says in words why a resource type is missing.
func coverageGap(c collect.Coverage) string {
	what := c.Kind + " objects (" + c.Resource + ")"
	var why string
	switch c.Status {
	case collect.Absent:
		why = "the cluster does not serve this API (its CustomResourceDefinition is not installed)"
	case collect.Forbidden:
		why = "tilsyn's account was not allowed to list them (RBAC)"
	case collect.Failed:
		why = "listing them failed"
	default:
		why = "status " + string(c.Status)
	}
	s := what + " were not collected: " + why
	if c.Reason != "" {
		s += " — " + c.Reason
	}
	return s + "."
}

func (d *doc) notAssessedControls() string {
	var ids []string
	for _, c := range d.r.Controls {
		if c.Status == evaluate.NotAssessed {
			ids = append(ids, c.ID)
		}
	}
	return strings.Join(ids, ", ")
}

// bullet writes one indented list item.
func (d *doc) bullet(text string) {
	p := d.pdf
	d.font(sans, "", 9, colText)
	lines := d.wrap(clean(text), contentW-6)
	d.ensure(float64(min(len(lines), 3)) * 4.4)
	y := p.GetY()
	p.SetXY(marginX+1.5, y)
	p.CellFormat(4, 4.4, "•", "", 0, "L", false, 0, "")
	d.flow(marginX+6, y, contentW-6, 4.4, lines)
	p.SetY(p.GetY() + 0.6)
}
