package webhook

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
)

// entry is one object of the cluster state. Entries are never modified:
// a changed object is stored as a new entry with a new sequence number,
// so evaluations can hold entries without locks.
type entry struct {
	obj      collect.Object
	t        collect.ResourceType
	ns, name string
	seq      uint64
	// owner is the controlling owner (ownerReferences with controller:
	// true), zero when there is none.
	owner objRef
	// labels are the labels pods of this object carry: a pod's own, a
	// controller's pod template's.
	labels map[string]string
	// selector is a Service's spec.selector or a PeerAuthentication's
	// spec.selector.matchLabels.
	selector map[string]string
	// hosts are a DestinationRule's host or a ServiceEntry's hosts,
	// resolved against the object's namespace.
	hosts []string
	// claim is the claim a PersistentVolume is bound to; class and
	// classAll are a Node's location class (see nodeClass).
	claim           objRef
	class, classAll string
	// id is the key snapshots order objects by (collect.Identity).
	id string
	// member is a stored pod's mesh.MemberKey, "" when it has none.
	member string
	// value is the object as an OPA value, converted on first use.
	valueOnce sync.Once
	value     ast.Value
}

// opaValue returns the object as an OPA value, converting it once.
func (e *entry) opaValue() ast.Value {
	e.valueOnce.Do(func() {
		if v, err := ast.InterfaceToValue(e.obj); err == nil {
			e.value = v
		}
	})
	return e.value
}

// objRef names an object by namespace, kind and name.
type objRef struct{ ns, kind, name string }

// State is the cluster as the webhook knows it: every object of the
// registered types, sanitized as the live collector keeps them, and kept
// current by informers (or fed directly, for tests and benchmarks). It
// indexes objects by namespace, owner and host for building the
// neighbourhood of a change, and counts changes so that results computed
// from it can be cached. It is safe for concurrent use.
type State struct {
	mu  sync.RWMutex
	seq uint64
	// gen counts changes; nsGen counts changes to what decides the
	// personal-data scope (Namespaces, and which namespaces hold objects);
	// covGen counts changes of coverage.
	gen, nsGen, covGen uint64
	// objects by type key, then namespace ("" for cluster-scoped), then name.
	objects  map[string]map[string]map[string]*entry
	children map[objRef]map[*entry]bool
	// hosts indexes DestinationRules and ServiceEntries by resolved host;
	// wildcards by the suffix of their wildcard hosts (".suffix" for
	// "*.suffix", "" for "*").
	hosts     map[string]map[*entry]bool
	wildcards map[string]map[*entry]bool
	// volumes indexes PersistentVolumes by the claim they are bound to;
	// nodeClasses groups Nodes by location class.
	volumes                     map[objRef]map[*entry]bool
	nodeClasses, nodeClassesAll map[string]map[*entry]bool
	// labelled indexes pods and controllers by each label their pods
	// carry, for selectors.
	labelled map[podLabel]map[*entry]bool
	// used counts the namespaced objects of each namespace.
	used     map[string]int
	coverage map[string]collect.Coverage
	// root and domain come from the mesh config.
	root, domain string
}

// NewState returns an empty state; every type's coverage is "not
// collected yet" until SetCoverage says otherwise.
func NewState() *State {
	s := &State{
		objects:     map[string]map[string]map[string]*entry{},
		children:    map[objRef]map[*entry]bool{},
		hosts:       map[string]map[*entry]bool{},
		wildcards:   map[string]map[*entry]bool{},
		volumes:     map[objRef]map[*entry]bool{},
		nodeClasses: map[string]map[*entry]bool{}, nodeClassesAll: map[string]map[*entry]bool{},
		labelled: map[podLabel]map[*entry]bool{},
		used:     map[string]int{},
		coverage: map[string]collect.Coverage{},
		root:     mesh.DefaultRootNamespace,
		domain:   mesh.DefaultDomainSuffix,
	}
	for _, t := range collect.Registry {
		s.objects[t.Key] = map[string]map[string]*entry{}
		s.coverage[t.Key] = collect.Coverage{Resource: t.Key, Kind: t.Kind, Group: t.Group, Status: collect.Failed,
			Reason: "not read yet: the webhook's informers have not synced"}
	}
	return s
}

// FromSnapshot returns a state holding a snapshot's objects and coverage.
func FromSnapshot(snap *collect.Snapshot) *State {
	s := NewState()
	for _, c := range snap.Coverage {
		s.SetCoverage(c)
	}
	for _, t := range collect.Registry {
		for _, o := range snap.Resources[t.Key] {
			s.Upsert(t, o)
		}
	}
	return s
}

