package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/cache"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/profile"
)

// Judge decides which findings a change introduces: it evaluates the
// change's neighbourhood in the cluster state without the change and with
// it, with the controls the changed type can affect, and keeps the
// findings that are new. The same engine, with the same policies and
// facts, produces the audit; a change the judge admits adds nothing the
// next audit would flag (see neighbourhood.go for why the neighbourhood
// is enough). Of those controls, only the ones whose inputs the change
// alters are evaluated (evaluate.Prepared): the others' results are the
// same on both sides. What is known without the change is cached by the
// exact objects it was computed from. A Judge is safe for concurrent use.
type Judge struct {
	state   *State
	engine  *evaluate.Engine
	profile *profile.Profile
	// subsets are the controls each type can affect: those that read it
	// (evaluate.Control.Reads).
	subsets map[string]*evaluate.Subset
	// inert are the controls a ConfigMap whose data is not kept can
	// affect: those that read ConfigMaps themselves, not the facts
	// derived from Istio's and tilsyn's own.
	inert *evaluate.Subset
	// reads are the types a subset's controls read.
	reads  map[*evaluate.Subset]map[string]bool
	before *cache.LRUExpireCache
	// repeats are verdicts by the exact change and the exact state they
	// were reached in (see repeatKey).
	repeats *cache.LRUExpireCache
	// global is held by the evaluation of the whole cluster in progress.
	global chan struct{}
	now    func() time.Time

	scopeMu  sync.Mutex
	scope    scope
	scopeGen uint64
	scopeOK  bool

	// byLabel remembers, for one minute, whether a waiver selects by
	// label (see labelWaivers).
	byLabelMu sync.Mutex
	byLabelAt time.Time
	byLabel   bool
}

// DefaultCacheSize bounds the cached results without a change: one per
// neighbourhood and control set recently judged.
const DefaultCacheSize = 16384

// DefaultRepeats bounds the verdicts kept for changes judged again.
const DefaultRepeats = 4096

// JudgeOptions tune a Judge.
type JudgeOptions struct {
	// CacheSize is how many results without a change are kept; 0 means
	// DefaultCacheSize, a negative number none.
	CacheSize int
	// Repeats is how many verdicts are kept for the same change judged
	// again in the same state; 0 means DefaultRepeats, a negative number
	// none. Verdicts are only kept along with results without a change.
	Repeats int
}

// NewJudge returns a judge over a state. p is the engine's profile (the
// personal-data scope is decided with it over the whole state).
func NewJudge(ctx context.Context, e *evaluate.Engine, p *profile.Profile, s *State, opts JudgeOptions) (*Judge, error) {
	j := &Judge{state: s, engine: e, profile: p, subsets: map[string]*evaluate.Subset{}, now: time.Now,
		reads: map[*evaluate.Subset]map[string]bool{}, global: make(chan struct{}, 1)}
	switch {
	case opts.CacheSize == 0:
		j.before = cache.NewLRUExpireCache(DefaultCacheSize)
	case opts.CacheSize > 0:
		j.before = cache.NewLRUExpireCache(opts.CacheSize)
	}
	switch {
	case j.before == nil || opts.Repeats < 0:
	case opts.Repeats == 0:
		j.repeats = cache.NewLRUExpireCache(DefaultRepeats)
	default:
		j.repeats = cache.NewLRUExpireCache(opts.Repeats)
	}
	subset := func(match func(evaluate.Control) bool) (*evaluate.Subset, error) {
		var ids []string
		reads := map[string]bool{}
		for _, c := range e.Controls() {
			if c.Phase != evaluate.PhaseWaivers && !AuditOnly(c) && match(c) {
				ids = append(ids, c.ID)
				for _, r := range c.Reads {
					reads[r] = true
				}
			}
		}
		sub, err := e.Subset(ctx, ids)
		if err == nil {
			j.reads[sub] = reads
		}
		return sub, err
	}
	for _, t := range collect.Registry {
		sub, err := subset(func(c evaluate.Control) bool { return slices.Contains(c.Reads, t.Key) })
		if err != nil {
			return nil, err
		}
		j.subsets[t.Key] = sub
	}
	var err error
	j.inert, err = subset(func(c evaluate.Control) bool { return slices.Contains(c.ReadsObjects, collect.ConfigMaps) })
	return j, err
}

