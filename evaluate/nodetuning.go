package evaluate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/nodetuning"
)

// NodeTuning is input.facts.nodeTuning, the node agent's evidence for
// RES-01:
//
//	source, namespace       where the records were read (configmaps of a
//	                        namespace, or local)
//	status, reason          whether they could be (collected, forbidden,
//	                        error, absent)
//	maxAgeSeconds           how old a record may be
//	nodesCollected          the Node list was collected: its nodes are the
//	                        ones assessed (records of other nodes are not)
//	records: {"<node>": {"from", "collectedAt", "ageSeconds", "agentVersion",
//	  "kernel": V, "cpus": V, "sysctls": {"<name>": V}, "conntrackCount": V}}
//	  where V is {"value": "<as read>"} or {"absent": "<reason>"}
//	unusable: {"<node>": "<why its record is not evidence>"}
//
// records holds only records that are evidence: valid and fresh. A node
// that is in neither records nor unusable has no record at all.
type NodeTuning struct {
	Source         string                `json:"source"`
	Namespace      string                `json:"namespace,omitempty"`
	Status         string                `json:"status"`
	Reason         string                `json:"reason,omitempty"`
	MaxAgeSeconds  int64                 `json:"maxAgeSeconds"`
	NodesCollected bool                  `json:"nodesCollected"`
	Records        map[string]NodeRecord `json:"records"`
	Unusable       map[string]string     `json:"unusable"`
	// Rows are every node and every record with their standing, in node
	// order, for the report; they are not a policy fact.
	Rows []NodeTuningRow `json:"-"`
}

// NodeRecord is one node's usable record.
type NodeRecord struct {
	From           string                      `json:"from"`
	CollectedAt    time.Time                   `json:"collectedAt"`
	AgeSeconds     int64                       `json:"ageSeconds"`
	AgentVersion   string                      `json:"agentVersion"`
	Kernel         nodetuning.Value            `json:"kernel"`
	CPUs           nodetuning.Value            `json:"cpus"`
	Sysctls        map[string]nodetuning.Value `json:"sysctls"`
	ConntrackCount nodetuning.Value            `json:"conntrackCount"`
}

// Standing of a node's record.
const (
	RecordUsed     = "used"           // evidence, assessed
	RecordStale    = "stale"          // older than the maximum age
	RecordInvalid  = "invalid"        // the ConfigMap holds no valid record
	RecordFuture   = "clock ahead"    // collected after the snapshot was taken
	RecordMissing  = "no record"      // a node without a record
	RecordUnread   = "not read"       // the records could not be read at all
	RecordOrphaned = "no Node object" // a record of a node the cluster does not list
)

// NodeTuningRow is one row of the report's node table.
type NodeTuningRow struct {
	Node string
	// Location is the node's location, nil for a record without a Node.
	Location *geo.Node
	From     string
	Record   *nodetuning.Record
	// AgeSeconds is the record's age when the snapshot was taken.
	AgeSeconds int64
	Standing   string
	// Note says why a record is not used.
	Note string
}

// clockSkew is how far after the snapshot a record may have been taken
// (the node's clock running ahead) and still count as fresh.
const clockSkew = 5 * time.Minute

// nodeTuningFacts sorts the snapshot's records into evidence and the
// rest, against the nodes the cluster lists.
func nodeTuningFacts(s *collect.Snapshot, nodes []geo.Node) NodeTuning {
	nt := s.NodeTuning
	f := NodeTuning{Records: map[string]NodeRecord{}, Unusable: map[string]string{}, NodesCollected: s.Has(collect.Nodes)}
	if nt == nil {
		nt = &collect.NodeTuning{Status: collect.Absent,
			Reason: "the snapshot holds no node agent records (it was taken by a tilsyn that did not read them)"}
	}
	f.Source, f.Namespace, f.Status, f.Reason, f.MaxAgeSeconds = nt.Source, nt.Namespace, string(nt.Status), nt.Reason, nt.MaxAgeSeconds
	at := s.Metadata.CollectedAt
	listed := map[string]*geo.Node{}
	for i := range nodes {
		listed[nodes[i].Name] = &nodes[i]
	}
	seen := map[string]bool{}
	for _, r := range nt.Records {
		row := NodeTuningRow{Node: r.Node, Location: listed[r.Node], From: r.From, Record: r.Record}
		seen[r.Node] = true
		switch {
		case r.Record == nil:
			row.Standing, row.Note = RecordInvalid, fmt.Sprintf("%s holds no valid node record: %s", r.From, r.Invalid)
		default:
			age := at.Sub(r.Record.CollectedAt)
			row.AgeSeconds = int64(age / time.Second)
			switch {
			case age < -clockSkew:
				row.Standing, row.Note = RecordFuture, fmt.Sprintf("the record (%s) was collected at %s, %v after the snapshot was taken (%s): the node's clock is ahead, so its age is unknown",
					r.From, r.Record.CollectedAt.UTC().Format(time.RFC3339), (-age).Round(time.Second), at.UTC().Format(time.RFC3339))
			case nt.MaxAgeSeconds > 0 && age > nt.MaxAge():
				row.Standing, row.Note = RecordStale, fmt.Sprintf("the record (%s) was collected at %s, %s before the snapshot was taken: older than the maximum age %v (--max-age), so it is no evidence of the node's settings now",
					r.From, r.Record.CollectedAt.UTC().Format(time.RFC3339), roughly(age), nt.MaxAge())
			default:
				row.Standing = RecordUsed
			}
		}
		if f.NodesCollected && row.Location == nil {
			row.Standing, row.Note = RecordOrphaned, "the cluster lists no Node of this name (a removed node's record stays until deleted): not assessed"
		}
		f.Rows = append(f.Rows, row)
		switch {
		case row.Standing == RecordOrphaned:
		case row.Standing == RecordUsed:
			rec := r.Record
			f.Records[r.Node] = NodeRecord{From: r.From, CollectedAt: rec.CollectedAt, AgeSeconds: max(row.AgeSeconds, 0),
				AgentVersion: rec.AgentVersion, Kernel: rec.Kernel, CPUs: rec.CPUs, Sysctls: rec.Sysctls, ConntrackCount: rec.ConntrackCount}
		default:
			f.Unusable[r.Node] = row.Note
		}
	}
	for i := range nodes {
		n := &nodes[i]
		if seen[n.Name] {
			continue
		}
		row := NodeTuningRow{Node: n.Name, Location: n, Standing: RecordMissing}
		if f.Status != string(collect.Collected) {
			row.Standing, row.Note = RecordUnread, f.Reason
		}
		f.Rows = append(f.Rows, row)
	}
	sort.SliceStable(f.Rows, func(i, j int) bool { return f.Rows[i].Node < f.Rows[j].Node })
	return f
}

// roughly says a duration in the largest whole unit that fits: "3h12m",
// "2 days 4h".
func roughly(d time.Duration) string {
	d = d.Round(time.Minute)
	if d >= 48*time.Hour {
		days := d / (24 * time.Hour)
		return fmt.Sprintf("%d days %dh", days, (d-days*24*time.Hour)/time.Hour)
	}
	return strings.TrimSuffix(d.String(), "0s")
}
