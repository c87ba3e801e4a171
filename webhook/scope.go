package webhook

import (
	"maps"
	"sort"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/profile"
)

// The personal-data scope is decided over the whole state, as an audit of
// the whole cluster decides it, and narrowed to a neighbourhood for each
// evaluation.

// scope is a personal-data scope with its namespaces as a set.
type scope struct {
	evaluate.Scope
	in map[string]bool
}

func newScope(s evaluate.Scope) scope {
	in := make(map[string]bool, len(s.Namespaces))
	for _, ns := range s.Namespaces {
		in[ns] = true
	}
	return scope{s, in}
}

// within narrows a scope to some namespaces: a neighbourhood's policies
// look up the namespaces of its own objects only, and listing the
// cluster's thousands would cost every judgement their conversion.
//
// The caller adds a witness (see witness): whether any namespace processes
// personal data decides some facts (a ServiceEntry exported to every
// namespace is a transfer of personal data if any is).
func (sc scope) within(namespaces map[string]bool) evaluate.Scope {
	out := sc.Scope
	out.Namespaces = []string{}
	for ns := range namespaces {
		if sc.in[ns] {
			out.Namespaces = append(out.Namespaces, ns)
		}
	}
	sort.Strings(out.Namespaces)
	return out
}

// witness is a personal-data namespace outside a neighbourhood's
// namespaces, the same with and without the change, if there is one.
func witness(before, after scope, namespaces map[string]bool) string {
	for _, ns := range before.Namespaces {
		if !namespaces[ns] && after.in[ns] {
			return ns
		}
	}
	return ""
}

// Introduced is a finding a change introduces, with its control.
type Introduced struct {
	Control evaluate.Control
	evaluate.Finding
}

// Verdict is what a judgement found, and how.
type Verdict struct {
	Findings []Introduced
	// Controls are the controls evaluated (none for a type no control
	// reads).
	Controls []string
	// Global is set when the whole cluster was evaluated; Objects is the
	// size of the neighbourhood (or cluster) evaluated.
	Global  bool
	Objects int
	// Cached is set when the findings without the change came from the
	// cache; Repeat when the whole verdict did (the same change was judged
	// in the same state before).
	Cached, Repeat bool
	// Unchanged is set when the change altered nothing the controls read
	// (see Judge.unchanged): nothing was evaluated, nothing is introduced.
	Unchanged bool
	// Reevaluated is how many controls were evaluated with the change:
	// those whose inputs it altered.
	Reevaluated int
}

// scopeLocked returns the personal-data scope of the whole state, computed
// again only when Namespaces or the set of used namespaces changed. The
// caller holds j.state.mu for reading.
func (j *Judge) scopeLocked() (scope, uint64) {
	s := j.state
	j.scopeMu.Lock()
	defer j.scopeMu.Unlock()
	if !j.scopeOK || j.scopeGen != s.nsGen {
		j.scope = newScope(scopeOf(s.objects[collect.Namespaces][""], s.used, j.profile, s.root))
		j.scopeGen, j.scopeOK = s.nsGen, true
	}
	return j.scope, j.scopeGen
}

// scopeWith is the scope with a change applied. The caller holds
// j.state.mu for reading.
func (j *Judge) scopeWith(c change) scope {
	s := j.state
	nss := s.objects[collect.Namespaces][""]
	used := s.used
	if c.t.Key == collect.Namespaces {
		nss = withNamespace(nss, c.name, c.new, s)
	} else {
		used = maps.Clone(used)
		used[c.ns]++
	}
	return newScope(scopeOf(nss, used, j.profile, s.root))
}

// withNamespace returns the Namespaces with one replaced (removed when o
// is nil).
func withNamespace(nss map[string]*entry, name string, o collect.Object, s *State) map[string]*entry {
	out := maps.Clone(nss)
	if out == nil {
		out = map[string]*entry{}
	}
	delete(out, name)
	if o != nil {
		t, _ := collect.TypeByKey(collect.Namespaces)
		out[name] = newEntry(t, o, 0, s.domain)
	}
	return out
}

// scopeOf decides the personal-data scope exactly as an audit of the
// whole state would: from the Namespaces and the namespaces objects live
// in.
func scopeOf(nss map[string]*entry, used map[string]int, p *profile.Profile, root string) evaluate.Scope {
	snap := &collect.Snapshot{Resources: map[string][]collect.Object{}}
	for _, e := range nss {
		snap.Resources[collect.Namespaces] = append(snap.Resources[collect.Namespaces], e.obj)
	}
	// PersonalDataScope learns of namespaces without a Namespace object
	// from the objects in them; one stand-in object per namespace says as
	// much.
	names := make([]string, 0, len(used))
	for ns := range used {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		snap.Resources[collect.ConfigMaps] = append(snap.Resources[collect.ConfigMaps],
			collect.Object{"metadata": map[string]any{"namespace": ns}})
	}
	return evaluate.PersonalDataScope(snap, p, root)
}

// sameScopeElsewhere reports whether two scopes agree on every namespace
// but the changed one (whose own objects are in the neighbourhood).
func sameScopeElsewhere(a, b scope, c change) bool {
	home := c.ns
	if c.t.Key == collect.Namespaces {
		home = c.name
	}
	if a.Default != b.Default {
		return false
	}
	in := func(sc scope) map[string]bool {
		m := make(map[string]bool, len(sc.Namespaces))
		for _, ns := range sc.Namespaces {
			if ns != home {
				m[ns] = true
			}
		}
		return m
	}
	x, y := in(a), in(b)
	if len(x) != len(y) {
		return false
	}
	for ns := range x {
		if !y[ns] {
			return false
		}
	}
	return true
}
