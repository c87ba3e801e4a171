// Package nodetuning owns the node agent's record of a node's kernel
// settings: which settings are read (those of control RES-01), how they
// are read from a proc tree, and how a record is kept in the ConfigMap
// tilsyn-node-<node> that the agent publishes and the collector reads.
//
// The package depends on the standard library only: the node agent, which
// must stay small, and the collector both use it.
package nodetuning

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Record identifiers, and where records are kept.
const (
	APIVersion = "tilsyn.io/v1"
	Kind       = "NodeTuningRecord"
	// Namespace is the namespace of the record ConfigMaps.
	Namespace = "tilsyn"
	// ConfigMapPrefix starts every record ConfigMap's name; the node's
	// name follows.
	ConfigMapPrefix = "tilsyn-node-"
	// DataKey is the ConfigMap data key that holds the record as JSON.
	DataKey = "record"
	// ComponentLabel and Component label every record ConfigMap.
	ComponentLabel = "app.kubernetes.io/component"
	Component      = "node-record"
)

// maxConfigMapName is the longest object name the API server accepts
// (a DNS subdomain).
const maxConfigMapName = 253

// Sysctls are the kernel settings a record holds, as sysctl names, in the
// order a report lists them. ConntrackCount is read besides: it is a
// measurement, not a setting.
var Sysctls = []string{
	"fs.file-max",
	"net.netfilter.nf_conntrack_max",
	"net.ipv4.tcp_tw_reuse",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

// ConntrackCount is the sysctl holding the number of conntrack entries.
const ConntrackCount = "net.netfilter.nf_conntrack_count"

// Value is one value as read: exactly one of Value (the text, whitespace
// collapsed to single spaces) and Absent (why it could not be read). A
// value that could not be read is never recorded as zero.
type Value struct {
	Value  string `json:"value,omitempty"`
	Absent string `json:"absent,omitempty"`
}

// Record is what the agent read on one node at one time.
type Record struct {
	Node         string    `json:"node"`
	CollectedAt  time.Time `json:"collectedAt"`
	AgentVersion string    `json:"agentVersion"`
	// Kernel is the kernel release (kernel.osrelease); CPUs the number of
	// online CPUs.
	Kernel Value `json:"kernel"`
	CPUs   Value `json:"cpus"`
	// Sysctls holds one Value for each name in Sysctls.
	Sysctls        map[string]Value `json:"sysctls"`
	ConntrackCount Value            `json:"conntrackCount"`
}

// document is a record as a ConfigMap holds it: the record with its type.
type document struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Record
}

// ConfigMapName is the name of the ConfigMap holding a node's record.
func ConfigMapName(node string) string { return ConfigMapPrefix + node }

// CheckNodeName says whether a node's record can be published under its
// name: the ConfigMap name must stay within the API server's limit.
func CheckNodeName(node string) error {
	if node == "" {
		return errors.New("no node name")
	}
	if n := len(ConfigMapName(node)); n > maxConfigMapName {
		return fmt.Errorf("node name %q is too long: the ConfigMap name %s... would have %d characters, more than %d",
			node, ConfigMapPrefix, n, maxConfigMapName)
	}
	return nil
}

// Encode returns the record's JSON, as a ConfigMap's data[DataKey] holds
// it.
func (r Record) Encode() ([]byte, error) {
	return json.Marshal(document{APIVersion: APIVersion, Kind: Kind, Record: r})
}

// FromConfigMap reads the record of a ConfigMap named name with the given
// data, checking it as strictly as the agent writes it: the ConfigMap must
// be named after the record's node, and every value must have the form the
// agent gives it. An error says what is wrong; the record is then not
// evidence.
func FromConfigMap(name string, data map[string]string) (Record, error) {
	node, ok := strings.CutPrefix(name, ConfigMapPrefix)
	if !ok || node == "" {
		return Record{}, fmt.Errorf("the name does not start with %s and a node name", ConfigMapPrefix)
	}
	text, ok := data[DataKey]
	if !ok {
		return Record{}, fmt.Errorf("no data key %q", DataKey)
	}
	var doc document
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	if err := dec.Decode(&doc); err != nil {
		return Record{}, fmt.Errorf("data[%s]: not a record: %w", DataKey, err)
	}
	if doc.APIVersion != APIVersion || doc.Kind != Kind {
		return Record{}, fmt.Errorf("data[%s]: apiVersion %q kind %q, want %s %s", DataKey, doc.APIVersion, doc.Kind, APIVersion, Kind)
	}
	r := doc.Record
	// Settings a newer agent reads besides are left out: this reader
	// cannot check their form, and no control asks for them.
	kept := make(map[string]Value, len(Sysctls))
	for _, name := range Sysctls {
		if v, ok := r.Sysctls[name]; ok {
			kept[name] = v
		}
	}
	r.Sysctls = kept
	if r.Node != node {
		return Record{}, fmt.Errorf("data[%s]: the record is of node %q, but the ConfigMap is named for node %q", DataKey, r.Node, node)
	}
	if err := r.Check(); err != nil {
		return Record{}, fmt.Errorf("data[%s]: %w", DataKey, err)
	}
	return r, nil
}

// Check verifies that a record has every field, and every value the form
// a reader gives it.
func (r Record) Check() error {
	if r.CollectedAt.IsZero() {
		return errors.New("no collectedAt")
	}
	check := func(field string, v Value, parse func(string) (string, error)) error {
		switch {
		case (v.Value == "") == (v.Absent == ""):
			return fmt.Errorf("%s: want exactly one of value and absent", field)
		case v.Value == "":
			return nil
		}
		if norm, err := parse(v.Value); err != nil || norm != v.Value {
			return fmt.Errorf("%s: value %q is not in the agent's form", field, v.Value)
		}
		return nil
	}
	if err := check("kernel", r.Kernel, parseRelease); err != nil {
		return err
	}
	if err := check("cpus", r.CPUs, parseInteger); err != nil {
		return err
	}
	for _, name := range Sysctls {
		v, ok := r.Sysctls[name]
		if !ok {
			return fmt.Errorf("sysctls: %s is missing", name)
		}
		if err := check("sysctls["+name+"]", v, parserOf(name)); err != nil {
			return err
		}
	}
	return check("conntrackCount", r.ConntrackCount, parseInteger)
}
