// Package collect turns cluster state — manifest files, a saved snapshot or a
// live API server — into a Snapshot: a versioned, JSON-serialisable record of
// the mesh and cluster objects an audit looks at, with a coverage record
// that says, per resource type, whether it was collected at all.
package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// Snapshot identifiers. SchemaVersion changes when the layout changes in a
// way older readers cannot follow.
const (
	APIVersion    = "tilsyn.io/v1"
	SnapshotKind  = "Snapshot"
	SchemaVersion = 1
)

// Object is a Kubernetes object as decoded from JSON or YAML, with the
// fields tilsyn never keeps (managedFields, last-applied configuration,
// Secret data) already removed.
type Object = map[string]any

// Snapshot is the collected state of one cluster (or one set of manifests).
type Snapshot struct {
	APIVersion    string   `json:"apiVersion"`
	Kind          string   `json:"kind"`
	SchemaVersion int      `json:"schemaVersion"`
	Metadata      Metadata `json:"metadata"`
	// Resources holds the objects of each registered type, keyed by
	// ResourceType.Key and sorted by namespace and name.
	Resources map[string][]Object `json:"resources"`
	// Other holds objects of kinds tilsyn does not interpret (read from
	// manifests), kept so user policies can look at them.
	Other []Object `json:"other,omitempty"`
	// UnknownKinds counts the objects in Other by apiVersion and kind.
	UnknownKinds []KindCount `json:"unknownKinds,omitempty"`
	// Coverage has one entry per registered resource type.
	Coverage []Coverage `json:"coverage"`
	// NodeTuning holds the node agent's records of each node's kernel
	// settings; nil in snapshots taken before tilsyn read them.
	NodeTuning *NodeTuning `json:"nodeTuning,omitempty"`
}

// Metadata says where and when a snapshot was taken.
type Metadata struct {
	CollectedAt time.Time `json:"collectedAt"`
	Source      Source    `json:"source"`
	// Cluster identifies a live cluster; it is empty for manifests.
	Cluster *Cluster `json:"cluster,omitempty"`
}

// Source describes what a snapshot was collected from.
type Source struct {
	// Type is "manifests" or "live".
	Type string `json:"type"`
	// Paths are the manifest files and directories as given ("-" is stdin).
	Paths []string `json:"paths,omitempty"`
	// Namespaces narrows a live collection; empty means all namespaces.
	Namespaces []string `json:"namespaces,omitempty"`
}

// Cluster identifies a live cluster.
type Cluster struct {
	// UID is the UID of the kube-system namespace, stable for the life of
	// the cluster.
	UID           string `json:"uid,omitempty"`
	Server        string `json:"server,omitempty"`
	Context       string `json:"context,omitempty"`
	ServerVersion string `json:"serverVersion,omitempty"`
}

// KindCount counts objects of one apiVersion and kind.
type KindCount struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Count      int    `json:"count"`
}

// CoverageStatus says whether a resource type was collected.
type CoverageStatus string

// Coverage statuses. Only Collected means the list is complete evidence;
// every other status makes the controls that need the type not-assessed.
const (
	Collected CoverageStatus = "collected"
	Absent    CoverageStatus = "absent"    // the API is not served (CRD not installed)
	Forbidden CoverageStatus = "forbidden" // RBAC denied the list
	Failed    CoverageStatus = "error"     // timeout or other failure
)

// Coverage records how one resource type was collected.
type Coverage struct {
	Resource string         `json:"resource"`
	Kind     string         `json:"kind"`
	Group    string         `json:"group,omitempty"`
	Status   CoverageStatus `json:"status"`
	Count    int            `json:"count"`
	Reason   string         `json:"reason,omitempty"`
}

// New returns an empty snapshot with every registered type present (as an
// empty list) and no coverage yet.
func New(src Source, at time.Time) *Snapshot {
	s := &Snapshot{
		APIVersion:    APIVersion,
		Kind:          SnapshotKind,
		SchemaVersion: SchemaVersion,
		Metadata:      Metadata{CollectedAt: at.UTC(), Source: src},
		Resources:     make(map[string][]Object, len(Registry)),
	}
	for _, t := range Registry {
		s.Resources[t.Key] = []Object{}
	}
	return s
}

