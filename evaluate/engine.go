// Package evaluate judges a snapshot against the controls: it compiles the
// built-in and user Rego policies once, derives the facts policies need
// (mTLS inventory, personal-data scope), converts the whole input to an
// OPA value once, and evaluates every control against it. Controls whose
// inputs were not collected are not assessed, never passed.
package evaluate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/waiver"
)

// Options configures an Engine.
type Options struct {
	// PolicyDirs are extra policy directories (--policy).
	PolicyDirs []string
	// Profile is the effective profile; ProfileJSON its canonical form.
	Profile     *profile.Profile
	ProfileJSON []byte
	// Waivers are the auditor-approved waivers (--waivers), nil for none.
	Waivers *waiver.Set
}

// Engine holds compiled, prepared policies. It is safe for concurrent use.
type Engine struct {
	controls []*Control
	// uses says which parts of input.resources the policies read, so
	// only those are converted to OPA values.
	uses          inputUse
	prepared      []rego.PreparedEvalQuery
	compiler      *ast.Compiler
	store         storage.Store
	geo           *geo.Resolver
	meshValues    meshValues
	nodeValues    nodeValues
	digests       digestMemo
	profile       *profile.Profile
	waivers       *waiver.Set
	policyDigest  string
	profileDigest string
}

// New loads, compiles and prepares the policies.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Profile == nil {
		return nil, fmt.Errorf("evaluate: no profile")
	}
	srcs, err := LoadSources(opts.PolicyDirs)
	if err != nil {
		return nil, err
	}
	var policySrcs []Source
	for _, s := range srcs {
		if !s.IsTest() {
			policySrcs = append(policySrcs, s)
		}
	}
	mods, err := parseModules(policySrcs)
	if err != nil {
		return nil, err
	}
	compiler, err := compile(mods)
	if err != nil {
		return nil, err
	}
	controls, err := controlsOf(policySrcs, mods)
	if err != nil {
		return nil, err
	}
	reads(compiler, controls)
	var profileData map[string]any
	if err := json.Unmarshal(opts.ProfileJSON, &profileData); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	// The profile is kept as OPA values: policies read it in every
	// evaluation, and a store of Go values converts what is read each time.
	store := inmem.NewFromObjectWithOpts(map[string]any{"tilsyn": map[string]any{"profile": profileData}},
		inmem.OptReturnASTValuesOnRead(true))
	e := &Engine{controls: controls, profile: opts.Profile, waivers: opts.Waivers, policyDigest: Digest(policySrcs), uses: inputUses(mods),
		compiler: compiler, store: store, geo: geo.New(opts.Profile)}
	sum := sha256.Sum256(opts.ProfileJSON)
	e.profileDigest = hex.EncodeToString(sum[:])
	for _, c := range controls {
		q := "findings := data." + c.Package + ".findings"
		if c.notAssessedRule {
			q += "; not_assessed := data." + c.Package + ".not_assessed"
		}
		pq, err := rego.New(
			rego.Compiler(compiler),
			rego.Store(store),
			rego.Query(q),
		).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("prepare %s (%s): %w", c.ID, c.File, err)
		}
		e.prepared = append(e.prepared, pq)
	}
	return e, nil
}

// Controls returns the metadata of every control, sorted by id.
func (e *Engine) Controls() []Control {
	out := make([]Control, len(e.controls))
	for i, c := range e.controls {
		out[i] = *c
	}
	return out
}

// PolicyDigest is the SHA-256 of the policy bundle in use.
func (e *Engine) PolicyDigest() string { return e.policyDigest }

// WaiversSelectByLabel reports whether a waiver usable at now selects by
// label: findings then depend on the labels of every object they name.
func (e *Engine) WaiversSelectByLabel(now time.Time) bool { return e.waivers.At(now).NeedsLabels() }

// Status of a control.
type Status string

// Control statuses.
const (
	Pass        Status = "pass"
	Fail        Status = "fail"
	Waived      Status = "waived"
	NotAssessed Status = "not-assessed"
)

// Resource names a Kubernetes object in a finding.
type Resource struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// Finding is one problem a control found: which object, which field, the
// value found, and what to do.
type Finding struct {
	Resource    Resource `json:"resource"`
	Message     string   `json:"message"`
	Field       string   `json:"field"`
	Value       any      `json:"value"`
	Severity    string   `json:"severity"`
	Remediation string   `json:"remediation,omitempty"`
	// Waiver is the auditor-approved waiver that covers the finding, nil
	// when none does. A waived finding does not fail its control.
	Waiver *WaiverRef `json:"waiver,omitempty"`
}

