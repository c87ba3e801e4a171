package evaluate

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/tilsyn/tilsyn/collect"
)

// A change is judged by evaluating a part of a cluster without it and with
// it. A control's results are a function of the parts of the input its
// rules read (the references the compiler finds, followed through the
// policy library), the coverage of the types it requires, the profile and
// the time; with waivers that select by label, of the labels too. When
// none of these differ between the two sides, neither can its results:
// the control need not be evaluated again. A Prepared input carries, for
// each control of its subset, a digest of exactly these: the SHA-256 of
// their canonical text (OPA prints objects and sets with sorted keys), so
// that equal digests mean equal inputs.

// InputDigest identifies what one control reads of an input.
type InputDigest [sha256.Size]byte

// Prepared is a part's input for a subset, built once, with the digest of
// what each control of the subset reads.
type Prepared struct {
	u       *Subset
	part    Part
	now     time.Time
	input   ast.Value
	digests []InputDigest
}

// Prepare builds a part's input.
func (u *Subset) Prepare(p Part, now time.Time) (*Prepared, error) {
	pr := &Prepared{u: u, part: p, now: now}
	if len(u.idx) == 0 {
		return pr, nil
	}
	var err error
	if pr.input, err = u.input(p.Snapshot, now, p.Scope, p.Values, p.Passing); err != nil {
		return nil, err
	}
	return pr, nil
}

// Digests are the digests of what each control reads, in the order of
// the subset's IDs. The profile and the time are not in them: digests
// compare parts prepared by one subset for one time. They are computed on
// first use; a Prepared is not safe for concurrent use.
func (pr *Prepared) Digests() []InputDigest {
	u := pr.u
	if pr.digests != nil || len(u.idx) == 0 {
		return pr.digests
	}
	paths := map[string]InputDigest{}
	var labels []byte
	if u.e.waivers.At(pr.now).NeedsLabels() {
		labels = labelText(pr.part.Snapshot)
	}
	coverage := map[string]InputDigest{}
	pr.digests = make([]InputDigest, len(u.idx))
	for j, i := range u.idx {
		h := sha256.New()
		for _, path := range u.paths[j] {
			d, ok := paths[path]
			if !ok {
				d = pr.pathDigest(path, valueAt(pr.input, path))
				paths[path] = d
			}
			h.Write([]byte(path))
			h.Write([]byte{0})
			h.Write(d[:])
		}
		for _, key := range u.e.controls[i].Requires {
			d, ok := coverage[key]
			if !ok {
				cov, found := pr.part.Snapshot.CoverageOf(key)
				d = sha256.Sum256([]byte(strconv.Quote(key) + " " + strconv.FormatBool(found) + " " +
					strconv.Quote(string(cov.Status)) + " " + strconv.Quote(cov.Reason)))
				coverage[key] = d
			}
			h.Write([]byte("coverage\x00"))
			h.Write(d[:])
		}
		h.Write(labels)
		h.Sum(pr.digests[j][:0])
	}
	return pr.digests
}

// Evaluate judges the prepared part with the controls at the given
// positions of the subset's IDs (all of them when only is nil). Results
// are in the order of IDs; the others are left zero.
func (pr *Prepared) Evaluate(ctx context.Context, only []int) ([]Result, error) {
	u := pr.u
	if len(u.idx) == 0 {
		return nil, nil
	}
	if only == nil {
		only = make([]int, len(u.idx))
		for j := range only {
			only[j] = j
		}
	}
	out := make([]Result, len(u.idx))
	if len(only) == 0 {
		return out, nil
	}
	q, err := u.queryFor(ctx, only)
	if err != nil {
		return nil, err
	}
	s := pr.part.Snapshot
	for _, j := range only {
		c := u.e.controls[u.idx[j]]
		out[j] = Result{Control: *c, Findings: []Finding{}, Gaps: coverageGaps(c, s)}
	}
	start := time.Now()
	rs, err := q.Eval(ctx, rego.EvalParsedInput(pr.input))
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// Name the control that fails.
		for _, j := range only {
			if _, cerr := u.e.evalControl(ctx, u.idx[j], s, pr.input); cerr != nil {
				return nil, cerr
			}
		}
		return nil, fmt.Errorf("controls %s: evaluation failed: %w", strings.Join(u.ids, ", "), err)
	}
	took := time.Since(start)
	for _, j := range only {
		r := &out[j]
		if len(r.Gaps) > 0 {
			r.Status = NotAssessed
			continue
		}
		r.Duration = took
		var findings, gaps any
		if len(rs) > 0 {
			n := strconv.Itoa(j)
			findings, gaps = rs[0].Bindings["f"+n], rs[0].Bindings["n"+n]
		}
		if err := finish(u.e.controls[u.idx[j]], r, findings, gaps); err != nil {
			return nil, err
		}
	}
	applyWaivers(u.e.waivers.At(pr.now), out, only, s)
	for _, j := range only {
		out[j].Status = status(out[j])
	}
	return out, nil
}

