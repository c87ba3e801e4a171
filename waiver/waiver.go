// Package waiver reads auditor-approved waivers and applies them to
// findings. A waiver names a control, the resources it covers (by kind,
// namespace and name, or by label selector), a justification, who
// approved it and when it expires. Only a complete, unexpired waiver
// waives anything; every other one is reported (control ACC-02), and so
// is a waiver that matches nothing.
//
// The file format:
//
//	apiVersion: tilsyn.io/v1
//	kind: WaiverList
//	waivers:
//	- id: W-2026-014              # optional; else the waiver is waivers[N]
//	  control: EGR-02
//	  resources:
//	  - kind: ServiceEntry
//	    namespace: payments
//	    name: card-processor
//	  - kind: Deployment          # or a label selector instead of a name
//	    namespace: ledger
//	    selector: app=legacy-export
//	  justification: SCCs signed 2026-03-01, transfer impact assessment TIA-7
//	  approvedBy: Kari Nordmann, DPO
//	  expires: 2027-03-31         # a date (valid through that day, UTC) or an RFC 3339 time
package waiver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// File identifiers.
const (
	APIVersion = "tilsyn.io/v1"
	Kind       = "WaiverList"
)

// Unwaivable controls account for the audit and its waivers themselves.
var Unwaivable = map[string]bool{"ACC-01": true, "ACC-02": true}

// File is a waiver file.
type File struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Waivers    []Waiver `json:"waivers"`
}

// Waiver is one entry of a waiver file.
type Waiver struct {
	ID            string     `json:"id,omitempty"`
	Control       string     `json:"control"`
	Resources     []Resource `json:"resources"`
	Justification string     `json:"justification"`
	ApprovedBy    string     `json:"approvedBy"`
	Expires       string     `json:"expires"`
}

// Resource selects the resources a waiver covers: kind and namespace (each
// optional: any), and either a name or a label selector. A selector matches
// the resource's labels and, for workload controllers, its pod template's.
type Resource struct {
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Selector  string `json:"selector,omitempty"`
}

// Set is a loaded waiver file.
type Set struct {
	// Source is the file's path; SHA256 the digest of its bytes.
	Source  string
	SHA256  string
	Waivers []Waiver
}

// Load reads a waiver file. A file that is not a well-formed WaiverList
// (bad YAML, wrong kind, unknown fields) is an error naming the file;
// incomplete entries are not errors, they are reported by ACC-02.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("waivers: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a waiver file read from source.
func Parse(source string, data []byte) (*Set, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("waivers %s: invalid YAML: %w", source, err)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("waivers %s: %w (want apiVersion %s, kind %s and a list of waivers with control, resources, justification, approvedBy, expires)",
			source, err, APIVersion, Kind)
	}
	if f.APIVersion != APIVersion || f.Kind != Kind {
		return nil, fmt.Errorf("waivers %s: apiVersion %q kind %q, want %s %s", source, f.APIVersion, f.Kind, APIVersion, Kind)
	}
	sum := sha256.Sum256(data)
	return &Set{Source: source, SHA256: hex.EncodeToString(sum[:]), Waivers: f.Waivers}, nil
}

// Statuses of a waiver in an audit.
const (
	// Active: complete, unexpired, and it waived at least one finding.
	Active = "active"
	// Unmatched: complete and unexpired, but it matched no finding.
	Unmatched = "unmatched"
	// Expired: its expiry is at or before the audit time.
	Expired = "expired"
	// Incomplete: a required field is missing or invalid.
	Incomplete = "incomplete"
)

// Entry is a waiver as applied in one audit.
type Entry struct {
	// Ref names the waiver: its id, or waivers[N] (N from 0).
	Ref string `json:"ref"`
	Waiver
	Status string `json:"status"`
	// Problems say why a waiver is incomplete.
	Problems []Problem `json:"problems,omitempty"`
	// Matched counts the findings it waived.
	Matched int `json:"matched"`
}

// Problem is one reason a waiver is incomplete: the field at fault
// ("waivers[3].expires"), the value found there, and what is wrong.
type Problem struct {
	Field   string `json:"field"`
	Value   any    `json:"value"`
	Message string `json:"message"`
}

// Applier applies a set at one audit time. It is not safe for concurrent
// use.
type Applier struct {
	entries   []Entry
	selectors [][]labels.Selector // per waiver, per resource (nil for names)
}