// WaiverRef is the part of a waiver a waived finding carries.
type WaiverRef struct {
	Ref           string `json:"ref"`
	Justification string `json:"justification"`
	ApprovedBy    string `json:"approvedBy"`
	Expires       string `json:"expires"`
}

// Gap is an input a control could not assess, and why.
type Gap struct {
	Resource *Resource `json:"resource,omitempty"`
	Reason   string    `json:"reason"`
}

// Result is the outcome of one control.
type Result struct {
	Control  Control
	Status   Status
	Findings []Finding
	Gaps     []Gap
	Duration time.Duration
}

// MaxSeverity is the highest severity among the findings no waiver
// covers, "" with none.
func (r Result) MaxSeverity() string {
	best := ""
	for _, f := range r.Findings {
		if f.Waiver == nil && SeverityRank(f.Severity) > SeverityRank(best) {
			best = f.Severity
		}
	}
	return best
}

// Results is the outcome of an audit.
type Results struct {
	Controls      []Result
	Mesh          *mesh.Result
	Scope         Scope
	Profile       *profile.Profile
	PolicyDigest  string
	ProfileDigest string
	Now           time.Time
	// Derived are the location, PKI and transfer facts.
	Derived *Derived
	// Waivers are the waivers of the audit with their status; WaiverSource
	// and WaiverDigest identify the file (empty without one).
	Waivers      []waiver.Entry
	WaiverSource string
	WaiverDigest string
	// InputDuration is the time spent deriving facts and building input;
	// Timings break it down by stage.
	InputDuration time.Duration
	Timings       []Timing
}

// Evaluate judges a snapshot at time now: facts are derived, every
// control of the first phase runs against the same input, waivers are
// applied to the findings, then the controls of the waivers phase (ACC-02)
// run against the waivers' outcome.
func (e *Engine) Evaluate(ctx context.Context, s *collect.Snapshot, now time.Time) (*Results, error) {
	start := time.Now()
	var timings []Timing
	clock := start
	lap := func(stage string) {
		t := time.Now()
		timings = append(timings, Timing{stage, t.Sub(clock)})
		clock = t
	}
	m, err := mesh.Resolve(s)
	if err != nil {
		return nil, err
	}
	lap("facts: mesh (workloads, mTLS, PeerAuthentication, DestinationRules)")
	scope := PersonalDataScope(s, e.profile, m.Config.RootNamespace)
	lap("facts: personal-data scope")
	d := derive(s, m, scope, e.geo, &timings, nil, nil)
	clock = time.Now()
	input, err := buildInput(s, m, scope, d, now, e.uses)
	if err != nil {
		return nil, err
	}
	lap("input conversion")
	res := &Results{Mesh: m, Scope: scope, Profile: e.profile, PolicyDigest: e.policyDigest,
		ProfileDigest: e.profileDigest, Now: now.UTC(), InputDuration: time.Since(start), Derived: d,
		Controls: make([]Result, len(e.controls))}

	var first, second []int
	for i, c := range e.controls {
		if c.Phase == PhaseWaivers {
			second = append(second, i)
		} else {
			first = append(first, i)
		}
	}
	if err := e.run(ctx, first, s, input, res); err != nil {
		return nil, err
	}
	applier := e.waivers.At(now)
	applyWaivers(applier, res.Controls, first, s)
	res.Waivers = applier.Entries()
	if e.waivers != nil {
		res.WaiverSource, res.WaiverDigest = e.waivers.Source, e.waivers.SHA256
	}
	if len(second) > 0 {
		wInput, err := waiverInput(res.Waivers, now)
		if err != nil {
			return nil, err
		}
		if err := e.run(ctx, second, s, wInput, res); err != nil {
			return nil, err
		}
	}
	for i := range res.Controls {
		res.Controls[i].Status = status(res.Controls[i])
	}
	res.Timings = timings
	return res, nil
}

