package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
)

// nodeSettingColumns are the settings columns of the PDF's node settings
// table: a header and the settings each shows, with the short label that
// goes before each one's baseline in the header (the keepalives share one
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

// Baseline column values, which an aggregated table counts.
const (
	baselineMet         = "met"
	baselineNotMet      = "not met"
	baselineNotAssessed = "not assessed"
)

// nodeTuningTable is inventory.nodeTuning: each node's kernel settings
// against the profile's baseline, and the age of the record they come
// from; aggregated by region, like the node table.
func nodeTuningTable(inv Inventory) inventory {
	rows := inv.NodeTuning
	fields := []field[NodeTuningRow]{
		{column: column{header: "Node\nregion"}, text: func(r NodeTuningRow) string {
			where := orDash(r.Region)
			if r.Country != "" {
				where += " · " + r.Country
			}
			return r.Node + "\n" + where
		}},
		{column: column{header: "Kernel\nCPUs"}, text: func(r NodeTuningRow) string {
			if r.Kernel == "" {
				return ""
			}
			return r.Kernel + "\n" + r.CPUs + " CPUs"
		}, key: func(r NodeTuningRow) string { return r.Kernel }, summary: countDistinct, summaryHeader: "Kernel"},
		{column: column{header: "Record\nage"}, text: func(r NodeTuningRow) string {
			if r.AgeSeconds == nil {
				return r.Record
			}
			return r.Record + "\n" + ageText(*r.AgeSeconds) + " old"
		}, style: func(r NodeTuningRow) cellStyle {
			if r.Record != evaluate.RecordUsed {
				return cellStyle{colour: &colMuted}
			}
			return cellStyle{}
		}, key: func(r NodeTuningRow) string { return r.Record }, summary: countEach, summaryHeader: "Record"},
	}
	for _, c := range nodeSettingColumns {
		fields = append(fields, field[NodeTuningRow]{
			column: column{header: c.header + baselineHeader(rows, c.settings, c.labels), mono: true},
			text:   func(r NodeTuningRow) string { return settingsText(r, c.settings) },
			style:  func(r NodeTuningRow) cellStyle { return settingsStyle(r, c.settings) },
		})
	}
	fields = append(fields, field[NodeTuningRow]{column: column{header: "Baseline"}, text: baselineVerdict,
		style: func(r NodeTuningRow) cellStyle {
			switch baselineVerdict(r) {
			case baselineMet:
				return cellStyle{colour: &colPass}
			case baselineNotMet:
				return cellStyle{colour: &colFail, bold: true}
			}
			return cellStyle{colour: &colMuted}
		}, summary: countEach})
	s := spec[NodeTuningRow]{
		jsonPath: "inventory.nodeTuning", noun: "node",
		group: func(r NodeTuningRow) string {
			if r.Region == "" {
				return "none (no region label, or no Node object)"
			}
			return r.Region
		}, groupHeader: "Region",
		fields: fields,
	}
	return inventory{
		title: "Node kernel settings",
		intro: "One row per node: its kernel and CPUs, the node agent's record (ConfigMap tilsyn-node-<node>, or this machine with --local-node) " +
			"and how old it was when collected, and each setting under the profile's baseline (in the column header). " +
			"Red: below the baseline (a RES-01 finding); grey: not assessed — no record, a stale or invalid one, or a value the agent could not read.",
		empty: "The snapshot lists no nodes and holds no node records.",
		needs: []string{collect.Nodes},
		table: s.table(rows),
	}
}

// settingsText shows some settings of a row, one per line (the three
// keepalives on one).
func settingsText(r NodeTuningRow, settings []string) string {
	var parts []string
	for _, name := range settings {
		s, ok := settingOf(r, name)
		if !ok {
			continue
		}
		v := s.Value
		if v == "" {
			v = "absent"
		}
		if name == "net.netfilter.nf_conntrack_count" && s.Value != "" {
			v += " used" + usage(s.Value, r)
		}
		parts = append(parts, v)
	}
	if len(settings) == 3 {
		return strings.Join(parts, " / ")
	}
	return strings.Join(parts, "\n")
}

// settingsStyle is red when a setting fails its baseline, grey when one
// is not assessed.
func settingsStyle(r NodeTuningRow, settings []string) cellStyle {
	st := cellStyle{}
	for _, name := range settings {
		s, _ := settingOf(r, name)
		switch s.Meets {
		case meetsNo:
			return cellStyle{colour: &colFail, bold: true}
		case meetsNotAssessed:
			st = cellStyle{colour: &colMuted}
		}
	}
	return st
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
