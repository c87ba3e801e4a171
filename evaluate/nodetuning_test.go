package evaluate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/nodetuning"
)

func record(node string, at time.Time) *nodetuning.Record {
	v := nodetuning.Value{Value: "1"}
	r := &nodetuning.Record{Node: node, CollectedAt: at, AgentVersion: "v1", Kernel: nodetuning.Value{Value: "6.1"}, CPUs: v,
		Sysctls: map[string]nodetuning.Value{}, ConntrackCount: v}
	for _, name := range nodetuning.Sysctls {
		r.Sysctls[name] = v
	}
	r.Sysctls["net.ipv4.ip_local_port_range"] = nodetuning.Value{Value: "1024 65535"}
	return r
}

// Records are sorted into evidence and the rest against the snapshot's
// time and the nodes the cluster lists, each with its reason.
func TestNodeTuningFacts(t *testing.T) {
	var nodes string
	for _, n := range []string{"fresh", "stale", "ahead", "invalid", "none"} {
		nodes += "---\n" + strings.ReplaceAll(oneNode, "n1", n)
	}
	s := snapshotOf(t, nodes)
	at := s.Metadata.CollectedAt
	s.NodeTuning = &collect.NodeTuning{Source: collect.NodeTuningConfigMaps, Namespace: "tilsyn", MaxAgeSeconds: 3600, Status: collect.Collected,
		Records: []collect.NodeRecord{
			{Node: "ahead", From: "ConfigMap tilsyn/tilsyn-node-ahead", Record: record("ahead", at.Add(time.Hour))},
			{Node: "fresh", From: "ConfigMap tilsyn/tilsyn-node-fresh", Record: record("fresh", at.Add(-59*time.Minute))},
			{Node: "gone", From: "ConfigMap tilsyn/tilsyn-node-gone", Record: record("gone", at)},
			{Node: "invalid", From: "ConfigMap tilsyn/tilsyn-node-invalid", Invalid: "no data key \"record\""},
			{Node: "stale", From: "ConfigMap tilsyn/tilsyn-node-stale", Record: record("stale", at.Add(-50*time.Hour))},
		}}
	f := nodeTuningFacts(s, geo.Nodes(s, geo.New(testProfile(t))))
	if len(f.Records) != 1 || f.Records["fresh"].AgeSeconds != 59*60 || f.Records["fresh"].From != "ConfigMap tilsyn/tilsyn-node-fresh" {
		t.Errorf("usable records %+v", f.Records)
	}
	for node, want := range map[string]string{
		"stale":   "collected at 2026-11-19T10:00:00Z, 2 days 2h before the snapshot was taken: older than the maximum age 1h0m0s",
		"ahead":   "1h0m0s after the snapshot was taken (2026-11-21T12:00:00Z): the node's clock is ahead",
		"invalid": `ConfigMap tilsyn/tilsyn-node-invalid holds no valid node record: no data key "record"`,
	} {
		if !strings.Contains(f.Unusable[node], want) {
			t.Errorf("unusable[%s] = %q, want %q", node, f.Unusable[node], want)
		}
	}
	if len(f.Unusable) != 3 {
		t.Errorf("unusable %v: the record of a node the cluster does not list is not a fact", f.Unusable)
	}
	standing := map[string]string{}
	for _, r := range f.Rows {
		standing[r.Node] = r.Standing
	}
	want := map[string]string{"ahead": RecordFuture, "fresh": RecordUsed, "gone": RecordOrphaned, "invalid": RecordInvalid, "none": RecordMissing, "stale": RecordStale}
	for n, w := range want {
		if standing[n] != w {
			t.Errorf("row %s: %q, want %q", n, standing[n], w)
		}
	}
	if len(f.Rows) != len(want) || f.Rows[0].Node != "ahead" || f.Rows[len(f.Rows)-1].Node != "stale" {
		t.Errorf("rows %+v", f.Rows)
	}

	// Records that could not be read at all: every node says why.
	s.NodeTuning = &collect.NodeTuning{Source: collect.NodeTuningConfigMaps, MaxAgeSeconds: 3600, Status: collect.Forbidden,
		Reason: "ConfigMaps of namespace tilsyn: forbidden", Records: []collect.NodeRecord{}}
	f = nodeTuningFacts(s, geo.Nodes(s, geo.New(testProfile(t))))
	for _, r := range f.Rows {
		if r.Standing != RecordUnread || r.Note != "ConfigMaps of namespace tilsyn: forbidden" {
			t.Errorf("row %+v", r)
		}
	}
	// A snapshot of an older tilsyn has no section: nothing is evidence.
	s.NodeTuning = nil
	if f = nodeTuningFacts(s, nil); f.Status != string(collect.Absent) || len(f.Records) != 0 {
		t.Errorf("facts without a section %+v", f)
	}
}

// End to end through the policies: RES-01 names the node whose record is
// stale, and assesses the fresh one.
func TestRES01StaleRecord(t *testing.T) {
	s := snapshotOf(t, oneNode+"---\n"+strings.ReplaceAll(oneNode, "n1", "n2"))
	at := s.Metadata.CollectedAt
	s.NodeTuning = &collect.NodeTuning{Source: collect.NodeTuningConfigMaps, MaxAgeSeconds: 3600, Status: collect.Collected,
		Records: []collect.NodeRecord{
			{Node: "n1", From: "ConfigMap tilsyn/tilsyn-node-n1", Record: record("n1", at.Add(-time.Minute))},
			{Node: "n2", From: "ConfigMap tilsyn/tilsyn-node-n2", Record: record("n2", at.Add(-2*time.Hour))},
		}}
	res, err := engineWith(t, nil).Evaluate(context.Background(), s, testNow)
	if err != nil {
		t.Fatal(err)
	}
	r := byID(res)["RES-01"]
	if r.Status != Fail {
		t.Fatalf("RES-01 = %s (findings %+v, gaps %+v)", r.Status, r.Findings, r.Gaps)
	}
	for _, f := range r.Findings {
		if f.Resource.Name != "n1" {
			t.Errorf("finding on %s: %s", f.Resource.Name, f.Message)
		}
	}
	if len(r.Gaps) != 1 || r.Gaps[0].Resource == nil || r.Gaps[0].Resource.Name != "n2" || !strings.Contains(r.Gaps[0].Reason, "older than the maximum age 1h0m0s") {
		t.Errorf("gaps %+v", r.Gaps)
	}
}
