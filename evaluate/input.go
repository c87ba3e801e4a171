package evaluate

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/profile"
)

// Scope is the personal-data scope of an audit: the namespaces whose
// workloads the personal-data controls look at.
type Scope struct {
	Selector string `json:"selector"`
	// Default is true when no namespace matched the selector, so every
	// namespace except Excluded is treated as processing personal data.
	Default    bool     `json:"default"`
	Excluded   []string `json:"excluded,omitempty"`
	Namespaces []string `json:"namespaces"`
}

// Statement says in words how the scope was chosen, for the report.
func (s Scope) Statement() string {
	if s.Default {
		return fmt.Sprintf("No namespace matches the personal-data selector %q, so every namespace except %v is treated as processing personal data (conservative default).",
			s.Selector, s.Excluded)
	}
	return fmt.Sprintf("Namespaces matching the personal-data selector %q process personal data.", s.Selector)
}

// PersonalDataScope decides which namespaces process personal data: those
// matching the profile's selector or, when none does, every namespace but
// the system ones and the mesh control plane.
func PersonalDataScope(s *collect.Snapshot, p *profile.Profile, rootNamespace string) Scope {
	sc := Scope{Selector: p.Spec.PersonalData.NamespaceSelector, Namespaces: []string{}}
	sel := p.Selector()
	known := map[string]bool{}
	nsLabels := map[string]map[string]string{}
	for _, o := range s.Resources[collect.Namespaces] {
		m := collect.Meta(o)
		known[m.Name] = true
		nsLabels[m.Name] = m.Labels
	}
	for key, objs := range s.Resources {
		if t, _ := collect.TypeByKey(key); !t.Namespaced {
			continue
		}
		for _, o := range objs {
			if ns := collect.Str(o, "metadata", "namespace"); ns != "" {
				known[ns] = true
			}
		}
	}
	for ns := range known {
		if sel.Matches(labels.Set(nsLabels[ns])) {
			sc.Namespaces = append(sc.Namespaces, ns)
		}
	}
	if len(sc.Namespaces) == 0 {
		sc.Default = true
		excluded := map[string]bool{rootNamespace: true, mesh.DefaultRootNamespace: true}
		for _, n := range p.Spec.PersonalData.DefaultExcluded {
			excluded[n] = true
		}
		for n := range excluded {
			sc.Excluded = append(sc.Excluded, n)
		}
		sort.Strings(sc.Excluded)
		for ns := range known {
			if !excluded[ns] {
				sc.Namespaces = append(sc.Namespaces, ns)
			}
		}
	}
	sort.Strings(sc.Namespaces)
	return sc
}

// factPiece is one key of input.facts and its value (or its value
// already converted).
type factPiece struct {
	key       string
	value     any
	converted ast.Value
}

// factPieces lists what Go derives for the policies, under input.facts.
func factPieces(m *mesh.Result, scope Scope, d *Derived) []factPiece {
	sf := scopeFacts{Scope: scope, InScope: map[string]bool{}}
	for _, ns := range scope.Namespaces {
		sf.InScope[ns] = true
	}
	return []factPiece{
		{key: "mesh", value: meshFacts{Config: m.Config, Injector: m.Injector}},
		{key: "scope", value: sf},
		{key: "workloads", value: m.Workloads},
		{key: "mtls", value: m.Rows},
		{key: "peerAuthentication", value: m.PeerAuthentication},
		{key: "destinationRules", value: m.DestinationRules},
		{key: "location", value: d.Location},
		{key: "pki", value: d.PKI},
		{key: "transfers", value: d.Transfers},
		{key: "telemetrySinks", value: d.TelemetrySinks},
		{key: "nodeTuning", value: d.NodeTuning},
		{key: "podSysctls", value: d.PodSysctls},
	}
}

// locationPart is the parts of the location facts named in facts
// ("location.nodes", ...).
func locationPart(l Location, facts map[string]bool) map[string]any {
	parts := map[string]any{"nodes": l.Nodes, "nodeCountries": l.NodeCountries, "volumes": l.Volumes,
		"missingVolumes": l.MissingVolumes, "storageClasses": l.StorageClasses, "placement": l.Placement, "backups": l.Backups}
	out := map[string]any{}
	for k, v := range parts {
		if facts["location."+k] {
			out[k] = v
		}
	}
	return out
}