// AuditOnly tells the controls the webhook leaves to the audit: those that
// judge the node agent's records of kernel settings (input.facts.nodeTuning,
// RES-01). No object anyone admits changes a node's kernel settings, and
// whether a record is fresh is judged against the time of an audit.
func AuditOnly(c evaluate.Control) bool { return slices.Contains(c.ReadsFacts, "nodeTuning") }

// Judge evaluates a change: old is nil for a create, new is nil for a
// delete. Both are sanitized objects of type t.
func (j *Judge) Judge(ctx context.Context, t collect.ResourceType, old, new collect.Object) (Verdict, error) {
	if new != nil {
		_, name := collect.NamespaceName(new)
		sub := j.subsetFor(t, name)
		if len(sub.IDs()) > 0 && j.unchanged(sub, t, old, new) {
			// The change alters nothing the controls' facts are derived
			// from: both sides would evaluate alike.
			return Verdict{Controls: sub.IDs(), Unchanged: true}, nil
		}
	}
	v, truncated, err := j.judge(ctx, t, old, new, false)
	if err != nil || len(truncated) == 0 {
		return v, err
	}
	for _, f := range v.Findings {
		if truncated[objRef{f.Resource.Namespace, f.Resource.Kind, f.Resource.Name}] {
			v, _, err = j.judge(ctx, t, old, new, true)
			return v, err
		}
	}
	return v, nil
}

// subsetFor returns the controls a change of an object of type t named
// name can affect.
func (j *Judge) subsetFor(t collect.ResourceType, name string) *evaluate.Subset {
	if t.Key == collect.ConfigMaps && !collect.KeepConfigMapData(name) {
		return j.inert
	}
	return j.subsets[t.Key]
}

// plan is what one judgement evaluates.
type plan struct {
	sub           *evaluate.Subset
	now           time.Time
	before, after evaluate.Part
	key           string // of the result without the change; "" not cached
	global        bool
	objects       int
	truncated     map[objRef]bool
	// What the parts are built from, once they are needed (built outside
	// the state's lock: entries never change).
	entries  []*entry
	t        collect.ResourceType
	old, new collect.Object
	reads    map[string]bool
	coverage []collect.Coverage
	built    [2]bool
}

// part returns the part without the change (after false) or with it,
// building it on first use.
func (p *plan) part(after bool) evaluate.Part {
	i, extra, out := 0, p.old, &p.before
	if after {
		i, extra, out = 1, p.new, &p.after
	}
	if !p.built[i] {
		out.Snapshot, out.Values = part(p.entries, extra, p.t, p.reads, p.coverage)
		out.Passing = extra
		p.built[i] = true
	}
	return *out
}