// run evaluates the controls at indexes idx on a bounded pool of workers.
func (e *Engine) run(ctx context.Context, idx []int, s *collect.Snapshot, input ast.Value, res *Results) error {
	var wg sync.WaitGroup
	errs := make([]error, len(e.controls))
	next := make(chan int)
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res.Controls[i], errs[i] = e.evalControl(ctx, i, s, input)
			}
		}()
	}
	for _, i := range idx {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// status decides a control's status: fail when a finding no waiver covers
// remains, not-assessed when an input was missing, waived when every
// finding is covered, pass otherwise.
func status(r Result) Status {
	waived := 0
	for _, f := range r.Findings {
		if f.Waiver == nil {
			return Fail
		}
		waived++
	}
	switch {
	case len(r.Gaps) > 0:
		return NotAssessed
	case waived > 0:
		return Waived
	}
	return Pass
}

func (e *Engine) evalControl(ctx context.Context, i int, s *collect.Snapshot, input ast.Value) (Result, error) {
	c := e.controls[i]
	r := Result{Control: *c, Findings: []Finding{}, Gaps: coverageGaps(c, s)}
	if len(r.Gaps) > 0 {
		r.Status = NotAssessed
		return r, nil
	}
	start := time.Now()
	rs, err := e.prepared[i].Eval(ctx, rego.EvalParsedInput(input))
	r.Duration = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("control %s (%s): evaluation failed: %w", c.ID, c.File, err)
	}
	var findings, gaps any
	if len(rs) > 0 {
		findings, gaps = rs[0].Bindings["findings"], rs[0].Bindings["not_assessed"]
	}
	return r, finish(c, &r, findings, gaps)
}

// coverageGaps are the required inputs of a control that s does not cover.
func coverageGaps(c *Control, s *collect.Snapshot) []Gap {
	gaps := []Gap{}
	for _, key := range c.Requires {
		cov, ok := s.CoverageOf(key)
		if ok && cov.Status == collect.Collected {
			continue
		}
		reason := "not collected"
		if ok {
			reason = string(cov.Status)
			if cov.Reason != "" {
				reason += ": " + cov.Reason
			}
		}
		gaps = append(gaps, Gap{Reason: key + " " + reason})
	}
	return gaps
}

// finish decodes a control's findings and gaps (as Rego returned them,
// nil when undefined) into r, checks and orders them, and sets the status.
func finish(c *Control, r *Result, findings, gaps any) error {
	if findings != nil {
		if err := decodeFindings(findings, &r.Findings); err != nil {
			return fmt.Errorf("control %s (%s): findings: %w", c.ID, c.File, err)
		}
	}
	if gaps != nil {
		if err := decodeInto(gaps, &r.Gaps); err != nil {
			return fmt.Errorf("control %s (%s): not_assessed: %w", c.ID, c.File, err)
		}
	}
	for j := range r.Findings {
		f := &r.Findings[j]
		if f.Resource.Kind == "" || f.Message == "" || f.Field == "" {
			return fmt.Errorf("control %s (%s): a finding lacks resource.kind, field or message: %+v", c.ID, c.File, *f)
		}
		if f.Severity == "" {
			f.Severity = c.Severity
		} else if SeverityRank(f.Severity) < 0 {
			return fmt.Errorf("control %s (%s): finding severity %q is not one of %s", c.ID, c.File, f.Severity, strings.Join(Severities, ", "))
		}
		f.Waiver = nil // only waivers applied by the engine count
	}
	sortFindings(r.Findings)
	sort.Slice(r.Gaps, func(a, b int) bool { return gapKey(r.Gaps[a]) < gapKey(r.Gaps[b]) })
	r.Status = status(*r)
	return nil
}

// decodeInto converts a Rego result (a set or array of objects) to Go.
func decodeInto(v any, out any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(js, out)
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(a, b int) bool {
		x, y := fs[a], fs[b]
		if x.Resource.Kind != y.Resource.Kind {
			return x.Resource.Kind < y.Resource.Kind
		}
		if x.Resource.Namespace != y.Resource.Namespace {
			return x.Resource.Namespace < y.Resource.Namespace
		}
		if x.Resource.Name != y.Resource.Name {
			return x.Resource.Name < y.Resource.Name
		}
		if x.Field != y.Field {
			return x.Field < y.Field
		}
		return x.Message < y.Message
	})
}

func gapKey(g Gap) string {
	if g.Resource == nil {
		return g.Reason
	}
	return g.Resource.Kind + "/" + g.Resource.Namespace + "/" + g.Resource.Name + "/" + g.Reason
}
