package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/nodetuning"
	"github.com/tilsyn/tilsyn/profile"
)

// NodeTuningRow is one row of inventory.nodeTuning: a node, or a record
// of a node the cluster does not list, with where it is, its kernel, the
// standing of its node agent record and each setting against the
// profile's baseline.
type NodeTuningRow struct {
	Node string `json:"node"`
	// Region is the node's region label value, Country its country; both
	// empty for a record without a Node.
	Region  string `json:"region,omitempty"`
	Country string `json:"country,omitempty"`
	Kernel  string `json:"kernel,omitempty"`
	CPUs    string `json:"cpus,omitempty"`
	// Record is the standing of the node's record: used (evidence), stale,
	// invalid, clock ahead, no record, not read, or no Node object. Note
	// says why a record is not used.
	Record string `json:"record"`
	Note   string `json:"note,omitempty"`
	// From, CollectedAt and AgeSeconds (at collection) describe the record.
	From        string     `json:"from,omitempty"`
	CollectedAt *time.Time `json:"collectedAt,omitempty"`
	AgeSeconds  *int64     `json:"ageSeconds,omitempty"`
	// Settings are the recorded settings, empty without a record.
	Settings []SettingRow `json:"settings"`
}

// SettingRow is one kernel setting of a node against the baseline.
type SettingRow struct {
	Name   string `json:"name"`
	Value  string `json:"value,omitempty"`
	Absent string `json:"absent,omitempty"`
	// Baseline is the profile's rule in words ("≥ 2097152"), empty when
	// the profile sets none.
	Baseline string `json:"baseline,omitempty"`
	// Meets is "yes", "no" (RES-01 has a finding on it), "not assessed" or
	// "no baseline".
	Meets string `json:"meets"`
}

// Meets values.
const (
	meetsYes         = "yes"
	meetsNo          = "no"
	meetsNotAssessed = "not assessed"
	meetsNoBaseline  = "no baseline"
)

// res01 is the control whose findings decide whether a setting meets
// its baseline.
const res01 = "RES-01"

// nodeTuningInventory builds inventory.nodeTuning from the node records
// and RES-01's findings: a setting meets its baseline when RES-01
// assessed the node and found nothing wrong with it.
func nodeTuningInventory(res *evaluate.Results) []NodeTuningRow {
	rows := []NodeTuningRow{}
	if res.Derived == nil {
		return rows
	}
	failed := map[string]bool{} // node + "\x00" + field
	for _, c := range res.Controls {
		if c.Control.ID != res01 {
			continue
		}
		for _, f := range c.Findings {
			failed[f.Resource.Name+"\x00"+f.Field] = true
		}
	}
	var base profile.NodeBaseline
	if res.Profile != nil {
		base = res.Profile.Spec.NodeBaseline
	}
	for _, r := range res.Derived.NodeTuning.Rows {
		row := NodeTuningRow{Node: r.Node, Record: r.Standing, Note: r.Note, From: r.From, Settings: []SettingRow{}}
		if r.Location != nil {
			row.Region, row.Country = r.Location.Region.Value, r.Location.Country
		}
		if rec := r.Record; rec != nil {
			row.Kernel, row.CPUs = orAbsent(rec.Kernel), orAbsent(rec.CPUs)
			at, age := rec.CollectedAt, r.AgeSeconds
			row.CollectedAt, row.AgeSeconds = &at, &age
			used := r.Standing == evaluate.RecordUsed
			for _, name := range settingNames(rec) {
				v := rec.Sysctls[name]
				if name == nodetuning.ConntrackCount {
					v = rec.ConntrackCount
				}
				s := SettingRow{Name: name, Value: v.Value, Absent: v.Absent, Baseline: baselineText(name, base)}
				switch {
				case s.Baseline == "":
					s.Meets = meetsNoBaseline
				case !used || v.Absent != "" || name == nodetuning.ConntrackCount && rec.Sysctls["net.netfilter.nf_conntrack_max"].Value == "":
					s.Meets = meetsNotAssessed
				case failed[r.Node+"\x00sysctl "+name]:
					s.Meets = meetsNo
				default:
					s.Meets = meetsYes
				}
				row.Settings = append(row.Settings, s)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// settingNames lists a record's settings: the agent's in its order, then
// the conntrack count.
func settingNames(rec *nodetuning.Record) []string {
	names := slices.Clone(nodetuning.Sysctls)
	var extra []string
	for name := range rec.Sysctls {
		if !slices.Contains(names, name) {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	return append(append(names, extra...), nodetuning.ConntrackCount)
}

// baselineText says a setting's baseline rule in words.
func baselineText(name string, base profile.NodeBaseline) string {
	if name == nodetuning.ConntrackCount {
		if base.ConntrackUsageMaxPercent == 0 {
			return ""
		}
		return fmt.Sprintf("< %g%% of nf_conntrack_max", base.ConntrackUsageMaxPercent)
	}
	r, ok := base.Sysctls[name]
	switch {
	case !ok:
		return ""
	case r.Min != nil:
		return fmt.Sprintf("≥ %d", *r.Min)
	case r.Max != nil:
		return fmt.Sprintf("≤ %d", *r.Max)
	case r.Equals != nil:
		return "= " + *r.Equals
	case r.CoversRange != nil && len(*r.CoversRange) == 2:
		return fmt.Sprintf("covers %d-%d", (*r.CoversRange)[0], (*r.CoversRange)[1])
	}
	return ""
}

func orAbsent(v nodetuning.Value) string {
	if v.Value != "" {
		return v.Value
	}
	return "(not read: " + v.Absent + ")"
}

// ageText says how old a record was, roughly.
func ageText(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d < 0:
		return "from the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds", seconds)
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	return fmt.Sprintf("%d days", d/(24*time.Hour))
}
