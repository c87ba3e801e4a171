package report

import (
	"fmt"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/mesh"
)

// inventory is one evidence table of the report as the PDF shows it.
type inventory struct {
	title string
	intro string
	// empty is said instead of a table when there are no rows.
	empty string
	// needs lists the resource types (snapshot keys) the rows come from:
	// when one was not collected the table says so, and that it may be
	// incomplete (or, empty, proves nothing).
	needs []string
	table evidenceTable
	// after is said below the table.
	after []string
}

// inventories lists the evidence tables in the order the PDF shows them,
// computed once per document. Each is one small definition: a spec of
// fields over the rows of one list of the JSON report.
func (d *doc) inventories() []inventory {
	if d.invs == nil {
		inv := d.r.Inventory
		d.invs = []inventory{
			mtlsInventory(inv),
			transferInventory(inv),
			storageInventory(inv),
			nodeInventory(inv),
			backupInventory(inv),
			d.waiverTable(),
		}
	}
	return d.invs
}

// evidenceTables is section 4: every inventory the report carries.
func (d *doc) evidenceTables() {
	d.newSection(secEvidence)
	d.note(fmt.Sprintf("These tables are the records behind the controls. A table of more than %d rows is aggregated "+
		"by namespace (nodes by region, waivers by control) and says so; the JSON report holds every row.", d.maxRows))
	for i, inv := range d.inventories() {
		d.heading(inv.title, 40)
		d.pdf.RegisterAlias(inventoryAlias(i), fmt.Sprint(d.pdf.PageNo()))
		if inv.intro != "" {
			d.para(inv.intro)
		}
		gaps := d.gaps(inv.needs)
		for _, gap := range gaps {
			d.note(gap)
		}
		switch {
		case len(inv.table.rows) == 0 && len(gaps) > 0:
			d.para("Nothing is listed, and that says nothing about the cluster: an input this table needs was not collected.")
			continue
		case len(inv.table.rows) == 0:
			d.para(inv.empty)
			continue
		case len(gaps) > 0:
			d.note("The table lists what was collected; it may be incomplete.")
		}
		d.evidence(inv.table)
		for _, a := range inv.after {
			d.note(a)
		}
	}
}

// inventoryAlias is replaced by the page number of evidence table i.
func inventoryAlias(i int) string { return fmt.Sprintf("{inv:%d}", i) }

// gaps says which resource types in needs were not collected, and why.
func (d *doc) gaps(needs []string) []string {
	var out []string
	for _, key := range needs {
		c, ok := d.coverage(key)
		switch {
		case !ok:
			out = append(out, "The coverage does not list "+key+": they were not collected.")
		case c.Status != collect.Collected:
			out = append(out, coverageGap(c))
		}
	}
	return out
}

func (d *doc) coverage(key string) (collect.Coverage, bool) {
	for _, c := range d.r.Coverage {
		if c.Resource == key {
			return c, true
		}
	}
	return collect.Coverage{}, false
}

// field is one column of an inventory table: its header and how one row
// of the inventory reads in it.
type field[T any] struct {
	column
	text func(T) string
	// style, when set, colours the cell.
	style func(T) cellStyle
	// summary is how a table aggregated by group shows the column.
	summary summary
	// key, when set, is the value summarised instead of the cell text
	// (the first line of a cell that explains itself below, say), and
	// summaryHeader what it is, when the header says more ("Host" for
	// "Host, declared in").
	key           func(T) string
	summaryHeader string
}

// summary is how an aggregated table shows a column.
type summary int

const (
	// left out
	noSummary summary = iota
	// the number of distinct values in each group
	countDistinct
	// how often each value occurs in each group ("STRICT 4 · PERMISSIVE 1")
	countEach
)

// spec defines an inventory table: its fields, where the JSON keeps its
// rows, and how it is grouped when it is aggregated.
type spec[T any] struct {
	jsonPath string
	// noun counts the rows in notes ("destination").
	noun string
	// group names a row's group (nil: never aggregated); groupHeader
	// heads the group column.
	group       func(T) string
	groupHeader string
	fields      []field[T]
}

