package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
)

// Subset is a fixed set of controls, for callers that judge small parts
// of a cluster many times: the admission webhook evaluates each change
// against the objects around it, with the controls the changed type can
// affect. A subset derives only the facts its controls read, converts
// only the lists they read, and evaluates them in one query (so the
// policy library's rules are evaluated once for all of them). What it
// derives from an object is remembered by the object's identity: objects
// must not be modified once evaluated. It is safe for concurrent use.
type Subset struct {
	e     *Engine
	idx   []int
	ids   []string
	uses  inputUse
	query rego.PreparedEvalQuery
	// paths are what each control reads of the input (readPaths).
	paths   [][]string
	queries queries
}

// Subset prepares the controls with the given ids, in the engine's order.
// An id the engine does not know is an error, and so is a control of the
// waivers phase (it judges the waivers, not the cluster).
func (e *Engine) Subset(ctx context.Context, ids []string) (*Subset, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	u := &Subset{e: e, uses: inputUse{resources: map[string]bool{}, someFacts: true, facts: map[string]bool{}}}
	var q []string
	for i, c := range e.controls {
		if !want[c.ID] {
			continue
		}
		if c.Phase == PhaseWaivers {
			return nil, fmt.Errorf("control %s judges waivers, not the cluster", c.ID)
		}
		q = append(q, controlQuery(c, len(u.idx))...)
		u.idx = append(u.idx, i)
		u.ids = append(u.ids, c.ID)
		u.paths = append(u.paths, readPaths(e, c))
		delete(want, c.ID)
		visitRefs(e.compiler, ast.MustParseRef("data."+c.Package), u.uses.add)
	}
	if len(want) > 0 {
		var unknown []string
		for id := range want {
			unknown = append(unknown, id)
		}
		return nil, fmt.Errorf("unknown controls: %s", strings.Join(unknown, ", "))
	}
	if len(u.idx) == 0 {
		return u, nil
	}
	var err error
	u.query, err = rego.New(rego.Compiler(e.compiler), rego.Store(e.store), rego.Query(strings.Join(q, "; "))).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare controls %s: %w", strings.Join(u.ids, ", "), err)
	}
	return u, nil
}

// controlQuery is the part of a subset's query that evaluates control c
// at position j: its findings bound to f<j>, its not_assessed to n<j>.
func controlQuery(c *Control, j int) []string {
	n := strconv.Itoa(j)
	q := []string{"f" + n + " := data." + c.Package + ".findings"}
	if c.notAssessedRule {
		q = append(q, "n"+n+" := data."+c.Package+".not_assessed")
	}
	return q
}

// add records a reference to input.
func (u *inputUse) add(r ast.Ref) {
	key := func(i int) (string, bool) {
		if len(r) <= i {
			return "", false
		}
		s, ok := r[i].Value.(ast.String)
		return string(s), ok
	}
	top, ok := key(1)
	switch {
	case !ok:
		u.all, u.other, u.someFacts = true, true, false
	case top == "other":
		u.other = true
	case top == "resources":
		if k, ok := key(2); ok {
			u.resources[k] = true
		} else {
			u.all = true
		}
	case top == "facts":
		k, ok := key(2)
		if !ok {
			u.someFacts = false
			break
		}
		if sub, ok := key(3); ok && k == "location" {
			k += "." + sub
		}
		u.facts[k] = true
	}
}

// IDs are the ids of the subset's controls.
func (u *Subset) IDs() []string { return u.ids }

// Evaluate judges s at time now with the subset's controls, in the calling
// goroutine (callers evaluate many snapshots at once), and applies the
// engine's waivers to the findings, as Evaluate does. scope is the
// personal-data scope, decided by the caller over the whole cluster when s
// holds only part of it. Results are in the order of IDs; controls whose
// inputs s does not cover are not assessed.
func (u *Subset) Evaluate(ctx context.Context, s *collect.Snapshot, now time.Time, scope Scope) ([]Result, error) {
	return u.EvaluatePart(ctx, Part{Snapshot: s, Scope: scope}, now)
}

// Part is a part of a cluster a Subset evaluates.
type Part struct {
	Snapshot *collect.Snapshot
	// Scope is the personal-data scope, decided over the whole cluster.
	Scope Scope
	// Values, when set, holds the OPA values of some of Snapshot's objects
	// (Values[type][i] for Snapshot.Resources[type][i], nil when not
	// given), for callers that convert each object once and evaluate it
	// many times. Only the types the subset reads (ReadsObjects) matter.
	Values map[string][]ast.Value
	// Passing, when set, is an object of Snapshot seen this once, such as
	// a change under review: nothing derived from it is remembered by its
	// identity (mesh.ResolveShared).
	Passing collect.Object
}

