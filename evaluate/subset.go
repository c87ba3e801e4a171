package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/mesh"
)

// Subset is a fixed set of controls, for callers that judge small parts
// of a cluster many times: the admission webhook evaluates each change
// against the objects around it, with the controls that can be affected
// by the kind of object changed. It is safe for concurrent use.
type Subset struct {
	e   *Engine
	idx []int
	ids []string
}

// Subset returns the controls with the given ids, in the engine's order.
// An id the engine does not know is an error, and so is a control of the
// waivers phase (it judges the waivers, not the cluster).
func (e *Engine) Subset(ids []string) (*Subset, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	u := &Subset{e: e}
	for i, c := range e.controls {
		if want[c.ID] && c.Phase == PhaseWaivers {
			return nil, fmt.Errorf("control %s judges waivers, not the cluster", c.ID)
		}
		if want[c.ID] {
			u.idx = append(u.idx, i)
			u.ids = append(u.ids, c.ID)
			delete(want, c.ID)
		}
	}
	if len(want) > 0 {
		var unknown []string
		for id := range want {
			unknown = append(unknown, id)
		}
		return nil, fmt.Errorf("unknown controls: %s", strings.Join(unknown, ", "))
	}
	return u, nil
}

// IDs are the ids of the subset's controls.
func (u *Subset) IDs() []string { return u.ids }

// Evaluate judges s at time now with the subset's controls, one after the
// other in the calling goroutine (callers evaluate many snapshots at
// once), and applies the engine's waivers to the findings, as Evaluate
// does. scope is the personal-data scope, decided by the caller over the
// whole cluster when s holds only part of it. Results are in the order of
// IDs; controls whose inputs s does not cover are not assessed.
func (u *Subset) Evaluate(ctx context.Context, s *collect.Snapshot, now time.Time, scope Scope) ([]Result, error) {
	if len(u.idx) == 0 {
		return nil, nil
	}
	input, err := u.input(s, now, scope)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(u.idx))
	all := make([]int, len(u.idx))
	for j, i := range u.idx {
		if out[j], err = u.e.evalControl(ctx, i, s, input); err != nil {
			return nil, err
		}
		all[j] = j
	}
	applyWaivers(u.e.waivers.At(now), out, all, s)
	for j := range out {
		out[j].Status = status(out[j])
	}
	return out, nil
}

// input derives the facts of s and builds the policies' input.
func (u *Subset) input(s *collect.Snapshot, now time.Time, scope Scope) (ast.Value, error) {
	m, err := mesh.Resolve(s)
	if err != nil {
		return nil, err
	}
	var timings []Timing
	d := derive(s, m, scope, u.e.profile, &timings)
	return buildInput(s, m, scope, d, now, u.e.uses)
}

// Input returns, as JSON, the input the subset's policies see for s: for
// comparing with other Rego evaluators (make bench-webhook gives it to
// OPA's own server).
func (u *Subset) Input(s *collect.Snapshot, now time.Time, scope Scope) ([]byte, error) {
	input, err := u.input(s, now, scope)
	if err != nil {
		return nil, err
	}
	v, err := ast.JSON(input)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
