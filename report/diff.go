package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/evaluate"
)

// Kinds of change between two audits.
const (
	Appeared    = "appeared"
	Disappeared = "disappeared"
	Changed     = "changed"
)

// Drift is what changed between two audits: controls and findings that
// appeared, disappeared or changed.
type Drift struct {
	Old      DriftSide       `json:"old"`
	New      DriftSide       `json:"new"`
	Controls []ControlChange `json:"controls"`
	Findings []FindingChange `json:"findings"`
}

// DriftSide identifies one of the two reports.
type DriftSide struct {
	GeneratedAt  time.Time `json:"generatedAt"`
	Verdict      string    `json:"verdict"`
	ReportSHA256 string    `json:"reportSHA256,omitempty"`
}

// ControlChange is a control that appeared, disappeared or changed status.
type ControlChange struct {
	ID        string          `json:"id"`
	Title     string          `json:"title"`
	Change    string          `json:"change"`
	OldStatus evaluate.Status `json:"oldStatus,omitempty"`
	NewStatus evaluate.Status `json:"newStatus,omitempty"`
}

// FindingChange is a finding that appeared, disappeared or changed (same
// control, resource and field; another value, severity or message).
type FindingChange struct {
	Control  string            `json:"control"`
	Change   string            `json:"change"`
	Resource evaluate.Resource `json:"resource"`
	Field    string            `json:"field"`
	Old      *Finding          `json:"old,omitempty"`
	New      *Finding          `json:"new,omitempty"`
}

// Empty reports whether nothing changed.
func (d *Drift) Empty() bool { return len(d.Controls) == 0 && len(d.Findings) == 0 }

// Diff compares two reports. Controls are matched by id; findings by
// control, resource and field (in order, when several share those).
func Diff(old, new *Report) *Drift {
	d := &Drift{
		Old:      DriftSide{old.Metadata.GeneratedAt, old.Summary.Verdict, old.Integrity.ReportSHA256},
		New:      DriftSide{new.Metadata.GeneratedAt, new.Summary.Verdict, new.Integrity.ReportSHA256},
		Controls: []ControlChange{},
		Findings: []FindingChange{},
	}
	oldC, newC := controlsByID(old), controlsByID(new)
	for _, id := range unionKeys(oldC, newC) {
		o, n := oldC[id], newC[id]
		switch {
		case o == nil:
			d.Controls = append(d.Controls, ControlChange{ID: id, Title: n.Title, Change: Appeared, NewStatus: n.Status})
		case n == nil:
			d.Controls = append(d.Controls, ControlChange{ID: id, Title: o.Title, Change: Disappeared, OldStatus: o.Status})
		case o.Status != n.Status:
			d.Controls = append(d.Controls, ControlChange{ID: id, Title: n.Title, Change: Changed, OldStatus: o.Status, NewStatus: n.Status})
		}
		d.Findings = append(d.Findings, diffFindings(id, o, n)...)
	}
	return d
}

func controlsByID(r *Report) map[string]*Control {
	m := make(map[string]*Control, len(r.Controls))
	for i := range r.Controls {
		m[r.Controls[i].ID] = &r.Controls[i]
	}
	return m
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func diffFindings(id string, o, n *Control) []FindingChange {
	key := func(f Finding) string {
		return f.Resource.Kind + "\x00" + f.Resource.Namespace + "\x00" + f.Resource.Name + "\x00" + f.Field
	}
	group := func(c *Control) map[string][]Finding {
		m := map[string][]Finding{}
		if c != nil {
			for _, f := range c.Findings {
				m[key(f)] = append(m[key(f)], f)
			}
		}
		return m
	}
	og, ng := group(o), group(n)
	var out []FindingChange
	for _, k := range unionKeys(og, ng) {
		of, nf := og[k], ng[k]
		for i := range max(len(of), len(nf)) {
			switch {
			case i >= len(of):
				f := nf[i]
				out = append(out, FindingChange{Control: id, Change: Appeared, Resource: f.Resource, Field: f.Field, New: &f})
			case i >= len(nf):
				f := of[i]
				out = append(out, FindingChange{Control: id, Change: Disappeared, Resource: f.Resource, Field: f.Field, Old: &f})
			case !sameFinding(of[i], nf[i]):
				a, b := of[i], nf[i]
				out = append(out, FindingChange{Control: id, Change: Changed, Resource: b.Resource, Field: b.Field, Old: &a, New: &b})
			}
		}
	}
	return out
}

// sameFinding compares what a finding states.
func sameFinding(a, b Finding) bool {
	return a.Severity == b.Severity && a.Message == b.Message && a.Remediation == b.Remediation &&
		cmp.Equal(a.Value, b.Value)
}

// WriteDriftJSON writes the drift as indented JSON.
func WriteDriftJSON(w io.Writer, d *Drift) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// WriteDriftText writes the drift for people.
func WriteDriftText(w io.Writer, d *Drift) error {
	p := &printer{w: w}
	side := func(s DriftSide) string {
		return fmt.Sprintf("%s (%s)", s.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"), s.Verdict)
	}
	p.printf("Drift from the audit of %s to that of %s\n", side(d.Old), side(d.New))
	if d.Empty() {
		p.printf("No control or finding changed.\n")
		return p.err
	}
	if len(d.Controls) > 0 {
		p.printf("\nControls (%d):\n", len(d.Controls))
		for _, c := range d.Controls {
			var what string
			switch c.Change {
			case Appeared:
				what = fmt.Sprintf("appeared, %s", c.NewStatus)
			case Disappeared:
				what = fmt.Sprintf("disappeared, was %s", c.OldStatus)
			default:
				what = fmt.Sprintf("%s -> %s", c.OldStatus, c.NewStatus)
			}
			p.printf("  %-9s %-28s %s\n", c.ID, what, c.Title)
		}
	}
	if len(d.Findings) > 0 {
		p.printf("\nFindings (%d; + appeared, - disappeared, ~ changed):\n", len(d.Findings))
		for _, f := range d.Findings {
			switch f.Change {
			case Appeared:
				p.printf("  + %-9s %s\n      %s = %s (%s)\n", f.Control, resourceName(f.Resource), f.Field, valueText(f.New.Value), f.New.Severity)
			case Disappeared:
				p.printf("  - %-9s %s\n      %s = %s (%s)\n", f.Control, resourceName(f.Resource), f.Field, valueText(f.Old.Value), f.Old.Severity)
			default:
				p.printf("  ~ %-9s %s\n      %s: %s\n", f.Control, resourceName(f.Resource), f.Field, findingDelta(f.Old, f.New))
			}
		}
	}
	return p.err
}

func findingDelta(a, b *Finding) string {
	var parts []string
	if !sameFinding(Finding{Value: a.Value}, Finding{Value: b.Value}) {
		parts = append(parts, fmt.Sprintf("value %s -> %s", valueText(a.Value), valueText(b.Value)))
	}
	if a.Severity != b.Severity {
		parts = append(parts, fmt.Sprintf("severity %s -> %s", a.Severity, b.Severity))
	}
	if a.Message != b.Message {
		parts = append(parts, fmt.Sprintf("message %q -> %q", a.Message, b.Message))
	}
	if a.Remediation != b.Remediation {
		parts = append(parts, "remediation changed")
	}
	return strings.Join(parts, "; ")
}