// factsValueSerial is factsValue in the calling goroutine, for small
// inputs: facts are converted through factTerms.
func factsValueSerial(pieces []factPiece) (ast.Value, error) {
	obj := ast.NewObjectWithCapacity(len(pieces))
	for _, p := range pieces {
		v := p.converted
		if v == nil {
			var err error
			if v, err = factTerms.value(p.value); err != nil {
				return nil, fmt.Errorf("facts.%s: %w", p.key, err)
			}
		}
		obj.Insert(ast.StringTerm(p.key), ast.NewTerm(v))
	}
	return obj, nil
}

// factsValue converts the facts to an OPA object piece by piece and
// concurrently, straight from the Go values (toValue) rather than through
// JSON text.
func factsValue(pieces []factPiece) (ast.Value, error) {
	values := make([]ast.Value, len(pieces))
	errs := make([]error, len(pieces))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				var err error
				if values[i] = pieces[i].converted; values[i] != nil {
					continue
				}
				if values[i], err = toValue(pieces[i].value); err != nil {
					errs[i] = fmt.Errorf("facts.%s: %w", pieces[i].key, err)
				}
			}
		}()
	}
	for i := range pieces {
		next <- i
	}
	close(next)
	wg.Wait()
	obj := ast.NewObject()
	for i, p := range pieces {
		if errs[i] != nil {
			return nil, errs[i]
		}
		obj.Insert(ast.StringTerm(p.key), ast.NewTerm(values[i]))
	}
	return obj, nil
}

type meshFacts struct {
	mesh.Config
	Injector mesh.InjectorConfig `json:"injector"`
}

type scopeFacts struct {
	Scope
	// InScope maps every in-scope namespace to true, for lookups.
	InScope map[string]bool `json:"inScope"`
}

// buildInput assembles input for the policies and converts it to an OPA
// value once; every control evaluates against the same value.
//
//	input.resources.<type>  the snapshot's objects
//	input.other             objects of kinds tilsyn does not interpret
//	input.coverage.<type>   {status, count, reason}
//	input.meta              {now, source, cluster}
//	input.facts             derived facts (mesh config, scope, workloads,
//	                        mTLS inventory, PeerAuthentication and
//	                        DestinationRule facts, location, pki,
//	                        transfers, telemetrySinks, nodeTuning)
func buildInput(s *collect.Snapshot, m *mesh.Result, scope Scope, d *Derived, now time.Time, uses inputUse) (ast.Value, error) {
	return buildInputWith(s, m, scope, d, now, uses, nil, givenFacts{})
}

// givenFacts are facts already converted (nil when not).
type givenFacts struct {
	mesh ast.Value
	// nodes is facts.location.nodes; it is used when the policies read
	// location part by part.
	nodes ast.Value
}

// buildInputWith is buildInput with the OPA values of some objects given
// (values[type][i] for s.Resources[type][i]; nil ones are converted here)
// and some facts already converted.
func buildInputWith(s *collect.Snapshot, m *mesh.Result, scope Scope, d *Derived, now time.Time, uses inputUse,
	values map[string][]ast.Value, given givenFacts) (ast.Value, error) {
	resources, err := resourcesValue(s, uses, values)
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	obj, err := headValue(s, now, uses)
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	obj.Insert(ast.StringTerm("resources"), ast.NewTerm(resources))
	pieces := factPieces(m, scope, d)
	if given.mesh != nil && pieces[0].key == "mesh" {
		pieces[0].converted = given.mesh
	}
	if uses.someFacts {
		kept := pieces[:0]
		for _, p := range pieces {
			switch {
			case uses.facts[p.key]:
				kept = append(kept, p)
			case p.key == "location":
				part := locationPart(d.Location, uses.facts)
				if len(part) == 0 {
					break
				}
				_, nodes := part["nodes"]
				if !nodes || given.nodes == nil {
					kept = append(kept, factPiece{key: p.key, value: part})
					break
				}
				delete(part, "nodes")
				v, err := toValue(part)
				if err != nil {
					return nil, fmt.Errorf("build policy input: facts.location: %w", err)
				}
				v.(ast.Object).Insert(ast.StringTerm("nodes"), ast.NewTerm(given.nodes))
				kept = append(kept, factPiece{key: p.key, converted: v})
			}
		}
		pieces = kept
	}
	small := 0
	for _, l := range s.Resources {
		small += len(l)
	}
	var fv ast.Value
	if small < smallInput {
		fv, err = factsValueSerial(pieces)
	} else {
		fv, err = factsValue(pieces)
	}
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	obj.Insert(ast.StringTerm("facts"), ast.NewTerm(fv))
	return obj, nil
}

