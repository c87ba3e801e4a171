package evaluate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/waiver"
)

// PhaseWaivers is the METADATA custom.phase of controls that judge the
// waivers themselves (ACC-02). They run after every other control and
// after waivers were matched to findings, and see only
//
//	input.meta     {now, nowNs}
//	input.waivers  [{ref, control, resources, justification, approvedBy,
//	                 expires, status, problems, matched}]
//
// where status is active, unmatched, expired or incomplete.
const PhaseWaivers = "waivers"

// applyWaivers marks the findings of the controls at idx that a usable
// waiver covers.
func applyWaivers(a *waiver.Applier, results []Result, idx []int, s *collect.Snapshot) {
	var labels map[string]map[string]string
	labelsOf := func(r Resource) func() map[string]string {
		return func() map[string]string {
			if labels == nil {
				labels = labelIndex(s)
			}
			return labels[r.Kind+"/"+r.Namespace+"/"+r.Name]
		}
	}
	for _, i := range idx {
		r := &results[i]
		for j := range r.Findings {
			f := &r.Findings[j]
			if e, ok := a.Match(r.Control.ID, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, labelsOf(f.Resource)); ok {
				f.Waiver = &WaiverRef{Ref: e.Ref, Justification: e.Justification, ApprovedBy: e.ApprovedBy, Expires: e.Expires}
			}
		}
	}
}

// labelIndex maps "Kind/namespace/name" to the labels of every object of
// the snapshot, for waivers that select by label. A workload controller's
// labels include its pod template's (app=ledger-db selects the
// StatefulSet whose pods carry it).
func labelIndex(s *collect.Snapshot) map[string]map[string]string {
	templates := map[string][]string{
		collect.Deployments: {"spec", "template"}, collect.StatefulSets: {"spec", "template"},
		collect.DaemonSets: {"spec", "template"}, collect.ReplicaSets: {"spec", "template"},
		collect.Jobs: {"spec", "template"}, collect.CronJobs: {"spec", "jobTemplate", "spec", "template"},
	}
	out := map[string]map[string]string{}
	for _, t := range collect.Registry {
		for _, o := range s.Resources[t.Key] {
			m := collect.Meta(o)
			labels := m.Labels
			if path, ok := templates[t.Key]; ok {
				if tl := collect.StringMap(o, append(path, "metadata", "labels")...); len(tl) > 0 {
					labels = make(map[string]string, len(m.Labels)+len(tl))
					for k, v := range tl {
						labels[k] = v
					}
					for k, v := range m.Labels {
						labels[k] = v
					}
				}
			}
			out[t.Kind+"/"+m.Namespace+"/"+m.Name] = labels
		}
	}
	return out
}

// waiverInput is the input of the waivers phase.
func waiverInput(entries []waiver.Entry, now time.Time) (ast.Value, error) {
	if entries == nil {
		entries = []waiver.Entry{}
	}
	js, err := json.Marshal(map[string]any{
		"meta":    map[string]any{"now": now.UTC().Format(time.RFC3339), "nowNs": now.UnixNano()},
		"waivers": entries,
	})
	if err != nil {
		return nil, fmt.Errorf("build waiver input: %w", err)
	}
	v, err := ast.ValueFromReader(bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("build waiver input: %w", err)
	}
	return v, nil
}