// maxQueries bounds the prepared queries a subset keeps for parts of its
// controls; beyond it, a part is evaluated with all of them.
const maxQueries = 256

// queries are a subset's prepared queries by the controls they evaluate.
type queries struct {
	mu sync.Mutex
	m  map[string]*rego.PreparedEvalQuery
}

// queryFor returns the query evaluating the controls at the given
// positions, their results bound to f<j> and n<j> as in the subset's own
// query.
func (u *Subset) queryFor(ctx context.Context, only []int) (*rego.PreparedEvalQuery, error) {
	if len(only) == len(u.idx) {
		return &u.query, nil
	}
	var key strings.Builder
	var q []string
	for _, j := range only {
		key.WriteString(strconv.Itoa(j) + ",")
		q = append(q, controlQuery(u.e.controls[u.idx[j]], j)...)
	}
	u.queries.mu.Lock()
	pq, ok := u.queries.m[key.String()]
	full := len(u.queries.m) >= maxQueries
	u.queries.mu.Unlock()
	if ok {
		return pq, nil
	}
	if full {
		return &u.query, nil
	}
	prepared, err := rego.New(rego.Compiler(u.e.compiler), rego.Store(u.e.store), rego.Query(strings.Join(q, "; "))).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare controls %s: %w", strings.Join(u.ids, ", "), err)
	}
	u.queries.mu.Lock()
	defer u.queries.mu.Unlock()
	if u.queries.m == nil {
		u.queries.m = map[string]*rego.PreparedEvalQuery{}
	}
	u.queries.m[key.String()] = &prepared
	return &prepared, nil
}