// resourcesValue converts the snapshot's objects to one OPA object keyed by
// resource type, converting objects concurrently: this is the largest part
// of the input by far.
func resourcesValue(s *collect.Snapshot, uses inputUse, values map[string][]ast.Value) (ast.Value, error) {
	type item struct {
		key string
		i   int
	}
	keys := make([]string, 0, len(s.Resources))
	for key := range s.Resources {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	terms := make(map[string][]*ast.Term, len(keys))
	n := 0
	for _, key := range keys {
		if uses.all || uses.resources[key] {
			terms[key] = make([]*ast.Term, len(s.Resources[key]))
			n += len(s.Resources[key])
		} else {
			terms[key] = []*ast.Term{}
		}
	}
	if n < smallInput {
		obj := ast.NewObjectWithCapacity(len(keys))
		for _, key := range keys {
			if len(terms[key]) == 0 {
				obj.Insert(ast.StringTerm(key), emptyList)
				continue
			}
			given := values[key]
			for j, o := range s.Resources[key][:len(terms[key])] {
				if j < len(given) && given[j] != nil {
					terms[key][j] = ast.NewTerm(given[j])
					continue
				}
				v, err := ast.InterfaceToValue(o)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: %w", key, j, err)
				}
				terms[key][j] = ast.NewTerm(v)
			}
			obj.Insert(ast.StringTerm(key), ast.ArrayTerm(terms[key]...))
		}
		return obj, nil
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	const chunk = 256
	next := make(chan item, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				objs, out := s.Resources[it.key], terms[it.key]
				for j := it.i; j < len(out) && j < it.i+chunk; j++ {
					v, err := ast.InterfaceToValue(objs[j])
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("%s[%d]: %w", it.key, j, err)
						}
						mu.Unlock()
						continue
					}
					out[j] = ast.NewTerm(v)
				}
			}
		}()
	}
	for _, key := range keys {
		for i := 0; i < len(terms[key]); i += chunk {
			next <- item{key, i}
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	obj := ast.NewObject()
	for _, key := range keys {
		obj.Insert(ast.StringTerm(key), ast.ArrayTerm(terms[key]...))
	}
	return obj, nil
}

// emptyList is an empty input.resources list, shared (OPA values are
// never modified by an evaluation).
var emptyList = ast.ArrayTerm()

// inputUse records which parts of the input the policies read.
type inputUse struct {
	all       bool            // some rule reads input.resources (or input) as a whole or by a variable key
	resources map[string]bool // input.resources.<key> read by some rule
	other     bool            // input.other read by some rule
	// someFacts is set when only the parts of input.facts in facts are
	// read (a Subset's controls); otherwise every part is built.
	someFacts bool
	facts     map[string]bool
}

// smallInput is the number of objects below which the input is built in
// the calling goroutine: spreading a small conversion over workers costs
// more than it saves (the webhook builds thousands of small inputs a
// second, concurrently).
const smallInput = 512

// inputUses inspects every reference to input in the compiled policies.
// Lists no rule can reach are left out of the input: they would cost time
// and memory to convert and could not change any result. A reference whose
// key is not a constant (input.resources[k], or input passed whole) keeps
// everything.
func inputUses(mods map[string]*ast.Module) inputUse {
	u := inputUse{resources: map[string]bool{}}
	for _, m := range mods {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if !r.HasPrefix(ast.InputRootRef) {
				return false
			}
			if len(r) == 1 {
				u.all = true
				return false
			}
			if _, ok := r[1].Value.(ast.String); !ok {
				u.all = true
				return false
			}
			switch {
			case r[1].Equal(ast.StringTerm("other")):
				u.other = true
			case !r[1].Equal(ast.StringTerm("resources")):
			case len(r) == 2:
				u.all = true
			default:
				if key, ok := r[2].Value.(ast.String); ok {
					u.resources[string(key)] = true
				} else {
					u.all = true
				}
			}
			return false
		})
	}
	return u
}

func resourceTypes() []any {
	out := make([]any, len(collect.Registry))
	for i, t := range collect.Registry {
		out[i] = t.Key
	}
	return out
}