// CoverageOf returns the coverage entry of a resource type.
func (s *Snapshot) CoverageOf(key string) (Coverage, bool) {
	for _, c := range s.Coverage {
		if c.Resource == key {
			return c, true
		}
	}
	return Coverage{}, false
}

// Has reports whether a resource type was fully collected.
func (s *Snapshot) Has(key string) bool {
	c, ok := s.CoverageOf(key)
	return ok && c.Status == Collected
}

// SetCoverage records the coverage of one resource type, replacing any
// earlier entry, and keeps the list in registry order.
func (s *Snapshot) SetCoverage(c Coverage) {
	for i := range s.Coverage {
		if s.Coverage[i].Resource == c.Resource {
			s.Coverage[i] = c
			return
		}
	}
	s.Coverage = append(s.Coverage, c)
	order := make(map[string]int, len(Registry))
	for i, t := range Registry {
		order[t.Key] = i
	}
	sort.SliceStable(s.Coverage, func(i, j int) bool {
		return order[s.Coverage[i].Resource] < order[s.Coverage[j].Resource]
	})
}

// Sort orders every list by namespace, name and uid so that the same state
// always serialises to the same bytes.
func (s *Snapshot) Sort() {
	for _, objs := range s.Resources {
		sortObjects(objs)
	}
	sortObjects(s.Other)
	sort.Slice(s.UnknownKinds, func(i, j int) bool {
		a, b := s.UnknownKinds[i], s.UnknownKinds[j]
		if a.APIVersion != b.APIVersion {
			return a.APIVersion < b.APIVersion
		}
		return a.Kind < b.Kind
	})
}

func sortObjects(objs []Object) {
	type keyed struct {
		key string
		obj Object
	}
	ks := make([]keyed, len(objs))
	for i, o := range objs {
		ks[i] = keyed{identity(o), o}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	for i := range ks {
		objs[i] = ks[i].obj
	}
}

// Identity is the key Sort orders the objects of a list by: kind,
// namespace, name, uid.
func Identity(o Object) string { return identity(o) }

// identity is the sort key of an object: kind, namespace, name, uid.
func identity(o Object) string {
	md, _ := o["metadata"].(map[string]any)
	return Str(o, "kind") + "\x00" + Str(md, "namespace") + "\x00" + Str(md, "name") + "\x00" + Str(md, "uid")
}

// ReadSnapshot loads a snapshot saved by `tilsyn collect`.
func ReadSnapshot(path string) (*Snapshot, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	return DecodeSnapshot(path, data)
}

// DecodeSnapshot parses and validates a snapshot; name is used in errors.
func DecodeSnapshot(name string, data []byte) (*Snapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("snapshot %s: not a tilsyn snapshot: %w", name, err)
	}
	if s.APIVersion != APIVersion || s.Kind != SnapshotKind {
		return nil, fmt.Errorf("snapshot %s: apiVersion %q kind %q, want %s %s (create one with `tilsyn collect`)",
			name, s.APIVersion, s.Kind, APIVersion, SnapshotKind)
	}
	if s.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("snapshot %s: schema version %d is not supported by this tilsyn (reads %d)",
			name, s.SchemaVersion, SchemaVersion)
	}
	if s.Resources == nil {
		s.Resources = map[string][]Object{}
	}
	for _, t := range Registry {
		if s.Resources[t.Key] == nil {
			s.Resources[t.Key] = []Object{}
		}
		if _, ok := s.CoverageOf(t.Key); !ok {
			// A type this snapshot's writer did not know about was not
			// collected; say so instead of treating the empty list as fact.
			s.SetCoverage(Coverage{Resource: t.Key, Kind: t.Kind, Group: t.Group, Status: Failed,
				Reason: "not recorded in the snapshot"})
		}
	}
	for key := range s.Resources {
		if _, ok := TypeByKey(key); !ok {
			return nil, fmt.Errorf("snapshot %s: unknown resource list %q", name, key)
		}
	}
	if s.NodeTuning != nil {
		if err := s.NodeTuning.check(); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", name, err)
		}
	}
	return &s, nil
}
