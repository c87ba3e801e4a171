package collect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tilsyn/tilsyn/nodetuning"
)

// NodeTuning is the node agent's evidence in a snapshot: each node's
// record of its kernel settings (package nodetuning), where the records
// were read, and how old a record may be and still count.
type NodeTuning struct {
	// Source is "configmaps" (the agent's ConfigMaps tilsyn-node-* in
	// Namespace, from a cluster or from manifests) or "local" (the proc
	// tree of the machine tilsyn ran on, --local-node).
	Source    string `json:"source"`
	Namespace string `json:"namespace,omitempty"`
	// MaxAgeSeconds: a record collected longer than this before the
	// snapshot was taken is stale, and not evidence of the node's settings.
	MaxAgeSeconds int64 `json:"maxAgeSeconds"`
	// Status says whether the records could be read at all (collected,
	// forbidden, error), Reason why not.
	Status CoverageStatus `json:"status"`
	Reason string         `json:"reason,omitempty"`
	// Records are sorted by node.
	Records []NodeRecord `json:"records"`
}

// Node tuning sources.
const (
	NodeTuningConfigMaps = "configmaps"
	NodeTuningLocal      = "local"
)

// DefaultNodeRecordMaxAge is how old a node record may be by default: a
// dozen of the agent's default intervals.
const DefaultNodeRecordMaxAge = time.Hour

// NodeRecord is one node's record, or why the object that should hold it
// does not.
type NodeRecord struct {
	Node string `json:"node"`
	// From names what the record was read from: "ConfigMap ns/name" or
	// "proc tree /proc".
	From   string             `json:"from"`
	Record *nodetuning.Record `json:"record,omitempty"`
	// Invalid says why From holds no usable record; Record is then nil.
	Invalid string `json:"invalid,omitempty"`
}

// MaxAge is MaxAgeSeconds as a duration.
func (n *NodeTuning) MaxAge() time.Duration { return time.Duration(n.MaxAgeSeconds) * time.Second }

// nodeTuningFromConfigMaps reads the records among ConfigMaps of the
// records' namespace; other ConfigMaps are ignored.
func nodeTuningFromConfigMaps(cms []Object, namespace string, maxAge time.Duration) *NodeTuning {
	nt := &NodeTuning{Source: NodeTuningConfigMaps, Namespace: namespace, MaxAgeSeconds: int64(maxAge / time.Second),
		Status: Collected, Records: []NodeRecord{}}
	for _, cm := range cms {
		m := Meta(cm)
		if m.Namespace != namespace || !strings.HasPrefix(m.Name, nodetuning.ConfigMapPrefix) {
			continue
		}
		nr := NodeRecord{Node: strings.TrimPrefix(m.Name, nodetuning.ConfigMapPrefix), From: "ConfigMap " + m.Namespace + "/" + m.Name}
		data := map[string]string{}
		for k, v := range Map(cm, "data") {
			if s, ok := v.(string); ok {
				data[k] = s
			}
		}
		if rec, err := nodetuning.FromConfigMap(m.Name, data); err != nil {
			nr.Invalid = err.Error()
		} else {
			nr.Record = &rec
		}
		nt.Records = append(nt.Records, nr)
	}
	nt.sort()
	return nt
}

func (n *NodeTuning) sort() {
	sort.Slice(n.Records, func(i, j int) bool {
		a, b := n.Records[i], n.Records[j]
		if a.Node != b.Node {
			return a.Node < b.Node
		}
		return a.From < b.From
	})
}

// check validates a decoded section: every record is in the agent's form
// and belongs to the node it is filed under.
func (n *NodeTuning) check() error {
	if n.MaxAgeSeconds <= 0 {
		return fmt.Errorf("nodeTuning.maxAgeSeconds %d: want a positive number", n.MaxAgeSeconds)
	}
	for i, r := range n.Records {
		switch {
		case r.Record == nil && r.Invalid == "":
			return fmt.Errorf("nodeTuning.records[%d] (%s): neither a record nor why it is invalid", i, r.Node)
		case r.Record == nil:
			continue
		case r.Record.Node != r.Node:
			return fmt.Errorf("nodeTuning.records[%d]: filed under node %q but records node %q", i, r.Node, r.Record.Node)
		}
		if err := r.Record.Check(); err != nil {
			return fmt.Errorf("nodeTuning.records[%d] (%s): %w", i, r.Node, err)
		}
	}
	return nil
}

// LocalNodeOptions configure a snapshot of the machine tilsyn runs on.
type LocalNodeOptions struct {
	// Proc is the proc tree (nodetuning.DefaultProc when empty).
	Proc string
	// NodeName names the record.
	NodeName string
	// Version is tilsyn's, recorded as the reading agent's.
	Version string
	Now     time.Time
}

// FromLocalNode reads the kernel settings of the machine tilsyn runs on
// into a snapshot that holds nothing else: every resource type is recorded
// as not collected, so only the node tuning control is assessed, for this
// one node. Run on a node (over SSH, say), it is an ad hoc check of that
// node's settings without a cluster connection.
func FromLocalNode(opts LocalNodeOptions) (*Snapshot, error) {
	r := &nodetuning.Reader{Root: opts.Proc}
	if err := r.CheckRoot(); err != nil {
		return nil, err
	}
	if err := nodetuning.CheckNodeName(opts.NodeName); err != nil {
		return nil, err
	}
	s := New(Source{Type: "local-node"}, opts.Now)
	for _, t := range Registry {
		s.SetCoverage(Coverage{Resource: t.Key, Kind: t.Kind, Group: t.Group, Status: Absent,
			Reason: "not read: --local-node reads this machine only"})
	}
	rec := r.Read(opts.NodeName, opts.Version, opts.Now)
	root := opts.Proc
	if root == "" {
		root = nodetuning.DefaultProc
	}
	s.NodeTuning = &NodeTuning{Source: NodeTuningLocal, MaxAgeSeconds: int64(DefaultNodeRecordMaxAge / time.Second), Status: Collected,
		Records: []NodeRecord{{Node: opts.NodeName, From: "proc tree " + root, Record: &rec}}}
	return s, nil
}

// collectNodeRecords lists the ConfigMaps of the records' namespace. It is
// one request (or a few pages) whatever namespaces the collection is
// narrowed to: the records are evidence about nodes, not about namespaces.
func collectNodeRecords(ctx context.Context, p *pager, opts LiveOptions) *NodeTuning {
	namespace, maxAge := opts.NodeRecordNamespace, opts.NodeRecordMaxAge
	t, _ := TypeByKey(ConfigMaps) // registered in types.go
	s := served{t: t, version: t.Version}
	cms, err := listAll(ctx, p, resourcePath(s, namespace), s, false, func(o Object) (Object, error) { return o, nil })
	if err != nil {
		nt := &NodeTuning{Source: NodeTuningConfigMaps, Namespace: namespace, MaxAgeSeconds: int64(maxAge / time.Second), Records: []NodeRecord{}}
		status, reason := classify(ctx, opts, err)
		nt.Status, nt.Reason = status, "ConfigMaps of namespace "+namespace+": "+reason
		return nt
	}
	return nodeTuningFromConfigMaps(cms, namespace, maxAge)
}