// table lays rows out in the spec's fields.
func (s spec[T]) table(rows []T) evidenceTable {
	t := evidenceTable{jsonPath: s.jsonPath, noun: s.noun, groupHeader: s.groupHeader}
	keyed := false
	for i, f := range s.fields {
		t.columns = append(t.columns, f.column)
		t.summaryHeaders = append(t.summaryHeaders, f.summaryHeader)
		switch f.summary {
		case countDistinct:
			t.distinct = append(t.distinct, i)
		case countEach:
			t.tally = append(t.tally, i)
		}
		keyed = keyed || f.key != nil
	}
	t.rows = make([][]string, len(rows))
	for r, row := range rows {
		cells := make([]string, len(s.fields))
		for c, f := range s.fields {
			cells[c] = f.text(row)
		}
		t.rows[r] = cells
	}
	if s.group != nil {
		t.group = make([]string, len(rows))
		for r, row := range rows {
			t.group[r] = s.group(row)
		}
	}
	t.style = func(r, c int) cellStyle {
		if f := s.fields[c]; f.style != nil {
			return f.style(rows[r])
		}
		return cellStyle{}
	}
	if keyed {
		t.key = func(r, c int) string {
			if f := s.fields[c]; f.key != nil {
				return f.key(rows[r])
			}
			return t.rows[r][c]
		}
	}
	return t
}

// check is a yes/no column where yes is good: yes in green, no in bold
// red.
func check[T any](header string, ok func(T) bool) field[T] {
	return field[T]{
		column:  column{header: header, align: "C"},
		text:    func(row T) string { return yesNo(ok(row)) },
		style:   func(row T) cellStyle { return passFail(ok(row)) },
		summary: countEach,
	}
}

// flag is a plain yes/no column.
func flag[T any](header string, value func(T) bool) field[T] {
	return field[T]{column: column{header: header, align: "C"}, text: func(row T) string { return yesNo(value(row)) }, summary: countEach}
}

// passFail styles a cell that is good or not.
func passFail(ok bool) cellStyle {
	if ok {
		return cellStyle{colour: &colPass}
	}
	return cellStyle{colour: &colFail, bold: true}
}

// mtlsInventory is inventory.mtls: the mode every workload and port
// accepts.
func mtlsInventory(inv Inventory) inventory {
	s := spec[mesh.Row]{
		jsonPath: "inventory.mtls", noun: "row",
		group: func(r mesh.Row) string { return r.Namespace }, groupHeader: "Namespace",
		fields: []field[mesh.Row]{
			{column: column{header: "Namespace"}, text: func(r mesh.Row) string { return r.Namespace }},
			{column: column{header: "Workload"}, text: func(r mesh.Row) string { return r.Workload.Kind + "\n" + r.Workload.Name }, summary: countDistinct},
			{column: column{header: "Port", align: "R"}, text: func(r mesh.Row) string {
				if r.Port == 0 {
					return "all"
				}
				return fmt.Sprint(r.Port)
			}},
			{column: column{header: "Mode"}, text: func(r mesh.Row) string { return r.Mode }, summary: countEach,
				style: func(r mesh.Row) cellStyle {
					if r.Mode != "STRICT" {
						return cellStyle{colour: &colFail, bold: true}
					}
					return cellStyle{}
				}},
			{column: column{header: "PeerAuthentication, field"}, text: func(r mesh.Row) string {
				if r.Policy == "default" && r.Field == "" {
					return "none: istiod's default"
				}
				if r.Field != "" {
					return r.Policy + "\n" + r.Field
				}
				return r.Policy
			}},
			{column: column{header: "Mesh"}, text: func(r mesh.Row) string {
				switch {
				case r.Sidecar:
					return "sidecar"
				case r.Ambient:
					return "ambient"
				}
				return "none"
			}, summary: countEach},
			check("Encrypted", func(r mesh.Row) bool { return r.Encrypted }),
			{column: column{header: "Notes"}, text: func(r mesh.Row) string {
				var notes []string
				if len(r.ClientDisable) > 0 {
					notes = append(notes, "callers send plaintext per DestinationRule "+strings.Join(r.ClientDisable, ", "))
				}
				if r.Note != "" {
					notes = append(notes, r.Note)
				}
				return strings.Join(notes, "; ")
			}},
		},
	}
	return inventory{
		title: "mTLS inventory",
		intro: "One row per workload and port (\"all\": every port without a row of its own): the mode istiod enforces, " +
			"the PeerAuthentication and field that decided it, whether a sidecar or ambient carries the traffic, and " +
			"whether it is encrypted in transit (STRICT, in the mesh, and no DestinationRule makes callers send plaintext).",
		empty: "No workloads were found, so the inventory is empty.",
		needs: []string{collect.PeerAuthentications, collect.DestinationRules},
		table: s.table(inv.MTLS),
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// orDash is s, or an em dash when s is empty.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
