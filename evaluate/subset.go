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
// An id the engine does not know is an error.
func (e *Engine) Subset(ids []string) (*Subset, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	u := &Subset{e: e}
	for i, c := range e.controls {
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
// once). scope is the personal-data scope, decided by the caller over the
// whole cluster when s holds only part of it. Results are in the order of
// IDs; controls whose inputs s does not cover are not assessed, as in
// Evaluate.
func (u *Subset) Evaluate(ctx context.Context, s *collect.Snapshot, now time.Time, scope Scope) ([]Result, error) {
	if len(u.idx) == 0 {
		return nil, nil
	}
	m, err := mesh.Resolve(s)
	if err != nil {
		return nil, err
	}
	input, err := buildInput(s, m, scope, now, u.e.uses)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(u.idx))
	for j, i := range u.idx {
		if out[j], err = u.e.evalControl(ctx, i, s, input); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Input returns, as JSON, the input the subset's policies see for s: for
// comparing with other Rego evaluators (make bench-webhook gives it to
// OPA's own server).
func (u *Subset) Input(s *collect.Snapshot, now time.Time, scope Scope) ([]byte, error) {
	m, err := mesh.Resolve(s)
	if err != nil {
		return nil, err
	}
	input, err := buildInput(s, m, scope, now, u.e.uses)
	if err != nil {
		return nil, err
	}
	v, err := ast.JSON(input)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