// readPaths returns, for a control, the parts of input its rules read, as
// slash-separated paths ("facts/workloads", "resources/pods", "coverage");
// "" stands for the whole input. Paths within another are dropped.
func readPaths(e *Engine, c *Control) []string {
	set := map[string]bool{}
	visitRefs(e.compiler, ast.MustParseRef("data."+c.Package), func(r ast.Ref) {
		var parts []string
		for _, t := range r[1:] {
			s, ok := t.Value.(ast.String)
			if !ok || len(parts) == 3 {
				break
			}
			parts = append(parts, string(s))
			if len(parts) == 1 && parts[0] != "facts" && parts[0] != "resources" {
				break // coverage, meta, other: whole
			}
			if len(parts) == 2 && !(parts[0] == "facts" && parts[1] == "location") {
				break
			}
		}
		set[strings.Join(parts, "/")] = true
	})
	var out []string
	for p := range set {
		covered := false
		for q := range set {
			if q != p && (q == "" || strings.HasPrefix(p, q+"/")) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// pathDigest is the digest of v, the value at a path of the input. Lists
// of objects (input.resources and rows of facts) are digested element by
// element, and the digests of the elements the caller gave as values
// (Part.Values: objects it keeps unchanged) and of facts are remembered:
// every judgement holds the same few objects around it, and the engine
// converts equal facts to one value.
func (pr *Prepared) pathDigest(path string, v ast.Value) InputDigest {
	_, isArray := v.(*ast.Array)
	switch {
	case v == nil:
		return sha256.Sum256([]byte("-"))
	case path == "resources", path == "facts/location":
		if obj, ok := v.(ast.Object); ok && stringKeys(obj) {
			return objectDigest(obj, func(key string, v ast.Value) InputDigest { return pr.pathDigest(path+"/"+key, v) })
		}
	case strings.HasPrefix(path, "resources/"):
		return pr.listDigest(strings.TrimPrefix(path, "resources/"), v)
	case strings.HasPrefix(path, "facts/") && isArray:
		// Rows of facts: the engine converts equal rows to one value
		// (factTerms, nodeValues).
		return pr.listDigest("", v)
	case strings.HasPrefix(path, "facts/") && strings.Count(path, "/") == 1:
		// A part of the facts as a whole: converted once for equal facts
		// too (factTerms, meshValues).
		return pr.u.e.digests.of(v)
	}
	return textDigest(v)
}

// stringKeys reports whether every key of obj is a string.
func stringKeys(obj ast.Object) bool {
	for _, k := range obj.Keys() {
		if _, ok := k.Value.(ast.String); !ok {
			return false
		}
	}
	return true
}

// objectDigest digests an object key by key (all strings).
func objectDigest(obj ast.Object, elem func(key string, v ast.Value) InputDigest) InputDigest {
	h := sha256.New()
	for _, k := range obj.Keys() {
		key := k.Value.(ast.String)
		d := elem(string(key), obj.Get(k).Value)
		h.Write([]byte(key))
		h.Write([]byte{0})
		h.Write(d[:])
	}
	var d InputDigest
	h.Sum(d[:0])
	return d
}

// listDigest digests a list element by element. Elements are remembered
// when they are stable: the caller's values of the list of resource type
// key, or ("" key) rows of facts, which the engine keeps.
func (pr *Prepared) listDigest(key string, v ast.Value) InputDigest {
	arr, ok := v.(*ast.Array)
	if !ok {
		return textDigest(v)
	}
	given := pr.part.Values[key]
	h := sha256.New()
	h.Write([]byte("["))
	for i := 0; i < arr.Len(); i++ {
		e := arr.Elem(i).Value
		var d InputDigest
		if key == "" || i < len(given) && given[i] != nil {
			d = pr.u.e.digests.of(e)
		} else {
			d = textDigest(e)
		}
		h.Write(d[:])
	}
	var d InputDigest
	h.Sum(d[:0])
	return d
}

// valueAt returns the value at a slash-separated path of the input; nil
// when there is none.
func valueAt(input ast.Value, path string) ast.Value {
	v := input
	if path == "" {
		return v
	}
	for _, k := range strings.Split(path, "/") {
		obj, ok := v.(ast.Object)
		if !ok {
			return nil
		}
		t := obj.Get(ast.StringTerm(k))
		if t == nil {
			return nil
		}
		v = t.Value
	}
	return v
}

// digestMemo remembers the digests of values that do not change, by
// identity; it holds the values, so that their addresses are not reused.
type digestMemo struct {
	mu sync.Mutex
	m  map[ast.Value]InputDigest
}

// maxDigests bounds the digests remembered.
const maxDigests = 1 << 14

func (m *digestMemo) of(v ast.Value) InputDigest {
	key, ok := identity(v)
	if !ok {
		return textDigest(v)
	}
	m.mu.Lock()
	d, ok := m.m[key]
	m.mu.Unlock()
	if ok {
		return d
	}
	d = textDigest(v)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= maxDigests {
		m.m = map[ast.Value]InputDigest{}
	}
	m.m[key] = d
	return d
}

// textDigest is the SHA-256 of v's canonical text (what String returns),
// written into a buffer kept for the next.
func textDigest(v ast.Value) InputDigest {
	bp := textBuffers.Get().(*[]byte)
	b := appendText((*bp)[:0], v)
	d := sha256.Sum256(b)
	if cap(b) <= maxTextBuffer {
		*bp = b[:0]
		textBuffers.Put(bp)
	}
	return d
}

// appendText appends v's canonical text to b.
func appendText(b []byte, v ast.Value) []byte {
	if a, ok := v.(interface{ AppendText([]byte) ([]byte, error) }); ok {
		if out, err := a.AppendText(b); err == nil {
			return out
		}
	}
	return append(b, v.String()...)
}

var textBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxTextBuffer bounds the buffers kept: the text of a whole cluster's
// input is written once in a while, and need not stay.
const maxTextBuffer = 1 << 20

// identity returns a value usable as a map key that stands for v's
// identity: the pointer behind objects and arrays.
func identity(v ast.Value) (ast.Value, bool) {
	switch v.(type) {
	case ast.Object, *ast.Array:
		return v, true
	}
	return nil, false
}

// labelText is the canonical text of every object's labels in s, as
// waivers see them (labelIndex).
func labelText(s *collect.Snapshot) []byte {
	idx := labelIndex(s)
	keys := make([]string, 0, len(idx))
	for k := range idx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("labels\x00")
	for _, k := range keys {
		b.WriteString(strconv.Quote(k))
		labels := idx[k]
		names := make([]string, 0, len(labels))
		for n := range labels {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			b.WriteString(" " + strconv.Quote(n) + "=" + strconv.Quote(labels[n]))
		}
		b.WriteString("\x00")
	}
	return []byte(b.String())
}