// plan finds what to evaluate for a change: its neighbourhood, or the
// whole state when forced or when the change needs it. It returns nil
// when no control reads the changed type.
func (j *Judge) plan(t collect.ResourceType, old, new collect.Object, force bool) (*plan, error) {
	obj := new
	if obj == nil {
		obj = old
	}
	if obj == nil {
		return nil, fmt.Errorf("no object to judge")
	}
	ns, name := collect.NamespaceName(obj)
	c := change{t: t, ns: ns, name: name, old: old, new: new}
	if !t.Namespaced {
		c.ns = ""
	}
	sub := j.subsetFor(t, c.name)
	if len(sub.IDs()) == 0 {
		return nil, nil
	}
	p := &plan{sub: sub, now: j.minute(), global: force}

	s := j.state
	s.mu.RLock()
	defer s.mu.RUnlock()
	scopeBefore, scopeGen := j.scopeLocked()
	scopeAfter := scopeBefore
	var entries []*entry
	reads := sub.ReadsObjects()
	if !p.global {
		// Pods alike are left out unless the controls read pods
		// themselves or a waiver selects by label (see Judge.unchanged).
		dedupe := !reads[collect.Pods] && !j.labelWaivers(p.now)
		entries, p.truncated, p.global = s.neighbourhood(c, j.reads[sub], reads, dedupe)
	}
	if c.t.Key == collect.Namespaces || new != nil && c.ns != "" && s.used[c.ns] == 0 {
		// The change may move the personal-data scope: a Namespace's
		// labels, or the first object of a namespace without a Namespace
		// object. If it moves for other namespaces, their findings change
		// too.
		scopeAfter = j.scopeWith(c)
		p.global = p.global || !sameScopeElsewhere(scopeBefore, scopeAfter, c)
	}
	if p.global && !force {
		// The whole state is judged one change at a time (see judge).
		return p, nil
	}
	if p.global {
		p.truncated = nil
		entries = entries[:0]
		for _, byNS := range s.objects {
			for _, byName := range byNS {
				for _, e := range byName {
					if (objRef{e.ns, e.t.Kind, e.name}) != c.ref() {
						entries = append(entries, e)
					}
				}
			}
		}
	}
	p.entries, p.t, p.old, p.new, p.reads = entries, t, old, new, reads
	p.coverage = make([]collect.Coverage, len(collect.Registry))
	for i, rt := range collect.Registry {
		p.coverage[i] = s.coverage[rt.Key]
	}
	p.before.Scope, p.after.Scope = scopeBefore.Scope, scopeAfter.Scope
	if !p.global {
		namespaces := map[string]bool{c.ns: true}
		if c.t.Key == collect.Namespaces {
			namespaces[c.name] = true
		}
		for _, e := range entries {
			namespaces[e.ns] = true
			if e.t.Key == collect.Namespaces {
				namespaces[e.name] = true
			}
		}
		if w := witness(scopeBefore, scopeAfter, namespaces); w != "" {
			namespaces[w] = true
		}
		p.before.Scope, p.after.Scope = scopeBefore.within(namespaces), scopeAfter.within(namespaces)
	}
	// A type can be judged with more than one set of controls (ConfigMaps:
	// see subsetFor); what is known without the change belongs to one.
	p.key = beforeKey(t.Key+"/"+strings.Join(sub.IDs(), ","), entries, old, scopeGen, s.covGen, p.now, p.global, s.gen)
	p.objects = len(entries) + 1
	return p, nil
}

// judge evaluates a change as planned; it returns the rules and entries
// whose relations were not followed.
func (j *Judge) judge(ctx context.Context, t collect.ResourceType, old, new collect.Object, force bool) (Verdict, map[objRef]bool, error) {
	p, err := j.plan(t, old, new, force)
	if err != nil || p == nil {
		return Verdict{}, nil, err
	}
	if p.global {
		// An evaluation of the whole cluster holds all of it as policy
		// input: one at a time.
		select {
		case j.global <- struct{}{}:
		case <-ctx.Done():
			return Verdict{}, nil, ctx.Err()
		}
		defer func() { <-j.global }()
		if !force {
			if p, err = j.plan(t, old, new, true); err != nil {
				return Verdict{}, nil, err
			}
		}
	}
	v := Verdict{Controls: p.sub.IDs(), Global: p.global, Objects: p.objects}
	if j.before == nil {
		p.key = ""
	}
	var rkey string
	if p.key != "" && j.repeats != nil {
		if rkey, err = repeatKey(p, new); err != nil {
			return v, nil, err
		}
		if r, ok := j.repeats.Get(rkey); ok {
			rep := r.(repeat)
			v.Findings, v.Cached, v.Repeat = slices.Clone(rep.findings), true, true
			return v, rep.truncated, nil
		}
	}
	var before *judged
	if p.key != "" {
		if r, ok := j.before.Get(p.key); ok {
			before, v.Cached = r.(*judged), true
		}
	}
	// The part without the change is evaluated only for the controls whose
	// inputs the change alters (see evaluate.Prepared): the others' results
	// are the same on both sides, and cannot introduce anything.
	var without *evaluate.Prepared
	if before == nil {
		if without, err = p.sub.Prepare(p.part(false), p.now); err != nil {
			return v, nil, err
		}
		before = newJudged(without.Digests())
		if p.key != "" {
			j.before.Add(p.key, before, 10*time.Minute)
		}
	}
	with, err := p.sub.Prepare(p.part(true), p.now)
	if err != nil {
		return v, nil, invalid(ctx, err)
	}
	var changed []int
	for i, d := range with.Digests() {
		if d != before.digests[i] {
			changed = append(changed, i)
		}
	}
	v.Reevaluated = len(changed)
	if len(changed) > 0 {
		was, err := before.resultsOf(changed, func(missing []int) ([]evaluate.Result, error) {
			if without == nil {
				var err error
				if without, err = p.sub.Prepare(p.part(false), p.now); err != nil {
					return nil, err
				}
			}
			return without.Evaluate(ctx, missing)
		})
		if err != nil {
			return v, nil, err
		}
		results, err := with.Evaluate(ctx, changed)
		if err != nil {
			return v, nil, invalid(ctx, err)
		}
		is := make([]evaluate.Result, len(changed))
		for k, i := range changed {
			is[k] = results[i]
		}
		v.Findings = introduced(was, is)
	}
	if rkey != "" {
		j.repeats.Add(rkey, repeat{slices.Clone(v.Findings), p.truncated}, 10*time.Minute)
	}
	return v, p.truncated, nil
}