// SetCoverage records whether a type is collected (its informer synced),
// forbidden or absent.
func (s *State) SetCoverage(c collect.Coverage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := collect.TypeByKey(c.Resource); !ok {
		return
	}
	s.coverage[c.Resource] = c
	s.gen++
	s.covGen++
}

// Upsert stores an object (already sanitized), replacing the object of
// the same type, namespace and name.
func (s *State) Upsert(t collect.ResourceType, o collect.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	e := newEntry(t, o, s.seq, s.domain)
	s.removeLocked(t, e.ns, e.name)
	s.addLocked(e)
	s.gen++
	if t.Key == collect.ConfigMaps && e.name == "istio" {
		s.meshConfigLocked()
	}
}

// Delete removes an object.
func (s *State) Delete(t collect.ResourceType, namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removeLocked(t, namespace, name) {
		s.gen++
		if t.Key == collect.ConfigMaps && name == "istio" {
			s.meshConfigLocked()
		}
	}
}

func newEntry(t collect.ResourceType, o collect.Object, seq uint64, domain string) *entry {
	m := collect.Meta(o)
	e := &entry{obj: o, t: t, ns: m.Namespace, name: m.Name, seq: seq, id: collect.Identity(o)}
	if !t.Namespaced {
		e.ns = ""
	}
	if ref, ok := controllerOwner(o, e.ns); ok {
		e.owner = ref
	}
	e.labels = podLabels(t, o, m)
	e.hosts = hostsOf(t, o, e.ns, domain)
	switch t.Key {
	case collect.Services:
		e.selector = collect.StringMap(o, "spec", "selector")
	case collect.PeerAuthentications:
		e.selector = collect.StringMap(o, "spec", "selector", "matchLabels")
	case collect.PersistentVolumes:
		if ns := collect.Str(o, "spec", "claimRef", "namespace"); ns != "" {
			e.claim = objRef{ns, "PersistentVolumeClaim", collect.Str(o, "spec", "claimRef", "name")}
		}
	case collect.Nodes:
		e.class, e.classAll = nodeClass(o, m, geo.IsTopologyKey), nodeClass(o, m, nil)
	}
	return e
}

func (s *State) addLocked(e *entry) {
	if e.t.Key == collect.Pods {
		e.member, _ = mesh.MemberKey(e.obj)
	}
	byNS := s.objects[e.t.Key][e.ns]
	if byNS == nil {
		byNS = map[string]*entry{}
		s.objects[e.t.Key][e.ns] = byNS
	}
	byNS[e.name] = e
	if e.owner != (objRef{}) {
		if s.children[e.owner] == nil {
			s.children[e.owner] = map[*entry]bool{}
		}
		s.children[e.owner][e] = true
	}
	for _, h := range e.hosts {
		if isWildcard(h) {
			addTo(s.wildcards, h[1:], e)
			continue
		}
		addTo(s.hosts, h, e)
	}
	if e.claim != (objRef{}) {
		addTo(s.volumes, e.claim, e)
	}
	if e.t.Key == collect.Nodes {
		addTo(s.nodeClasses, e.class, e)
		addTo(s.nodeClassesAll, e.classAll, e)
	}
	if isWorkload(e.t.Key) {
		for k, v := range e.labels {
			addTo(s.labelled, podLabel{e.ns, k, v}, e)
		}
	}
	if e.ns != "" {
		if s.used[e.ns] == 0 {
			s.nsGen++
		}
		s.used[e.ns]++
	}
	if e.t.Key == collect.Namespaces {
		s.nsGen++
	}
}

// podLabel is a label of a namespace's pods.
type podLabel struct{ ns, key, value string }

// selected calls f with every pod and controller of namespace ns whose
// pods a non-empty selector selects.
func (s *State) selected(ns string, sel map[string]string, f func(*entry)) {
	var candidates map[*entry]bool
	first := true
	for k, v := range sel {
		c := s.labelled[podLabel{ns, k, v}]
		if first || len(c) < len(candidates) {
			candidates, first = c, false
		}
	}
	for e := range candidates {
		// The candidates carry the one label of a one-label selector.
		if len(sel) == 1 || subsetOf(sel, e.labels) {
			f(e)
		}
	}
}

func addTo[K comparable](m map[K]map[*entry]bool, k K, e *entry) {
	if m[k] == nil {
		m[k] = map[*entry]bool{}
	}
	m[k][e] = true
}