// ReadsObjects are the types whose objects (input.resources) the subset's
// controls read.
func (u *Subset) ReadsObjects() map[string]bool {
	if u.uses.all {
		out := map[string]bool{}
		for _, t := range collect.Registry {
			out[t.Key] = true
		}
		return out
	}
	return u.uses.resources
}

// EvaluatePart is Evaluate for a Part.
func (u *Subset) EvaluatePart(ctx context.Context, p Part, now time.Time) ([]Result, error) {
	pr, err := u.Prepare(p, now)
	if err != nil {
		return nil, err
	}
	return pr.Evaluate(ctx, nil)
}

// input derives the facts of s the subset's controls read and builds
// their input.
func (u *Subset) input(s *collect.Snapshot, now time.Time, scope Scope, values map[string][]ast.Value, passing collect.Object) (ast.Value, error) {
	m, err := mesh.ResolveShared(s, passing)
	if err != nil {
		return nil, err
	}
	var timings []Timing
	need := func(part string) bool {
		return !u.uses.someFacts || u.uses.facts[part] || strings.HasPrefix(part, "location.") && u.uses.facts["location"]
	}
	var given givenFacts
	var known *[]geo.Node
	if need("location.nodes") {
		nodes, value, err := u.e.nodeValues.get(s.Resources[collect.Nodes], u.e.geo)
		if err != nil {
			return nil, err
		}
		known, given.nodes = &nodes, value
	}
	d := derive(s, m, scope, u.e.geo, &timings, need, known)
	if need("mesh") {
		if given.mesh, err = u.e.meshValues.get(m); err != nil {
			return nil, err
		}
	}
	return buildInputWith(s, m, scope, d, now, u.uses, values, given)
}

// nodeValues remembers the facts of Node objects, derived and converted:
// every neighbourhood of a cluster holds a few of the same nodes (one of
// each location class, and the nodes its pods run on). Nodes are known by
// the identity of their objects, which callers never modify once
// evaluated; a node's facts come from its object alone.
type nodeValues struct {
	mu sync.Mutex
	m  map[unsafe.Pointer]nodeValue
}

type nodeValue struct {
	obj  collect.Object // kept so that its address is not reused
	node geo.Node
	term *ast.Term
}

// maxNodeValues bounds the nodes remembered.
const maxNodeValues = 4096

// get returns the facts of a list of nodes and their OPA value.
func (c *nodeValues) get(objs []collect.Object, r *geo.Resolver) ([]geo.Node, ast.Value, error) {
	nodes := make([]geo.Node, len(objs))
	terms := make([]*ast.Term, len(objs))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, o := range objs {
		key := reflect.ValueOf(o).UnsafePointer()
		v, ok := c.m[key]
		if !ok {
			n := geo.Nodes(&collect.Snapshot{Resources: map[string][]collect.Object{collect.Nodes: {o}}}, r)
			if len(n) != 1 {
				return nil, nil, fmt.Errorf("facts.location.nodes: %d facts for one node", len(n))
			}
			value, err := toValue(n[0])
			if err != nil {
				return nil, nil, fmt.Errorf("facts.location.nodes: %w", err)
			}
			v = nodeValue{obj: o, node: n[0], term: ast.NewTerm(value)}
			if c.m == nil || len(c.m) >= maxNodeValues {
				c.m = map[unsafe.Pointer]nodeValue{}
			}
			c.m[key] = v
		}
		nodes[i], terms[i] = v.node, v.term
	}
	return nodes, ast.NewArray(terms...), nil
}

// meshValues remembers the mesh facts as OPA values: a cluster has one
// mesh config, the same in every neighbourhood, and its raw form is large.
type meshValues struct {
	mu sync.Mutex
	m  map[string]meshValue
}

type meshValue struct {
	raw   map[string]any // kept so that its address is not reused
	value ast.Value
}

// get returns the mesh facts of m converted, keyed by the identity of the
// parsed config (mesh remembers parsed configs, so equal configs share
// one) and the other fields.
func (c *meshValues) get(m *mesh.Result) (ast.Value, error) {
	f := meshFacts{Config: m.Config, Injector: m.Injector}
	rest := f
	rest.Raw = nil
	js, err := json.Marshal(rest)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%p|%s", m.Config.Raw, js)
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[key]; ok {
		return v.value, nil
	}
	v, err := toValue(f)
	if err != nil {
		return nil, fmt.Errorf("facts.mesh: %w", err)
	}
	if c.m == nil || len(c.m) >= 16 {
		c.m = map[string]meshValue{}
	}
	c.m[key] = meshValue{m.Config.Raw, v}
	return v, nil
}

// Input returns, as JSON, the input the subset's policies see for s: for
// comparing with other Rego evaluators (make bench-webhook gives it to
// OPA's own server).
func (u *Subset) Input(s *collect.Snapshot, now time.Time, scope Scope) ([]byte, error) {
	input, err := u.input(s, now, scope, nil, nil)
	if err != nil {
		return nil, err
	}
	v, err := ast.JSON(input)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
