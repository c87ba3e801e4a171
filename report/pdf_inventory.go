package report

import (
	"fmt"
	"strings"
)

// inventory is one evidence table of the report's inventory as the PDF
// shows it.
type inventory struct {
	title string
	intro string
	// empty is said instead of a table when there are no rows.
	empty string
	table evidenceTable
}

// inventories lists the evidence tables in the order the PDF shows them.
// Adding an inventory to the report (transfers, storage, nodes, backups,
// waivers) takes one more entry here: a function that turns its rows into
// an evidenceTable, like mtlsInventory.
func (d *doc) inventories() []inventory {
	return []inventory{
		mtlsInventory(d.r.Inventory),
		nodeTuningTable(d.r.Inventory),
	}
}

// evidenceTables is section 4: every inventory the report carries.
func (d *doc) evidenceTables() {
	d.newSection(secEvidence)
	d.note("These tables are the records behind the controls. Long tables are aggregated by namespace; the JSON report holds every row.")
	for _, inv := range d.inventories() {
		d.heading(inv.title, 40)
		if inv.intro != "" {
			d.para(inv.intro)
		}
		if len(inv.table.rows) == 0 {
			d.para(inv.empty)
			continue
		}
		d.evidence(inv.table)
	}
}

// mtlsInventory is inventory.mtls: the mode every workload and port
// accepts.
func mtlsInventory(inv Inventory) inventory {
	t := evidenceTable{
		jsonPath: "inventory.mtls",
		noun:     "row",
		columns: []column{
			{header: "Namespace"}, {header: "Workload"}, {header: "Port", align: "R"},
			{header: "Mode"}, {header: "PeerAuthentication, field"}, {header: "Mesh"},
			{header: "Encrypted"}, {header: "Notes"},
		},
		groupHeader: "Namespace",
		distinct:    []int{1},
		tally:       []int{3, 5, 6},
	}
	for _, row := range inv.MTLS {
		port := "all"
		if row.Port != 0 {
			port = fmt.Sprint(row.Port)
		}
		decided := "none: istiod's default"
		if row.Policy != "default" || row.Field != "" {
			decided = row.Policy
			if row.Field != "" {
				decided += "\n" + row.Field
			}
		}
		meshed := "none"
		switch {
		case row.Sidecar:
			meshed = "sidecar"
		case row.Ambient:
			meshed = "ambient"
		}
		var notes []string
		if len(row.ClientDisable) > 0 {
			notes = append(notes, "callers send plaintext per DestinationRule "+strings.Join(row.ClientDisable, ", "))
		}
		if row.Note != "" {
			notes = append(notes, row.Note)
		}
		t.rows = append(t.rows, []string{row.Namespace, row.Workload.Kind + "\n" + row.Workload.Name, port, row.Mode,
			decided, meshed, yesNo(row.Encrypted), strings.Join(notes, "; ")})
		t.group = append(t.group, row.Namespace)
	}
	t.style = func(r, c int) cellStyle {
		row := inv.MTLS[r]
		switch {
		case c == 3 && row.Mode != "STRICT":
			return cellStyle{colour: &colFail, bold: true}
		case c == 6 && !row.Encrypted:
			return cellStyle{colour: &colFail, bold: true}
		case c == 6:
			return cellStyle{colour: &colPass}
		}
		return cellStyle{}
	}
	return inventory{
		title: "mTLS inventory",
		intro: "One row per workload and port (\"all\": every port without a row of its own): the mode istiod enforces, " +
			"the PeerAuthentication and field that decided it, whether a sidecar or ambient carries the traffic, and " +
			"whether it is encrypted in transit (STRICT, in the mesh, and no DestinationRule makes callers send plaintext).",
		empty: "No workloads were found, so the inventory is empty.",
		table: t,
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
