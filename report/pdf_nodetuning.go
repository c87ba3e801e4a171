package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tilsyn/tilsyn/evaluate"
)

// nodeSettingColumns are the settings columns of the PDF's node table:
// a header and the settings each shows, with the short label that goes
// before each one's baseline in the header (the keepalives share one
// column, and their baselines are joined).
var nodeSettingColumns = []struct {
	header   string
	settings []string
	labels   []string
}{
	{"file-max", []string{"fs.file-max"}, []string{""}},
	{"conntrack", []string{"net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_count"}, []string{"max ", "use "}},
	{"tw_reuse", []string{"net.ipv4.tcp_tw_reuse"}, []string{""}},
	{"port range", []string{"net.ipv4.ip_local_port_range"}, []string{""}},
	{"keepalive\ntime/intvl/probes", []string{"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}, nil},
}

// Baseline column values, which an aggregated table tallies.
const (
	baselineMet         = "met"
	baselineNotMet      = "not met"
	baselineNotAssessed = "not assessed"
)

// nodeTuningTable is inventory.nodeTuning: each node's kernel settings
// against the profile's baseline, and the age of the record they come
// from.
func nodeTuningTable(inv Inventory) inventory {
	rows := inv.NodeTuning
	t := evidenceTable{
		jsonPath:    "inventory.nodeTuning",
		noun:        "node",
		groupHeader: "Region",
		distinct:    []int{1},
		tally:       []int{2, 3 + len(nodeSettingColumns)},
	}
	t.columns = []column{{header: "Node\nregion"}, {header: "Kernel\nCPUs"}, {header: "Record\nage"}}
	for _, c := range nodeSettingColumns {
		t.columns = append(t.columns, column{header: c.header + baselineHeader(rows, c.settings, c.labels), mono: true})
	}
	t.columns = append(t.columns, column{header: "Baseline"})
	type mark struct{ fail, grey bool }
	marks := make([][]mark, len(rows))
	for i, r := range rows {
		where := r.Region
		if where == "" {
			where = "(no region)"
		}
		if r.Country != "" {
			where += " · " + r.Country
		}
		kernel := ""
		if r.Kernel != "" {
			kernel = r.Kernel + "\n" + r.CPUs + " CPUs"
		}
		record := r.Record
		if r.AgeSeconds != nil {
			record += "\n" + ageText(*r.AgeSeconds) + " old"
		}
		cells := []string{r.Node + "\n" + where, kernel, record}
		marks[i] = make([]mark, 3+len(nodeSettingColumns)+1)
		marks[i][2].grey = r.Record != evaluate.RecordUsed
		for j, c := range nodeSettingColumns {
			var parts []string
			for _, name := range c.settings {
				s, ok := settingOf(r, name)
				if !ok {
					continue
				}
				v := s.Value
				if v == "" {
					v = "absent"
				}
				switch s.Meets {
				case meetsNo:
					marks[i][3+j].fail = true
				case meetsNotAssessed:
					marks[i][3+j].grey = true
				}
				if name == "net.netfilter.nf_conntrack_count" && s.Value != "" {
					v += " used" + usage(s.Value, r)
				}
				parts = append(parts, v)
			}
			sep := "\n"
			if len(c.settings) == 3 {
				sep = " / "
			}
			cells = append(cells, strings.Join(parts, sep))
		}
		verdict := baselineVerdict(r)
		marks[i][len(marks[i])-1] = mark{fail: verdict == baselineNotMet, grey: verdict == baselineNotAssessed}
		cells = append(cells, verdict)
		t.rows = append(t.rows, cells)
		t.group = append(t.group, r.Region)
	}
	t.style = func(r, c int) cellStyle {
		switch m := marks[r][c]; {
		case m.fail:
			return cellStyle{colour: &colFail, bold: true}
		case m.grey:
			return cellStyle{colour: &colMuted}
		case c == len(marks[r])-1:
			return cellStyle{colour: &colPass}
		}
		return cellStyle{}
	}
	return inventory{
		title: "Node kernel settings",
		intro: "One row per node: its region, kernel and CPUs, the node agent's record (ConfigMap tilsyn-node-<node>, or this machine with --local-node) " +
			"and how old it was when collected, and each setting under the profile's baseline (in the column header). " +
			"Red: below the baseline (a RES-01 finding); grey: not assessed — no record, a stale or invalid one, or a value the agent could not read.",
		empty: "The snapshot lists no nodes and holds no node records.",
		table: t,
	}
}

// baselineVerdict says how a node's settings stand: met (every setting
// under a baseline meets it), not met (one does not), or not assessed (no
// usable record, or a value that could not be read and nothing failing).
func baselineVerdict(r NodeTuningRow) string {
	if r.Record != evaluate.RecordUsed {
		return baselineNotAssessed
	}
	v := baselineMet
	for _, s := range r.Settings {
		switch s.Meets {
		case meetsNo:
			return baselineNotMet
		case meetsNotAssessed:
			v = baselineNotAssessed
		}
	}
	return v
}

// settingOf finds a setting of a row.
func settingOf(r NodeTuningRow, name string) (SettingRow, bool) {
	for _, s := range r.Settings {
		if s.Name == name {
			return s, true
		}
	}
	return SettingRow{}, false
}

// baselineHeader is the baseline of some settings, as the first row that
// has them states it, each after its label ("\nmax ≥ 131072\nuse < 80%");
// without labels the baselines are joined ("\n≤ 600/60/3").
func baselineHeader(rows []NodeTuningRow, settings, labels []string) string {
	for _, r := range rows {
		var parts []string
		for i, name := range settings {
			s, ok := settingOf(r, name)
			if !ok || s.Baseline == "" {
				continue
			}
			b := strings.TrimSuffix(s.Baseline, " of nf_conntrack_max")
			if labels != nil {
				b = labels[i] + b
			}
			parts = append(parts, b)
		}
		switch {
		case len(parts) == 0:
			continue
		case labels == nil && len(parts) == len(settings):
			op, _, _ := strings.Cut(parts[0], " ")
			vals := make([]string, len(parts))
			for i, p := range parts {
				o, v, _ := strings.Cut(p, " ")
				if o != op {
					return "\n" + strings.Join(parts, "; ")
				}
				vals[i] = v
			}
			return "\n" + op + " " + strings.Join(vals, "/")
		}
		return "\n" + strings.Join(parts, "\n")
	}
	return ""
}

// usage is how full the conntrack table is, " (90%)", when both the count
// and the maximum were read.
func usage(count string, r NodeTuningRow) string {
	m, ok := settingOf(r, "net.netfilter.nf_conntrack_max")
	n, err1 := strconv.ParseFloat(count, 64)
	limit, err2 := strconv.ParseFloat(m.Value, 64)
	if !ok || err1 != nil || err2 != nil || limit <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%.0f%%)", 100*n/limit)
}