// At prepares a set for an audit at time now: each waiver is checked for
// completeness and expiry. A nil set gives an applier with no waivers.
func (s *Set) At(now time.Time) *Applier {
	a := &Applier{}
	if s == nil {
		return a
	}
	for i, w := range s.Waivers {
		e := Entry{Ref: w.ID, Waiver: w}
		if e.Ref == "" {
			e.Ref = fmt.Sprintf("waivers[%d]", i)
		}
		sels := make([]labels.Selector, len(w.Resources))
		e.Problems = problems(w, i, sels)
		switch {
		case len(e.Problems) > 0:
			e.Status = Incomplete
		case !expiry(w.Expires).After(now):
			e.Status = Expired
		default:
			e.Status = Unmatched
		}
		a.entries = append(a.entries, e)
		a.selectors = append(a.selectors, sels)
	}
	return a
}

// expiry is the first instant a waiver no longer applies: an RFC 3339
// time, or the day after a date. The zero time when it does not parse.
func expiry(s string) time.Time {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.AddDate(0, 0, 1)
	}
	return time.Time{}
}

func problems(w Waiver, i int, sels []labels.Selector) []Problem {
	var out []Problem
	at := func(field string, value any, msg string) {
		out = append(out, Problem{Field: fmt.Sprintf("waivers[%d].%s", i, field), Value: value, Message: msg})
	}
	switch {
	case strings.TrimSpace(w.Control) == "":
		at("control", nil, "missing: the id of the control waived, such as EGR-02")
	case Unwaivable[w.Control]:
		at("control", w.Control, w.Control+" accounts for the audit itself and cannot be waived")
	}
	if strings.TrimSpace(w.Justification) == "" {
		at("justification", nil, "missing: why the finding is accepted")
	}
	if strings.TrimSpace(w.ApprovedBy) == "" {
		at("approvedBy", nil, "missing: who approved the waiver")
	}
	switch {
	case strings.TrimSpace(w.Expires) == "":
		at("expires", nil, "missing: a date such as 2027-03-31 (waivers do not last forever)")
	case expiry(w.Expires).IsZero():
		at("expires", w.Expires, "neither a date (2027-03-31) nor an RFC 3339 time")
	}
	if len(w.Resources) == 0 {
		at("resources", nil, "missing: which resources the waiver covers")
	}
	for j, r := range w.Resources {
		field := fmt.Sprintf("resources[%d]", j)
		switch {
		case r.Name != "" && r.Selector != "":
			at(field, r, "give a name or a selector, not both")
		case r.Name == "" && r.Selector == "":
			at(field, r, "give a name or a label selector")
		case r.Selector != "":
			sel, err := labels.Parse(r.Selector)
			if err != nil {
				at(field+".selector", r.Selector, err.Error())
			} else if sel.Empty() {
				at(field+".selector", r.Selector, "an empty selector would cover every resource")
			} else {
				sels[j] = sel
			}
		}
	}
	return out
}

// NeedsLabels reports whether any usable waiver selects by label, so that
// callers only index labels when they must.
func (a *Applier) NeedsLabels() bool {
	for i, e := range a.entries {
		if e.Status != Unmatched {
			continue
		}
		for _, s := range a.selectors[i] {
			if s != nil {
				return true
			}
		}
	}
	return false
}

// Match returns the first usable waiver that covers a finding of control
// on the resource kind/namespace/name, and records the match. labelsOf
// gives the resource's labels (nil when unknown) and is called only for
// selector entries.
func (a *Applier) Match(control, kind, namespace, name string, labelsOf func() map[string]string) (*Entry, bool) {
	for i := range a.entries {
		e := &a.entries[i]
		if (e.Status != Unmatched && e.Status != Active) || e.Control != control {
			continue
		}
		for j, r := range e.Resources {
			if (r.Kind != "" && r.Kind != kind) || (r.Namespace != "" && r.Namespace != namespace) {
				continue
			}
			ok := false
			if sel := a.selectors[i][j]; sel != nil {
				if l := labelsOf(); l != nil {
					ok = sel.Matches(labels.Set(l))
				}
			} else {
				ok = r.Name == name
			}
			if ok {
				e.Status = Active
				e.Matched++
				return e, true
			}
		}
	}
	return nil, false
}

// Entries returns every waiver with its status, in file order.
func (a *Applier) Entries() []Entry {
	out := make([]Entry, len(a.entries))
	copy(out, a.entries)
	return out
}