func removeFrom[K comparable](m map[K]map[*entry]bool, k K, e *entry) {
	if set := m[k]; set != nil {
		delete(set, e)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

func (s *State) removeLocked(t collect.ResourceType, namespace, name string) bool {
	if !t.Namespaced {
		namespace = ""
	}
	e := s.objects[t.Key][namespace][name]
	if e == nil {
		return false
	}
	delete(s.objects[t.Key][namespace], name)
	if len(s.objects[t.Key][namespace]) == 0 {
		delete(s.objects[t.Key], namespace)
	}
	if c := s.children[e.owner]; c != nil {
		delete(c, e)
		if len(c) == 0 {
			delete(s.children, e.owner)
		}
	}
	for _, h := range e.hosts {
		if isWildcard(h) {
			removeFrom(s.wildcards, h[1:], e)
			continue
		}
		removeFrom(s.hosts, h, e)
	}
	if e.claim != (objRef{}) {
		removeFrom(s.volumes, e.claim, e)
	}
	if e.t.Key == collect.Nodes {
		removeFrom(s.nodeClasses, e.class, e)
		removeFrom(s.nodeClassesAll, e.classAll, e)
	}
	if isWorkload(e.t.Key) {
		for k, v := range e.labels {
			removeFrom(s.labelled, podLabel{e.ns, k, v}, e)
		}
	}
	if e.ns != "" {
		s.used[e.ns]--
		if s.used[e.ns] == 0 {
			delete(s.used, e.ns)
			s.nsGen++
		}
	}
	if t.Key == collect.Namespaces {
		s.nsGen++
	}
	return true
}

// meshConfigLocked re-reads the root namespace and domain suffix from the
// mesh config, and re-indexes hosts when the domain changed.
func (s *State) meshConfigLocked() {
	snap := collect.New(collect.Source{Type: "live"}, zeroTime)
	for _, byNS := range s.objects[collect.ConfigMaps] {
		if e := byNS["istio"]; e != nil {
			snap.Resources[collect.ConfigMaps] = append(snap.Resources[collect.ConfigMaps], e.obj)
		}
	}
	snap.Sort()
	cfg, err := mesh.ConfigFromSnapshot(snap)
	if err != nil {
		// istiod refuses such a config as well; judge with the defaults
		// until it is fixed (the change that broke it was judged whole).
		cfg.RootNamespace, cfg.DomainSuffix = mesh.DefaultRootNamespace, mesh.DefaultDomainSuffix
	}
	s.root = cfg.RootNamespace
	if cfg.DomainSuffix != s.domain {
		s.domain = cfg.DomainSuffix
		for _, key := range []string{collect.DestinationRules, collect.ServiceEntries} {
			t, _ := collect.TypeByKey(key)
			for _, byNS := range s.objects[key] {
				for _, e := range byNS {
					s.removeLocked(t, e.ns, e.name)
					s.seq++
					s.addLocked(newEntry(t, e.obj, s.seq, s.domain))
				}
			}
		}
	}
}

// Len is the number of objects held.
func (s *State) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, byType := range s.objects {
		for _, byNS := range byType {
			n += len(byNS)
		}
	}
	return n
}

// Counts returns the number of objects of each type.
func (s *State) Counts() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]int, len(s.objects))
	for key, byType := range s.objects {
		for _, byNS := range byType {
			out[key] += len(byNS)
		}
	}
	return out
}

// Get returns the stored object of a type, namespace and name.
func (s *State) Get(t collect.ResourceType, namespace, name string) (collect.Object, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.get(t.Key, namespace, name)
	if e == nil {
		return nil, false
	}
	return e.obj, true
}

func (s *State) get(key, namespace, name string) *entry {
	return s.objects[key][namespace][name]
}

// Snapshot returns the whole state as a snapshot (sorted, as an audit's).
func (s *State) Snapshot() *collect.Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var all []*entry
	for _, byType := range s.objects {
		for _, byNS := range byType {
			for _, e := range byNS {
				all = append(all, e)
			}
		}
	}
	return s.snapshotLocked(all)
}

// snapshotLocked builds a snapshot of some entries with the state's
// coverage.
func (s *State) snapshotLocked(entries []*entry) *collect.Snapshot {
	snap := collect.New(collect.Source{Type: "live"}, zeroTime)
	for _, e := range entries {
		snap.Resources[e.t.Key] = append(snap.Resources[e.t.Key], e.obj)
	}
	for _, t := range collect.Registry {
		c := s.coverage[t.Key]
		c.Count = len(snap.Resources[t.Key])
		snap.Coverage = append(snap.Coverage, c)
	}
	snap.Sort()
	return snap
}