// invalid marks an error of the evaluation with the change: the cluster
// without it evaluates, so the object itself cannot be read as istiod
// would read it (unless the request ran out of time).
func invalid(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	return &invalidObject{err}
}

// Input returns, as JSON, the input the policies see for the cluster with
// a change applied (its neighbourhood, as the judge evaluates it), the
// controls that read it, and whether the neighbourhood is the whole
// cluster: what another Rego evaluator needs to answer the same question
// (make bench-webhook gives it to OPA's own server). No controls, no
// input.
func (j *Judge) Input(t collect.ResourceType, old, new collect.Object) ([]byte, []string, bool, error) {
	p, err := j.plan(t, old, new, false)
	if err != nil || p == nil {
		return nil, nil, false, err
	}
	if p.global {
		if p, err = j.plan(t, old, new, true); err != nil {
			return nil, nil, false, err
		}
	}
	after := p.part(true)
	in, err := p.sub.Input(after.Snapshot, p.now, after.Scope)
	return in, p.sub.IDs(), p.global, err
}

// invalidObject is a changed object the evaluation cannot read (a spec
// Istio's own types reject, for instance).
type invalidObject struct{ err error }

func (e *invalidObject) Error() string { return e.err.Error() }
func (e *invalidObject) Unwrap() error { return e.err }

// introduced returns the findings of after that make some resource's
// standing under some control worse than before: a finding on a resource
// that had none of that control, or one more severe than any it had. A
// finding that only describes an existing problem anew — the first pod of
// a workload shows the missing sidecar in its containers, where its
// template showed it in a label — is not introduced by the change; nor is
// a second problem of a severity the resource already had under the
// control. Findings a waiver covers count on neither side.
func introduced(before, after []evaluate.Result) []Introduced {
	standing := map[string]int{}
	for _, r := range before {
		for _, f := range r.Findings {
			if f.Waiver != nil {
				continue
			}
			k := standingKey(r.Control.ID, f)
			if rank, ok := standing[k]; !ok || evaluate.SeverityRank(f.Severity) > rank {
				standing[k] = evaluate.SeverityRank(f.Severity)
			}
		}
	}
	var out []Introduced
	for _, r := range after {
		for _, f := range r.Findings {
			if f.Waiver != nil {
				continue // an auditor accepted it
			}
			if rank, ok := standing[standingKey(r.Control.ID, f)]; ok && evaluate.SeverityRank(f.Severity) <= rank {
				continue
			}
			out = append(out, Introduced{Control: r.Control, Finding: f})
		}
	}
	return out
}

func standingKey(control string, f evaluate.Finding) string {
	return control + "\x00" + f.Resource.Kind + "\x00" + f.Resource.Namespace + "\x00" + f.Resource.Name
}
