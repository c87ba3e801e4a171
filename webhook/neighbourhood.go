package webhook

import (
	"slices"
	"sync"

	"github.com/tilsyn/tilsyn/collect"
)

// A change is judged against its neighbourhood: the objects whose
// presence can decide the findings the change introduces. The webhook
// evaluates the neighbourhood without the changed object and with it, and
// only the difference counts, so the neighbourhood must hold everything
// the facts of the changed object — and of whatever it changes — are
// derived from; objects whose facts come out incomplete in a neighbourhood
// are harmless as long as the change cannot alter them, because they come
// out the same way on both sides. The relations, from the mesh resolver's
// rules:
//
//   - context: the Namespaces involved, the mesh and injector config
//     (ConfigMaps named istio anywhere, ConfigMaps with kept data and
//     Secrets in the root namespace) and the root namespace's
//     PeerAuthentications;
//   - a pod or controller: its workload (the top owner and everything it
//     owns), the namespace's PeerAuthentications and the workloads the
//     selecting ones also select, the Services selecting it;
//   - a Service: the workloads it selects;
//   - a workload-level PeerAuthentication (outside the root namespace):
//     the workloads it selects, as if each had changed, and the
//     namespace's PeerAuthentications;
//   - every Service in the neighbourhood: the DestinationRules and
//     ServiceEntries whose hosts match it; every DestinationRule and
//     ServiceEntry: the Services its hosts name and their workloads, and
//     the other rules and entries for the same hosts;
//   - a DestinationRule or ServiceEntry: what its hosts bring (the
//     relation above) and its Namespace, nothing else of its namespace:
//     the mesh resolver tells callers apart by namespace, not by
//     workload, and the egress facts are per entry and host;
//   - any other namespaced object (namespace-wide PeerAuthentications,
//     NetworkPolicies, Sidecars, ...) and a Namespace: the whole
//     namespace;
//   - a claim: the volumes bound to it and every StorageClass; a volume:
//     its claim and that claim's Namespace, and every StorageClass;
//   - when the controls read nodes: one node of each location class
//     (neighbourhood_infra.go), and the nodes the change names.
//
// Of what these bring, only the Namespaces and the types the judging
// controls read (as objects or through facts) are kept: a type no control
// reads is followed for what it brings, then left out (keepRead).
//
// Host patterns of rules and entries other than the changed object are not
// followed: "*.local" in the root namespace matches every Service, and
// would make every neighbourhood the whole cluster. Such a rule's facts
// are then computed from part of what it matches, the same way with and
// without the change; should a finding on it still come out new, the
// change is judged again against the whole cluster. StorageClasses are
// treated the same way (how many personal-data claims use each is counted
// over the neighbourhood's claims).
//
// Changes whose effect is cluster-wide are judged against the whole
// cluster: the mesh config, a mesh-wide PeerAuthentication or Sidecar, a
// host pattern every Service may match, Nodes, StorageClasses, Telemetry,
// and a Namespace change that moves the personal-data scope of other
// namespaces.
//
// None of this is taken on trust: equivalence_test.go compares the
// webhook's verdict with two full audits for every object of the sample
// clusters and a synthetic one, created and changed.

// hood is a neighbourhood under construction.
type hood struct {
	s    *State
	set  map[*entry]bool
	list []*entry
	// done remembers which relations were followed.
	namespaces map[string]bool // whole namespaces added
	units      map[objRef]bool
	inUnit     map[*entry]bool // entries of units added (see unit)
	services   map[*entry]bool
	hostsDone  map[string]bool
	// exclude is the changed object, which the neighbourhood never holds.
	exclude objRef
	// truncated are rules, entries and classes whose relations were not
	// all followed (see close).
	truncated map[objRef]bool
	// reads are the types the judging controls read; readsNodes is set
	// when they read Node objects themselves, not only location facts.
	reads      map[string]bool
	readsNodes bool
	// claims and volumes whose storage relations were followed.
	storage map[*entry]bool
	// What dedupe works with, kept with the hood for the next.
	memberKeys   []podMember
	firstMember  map[podMember]*entry
	ownersStored map[objRef]bool
	// The levels unit walks down, kept likewise.
	queue, next []objRef
}

// change is what a request asks to store: the object's type, namespace
// and name, and its old and new versions (either may be nil).
type change struct {
	t        collect.ResourceType
	ns, name string
	old, new collect.Object
}

func (c change) ref() objRef { return objRef{c.ns, c.t.Kind, c.name} }

// versions returns the versions present.
func (c change) versions() []collect.Object {
	var out []collect.Object
	for _, o := range []collect.Object{c.old, c.new} {
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

// neighbourhood returns the entries a change is judged against, or global
// when only the whole cluster will do. With dedupe, a stored pod is left
// out when another pod of the neighbourhood is the same member of the
// same workload and its controllers are stored (mesh.MemberKey): the
// facts are the same with it or without it. The caller holds s.mu for
// reading.
func (s *State) neighbourhood(c change, reads, readsObjects map[string]bool, dedupe bool) (entries []*entry, truncated map[objRef]bool, global bool) {
	if s.globalChange(c) {
		return nil, nil, true
	}
	h := hoods.Get().(*hood)
	defer h.release()
	h.s, h.exclude, h.reads, h.readsNodes = s, c.ref(), reads, readsObjects[collect.Nodes]
	h.truncated = map[objRef]bool{}
	home := c.ns
	if c.t.Key == collect.Namespaces {
		home = c.name
	}
	h.context(home)
	versions := c.versions()
	switch key := c.t.Key; {
	case isWorkload(key):
		for _, o := range versions {
			e := newEntry(c.t, o, 0, s.domain)
			h.unit(e)
			h.selectedByPolicies(e)
			h.selectingServices(e)
		}
		// The namespace's PeerAuthentications decide the workload's mTLS
		// mode and conflicts.
		h.addType(collect.PeerAuthentications, c.ns)
	case key == collect.PeerAuthentications && c.ns != s.root && workloadLevel(versions):
		// A workload-level policy decides the mTLS of the workloads it
		// selects, and conflicts with the other policies that select
		// them: it is judged against what a change of those workloads
		// is.
		for _, o := range versions {
			s.selected(c.ns, collect.StringMap(o, "spec", "selector", "matchLabels"), func(e *entry) {
				h.unit(e)
				h.selectedByPolicies(e)
				h.selectingServices(e)
			})
		}
		h.addType(collect.PeerAuthentications, c.ns)
	case key == collect.Services:
		for _, o := range versions {
			h.backends(c.ns, collect.StringMap(o, "spec", "selector"))
		}
		h.addType(collect.PeerAuthentications, c.ns)
		h.hosts([]string{c.name + "." + c.ns + ".svc." + s.domain})
	case key == collect.ConfigMaps || key == collect.Secrets:
		// Not the mesh config (a global change): their contents are not
		// kept, so only their existence and metadata can matter, to
		// controls about their own namespace.
		h.namespace(c.ns)
	case key == collect.Namespaces:
		h.namespace(c.name)
	case key == collect.PersistentVolumes:
		for _, o := range versions {
			h.volume(newEntry(c.t, o, 0, s.domain))
		}
	case key == collect.DestinationRules || key == collect.ServiceEntries:
		// What callers in any namespace send toward its hosts, and the
		// destinations its hosts declare.
		for _, o := range versions {
			h.hosts(hostsOf(c.t, o, c.ns, s.domain))
		}
	case c.t.Namespaced:
		h.namespace(c.ns)
	}
	if reads[collect.Nodes] {
		h.nodes(versions)
	}
	h.close()
	if dedupe {
		h.dedupe()
	}
	h.keepRead()
	return slices.Clone(h.list), h.truncated, false
}

// workloadLevel reports whether every version of a PeerAuthentication
// selects workloads (outside the root namespace, istiod applies it to
// those alone).
func workloadLevel(versions []collect.Object) bool {
	for _, o := range versions {
		if len(collect.StringMap(o, "spec", "selector", "matchLabels")) == 0 {
			return false
		}
	}
	return true
}

// hoods keep the sets of neighbourhoods found, emptied, for the next: a
// busy webhook finds thousands a second, and growing the sets again for
// each costs more than finding what goes in them.
var hoods = sync.Pool{New: func() any {
	return &hood{set: map[*entry]bool{}, namespaces: map[string]bool{}, units: map[objRef]bool{}, inUnit: map[*entry]bool{},
		services: map[*entry]bool{}, hostsDone: map[string]bool{}, storage: map[*entry]bool{},
		firstMember: map[podMember]*entry{}, ownersStored: map[objRef]bool{}}
}}

// maxPooledHood bounds the hoods kept for reuse, in objects.
const maxPooledHood = 2048

// release empties a hood into hoods; one grown large is left to the
// garbage collector (emptying a map takes as long as its capacity).
func (h *hood) release() {
	if len(h.set) > maxPooledHood {
		return
	}
	for _, m := range []map[*entry]bool{h.set, h.inUnit, h.services, h.storage} {
		clear(m)
	}
	clear(h.namespaces)
	clear(h.units)
	clear(h.hostsDone)
	clear(h.firstMember)
	clear(h.ownersStored)
	clear(h.memberKeys)
	h.list, h.memberKeys = h.list[:0], h.memberKeys[:0]
	h.s, h.reads, h.truncated = nil, nil, nil
	hoods.Put(h)
}

// keepRead leaves out the objects of types the judging controls do not
// read, neither as objects nor through facts: both sides of the judgement
// would hold them alike, and no result depends on them. Namespaces stay
// (they place objects in the personal-data scope).
func (h *hood) keepRead() {
	out := h.list[:0]
	for _, e := range h.list {
		if h.reads[e.t.Key] || e.t.Key == collect.Namespaces {
			out = append(out, e)
		}
	}
	h.list = out
}

// related are the types whose objects bring others into a neighbourhood
// (see close): added even when not read, for what they bring.
var related = map[string]bool{collect.Services: true, collect.PersistentVolumeClaims: true,
	collect.PersistentVolumes: true, collect.DestinationRules: true, collect.ServiceEntries: true}

// dedupe leaves out the pods that are the same member of their workload
// as a pod kept (see neighbourhood). Of pods alike, the first in a
// snapshot's order is kept: the resolver takes a workload's labels and
// annotations from its first pod, which may be another pod's.
func (h *hood) dedupe() {
	keys := slices.Grow(h.memberKeys[:0], len(h.list))[:len(h.list)] // zero for entries not alike
	clear(keys)
	first, stored := h.firstMember, h.ownersStored // ownersStored, by owner: pods alike share one
	for i, e := range h.list {
		if e.member == "" || e.t.Key != collect.Pods {
			continue
		}
		ok, known := stored[e.owner]
		if !known {
			ok = h.s.ownersStored(e.owner)
			stored[e.owner] = ok
		}
		if !ok {
			continue
		}
		k := podMember{e.owner, e.member}
		keys[i] = k
		if f, ok := first[k]; !ok || e.id < f.id {
			first[k] = e
		}
	}
	out := h.list[:0]
	for i, e := range h.list {
		if keys[i] == (podMember{}) || first[keys[i]] == e {
			out = append(out, e)
		}
	}
	h.list, h.memberKeys = out, keys
}

// podMember is a pod as dedupe tells pods alike: its owner and its member
// key (mesh.MemberKey).
type podMember struct {
	owner objRef
	key   string
}

// globalChange reports whether a change can alter findings anywhere in
// the cluster.
func (s *State) globalChange(c change) bool {
	switch c.t.Key {
	case collect.Nodes, collect.StorageClasses, collect.Telemetries:
		// A node can make the cluster span other countries, a class serve
		// claims anywhere, a Telemetry resource send any namespace's data
		// to a sink.
		return true
	}
	for _, o := range c.versions() {
		switch c.t.Key {
		case collect.Sidecars:
			if c.ns == s.root {
				return true // the mesh's default egress policy
			}
		case collect.ConfigMaps:
			if c.name == "istio" || c.ns == s.root && collect.KeepConfigMapData(c.name) {
				return true
			}
		case collect.PeerAuthentications:
			if c.ns == s.root && len(collect.Map(o, "spec", "selector")) == 0 {
				return true
			}
		case collect.DestinationRules, collect.ServiceEntries:
			for _, h := range hostsOf(c.t, o, c.ns, s.domain) {
				if h == "*" || h == "*.svc."+s.domain || h == "*."+s.domain || h == "*.svc" {
					return true
				}
			}
		}
	}
	return false
}

func (h *hood) add(e *entry) {
	if e == nil || h.set[e] || (objRef{e.ns, e.t.Kind, e.name}) == h.exclude {
		return
	}
	h.set[e] = true
	h.list = append(h.list, e)
}

// addType adds every object of a type in a namespace.
func (h *hood) addType(key, ns string) {
	for _, e := range h.s.objects[key][ns] {
		h.add(e)
	}
}

// context adds what every judgement needs.
func (h *hood) context(ns string) {
	s := h.s
	h.add(s.get(collect.Namespaces, "", ns))
	h.add(s.get(collect.Namespaces, "", s.root))
	for cmNS, byName := range s.objects[collect.ConfigMaps] {
		for name, e := range byName {
			if name == "istio" || cmNS == s.root && collect.KeepConfigMapData(name) {
				h.add(e)
			}
		}
	}
	h.addType(collect.Secrets, s.root)
	h.addType(collect.PeerAuthentications, s.root)
}

// namespace adds every object of a namespace.
func (h *hood) namespace(ns string) {
	if h.namespaces[ns] {
		return
	}
	h.namespaces[ns] = true
	h.add(h.s.get(collect.Namespaces, "", ns))
	for _, t := range collect.Registry {
		if t.Namespaced && (h.reads[t.Key] || related[t.Key]) {
			h.addType(t.Key, ns)
		}
	}
}

// top follows an entry's controlling owners up to the workload it belongs
// to (as the mesh resolver does, at most four levels). ended reports that
// the chain ended there (no owner, or one not stored) rather than at the
// depth limit: every entry up to four levels below such a top has it as
// its top too.
func (h *hood) top(e *entry) (top objRef, ended bool) {
	ref := objRef{e.ns, e.t.Kind, e.name}
	owner := e.owner
	for depth := 0; depth < 4 && owner != (objRef{}); depth++ {
		ref = owner
		up := h.s.get(kindKeys[owner.kind], owner.ns, owner.name)
		if up == nil {
			return ref, true
		}
		owner = up.owner
	}
	return ref, owner == (objRef{})
}

// unit adds the workload an entry belongs to: its top owner and
// everything that owner owns.
//
// The members of a unit whose chain ended at its top are remembered: a
// Service or policy selecting many pods of one workload finds the unit
// from the first, and passes over the others without climbing again.
func (h *hood) unit(e *entry) {
	if h.inUnit[e] {
		return
	}
	top, ended := h.top(e)
	if h.units[top] {
		return
	}
	h.units[top] = true
	var topEntry *entry
	if key, ok := kindKeys[top.kind]; ok {
		topEntry = h.s.get(key, top.ns, top.name)
	} else if top.kind == "Pod" {
		topEntry = h.s.get(collect.Pods, top.ns, top.name)
	}
	h.add(topEntry)
	if ended && topEntry != nil {
		h.inUnit[topEntry] = true
	}
	queue, next := append(h.queue[:0], top), h.next[:0]
	for depth := 0; depth < 4 && len(queue) > 0; depth++ {
		next = next[:0]
		for _, ref := range queue {
			for child := range h.s.children[ref] {
				h.add(child)
				if ended {
					h.inUnit[child] = true
				}
				next = append(next, objRef{child.ns, child.t.Kind, child.name})
			}
		}
		queue, next = next, queue
	}
	h.queue, h.next = queue, next
	h.add(h.s.get(collect.Namespaces, "", e.ns))
}

// selectedByPolicies adds the workloads selected by the namespace's
// workload-level PeerAuthentications that select e: conflicts between
// such policies are noted per set of policies, whichever workload
// matches them.
func (h *hood) selectedByPolicies(e *entry) {
	for _, pa := range h.s.objects[collect.PeerAuthentications][e.ns] {
		sel := pa.selector
		if len(sel) == 0 || !subsetOf(sel, e.labels) {
			continue
		}
		h.s.selected(e.ns, sel, h.unit)
	}
}

// selectingServices adds the Services of e's namespace that select it.
func (h *hood) selectingServices(e *entry) {
	for _, svc := range h.s.objects[collect.Services][e.ns] {
		sel := svc.selector
		if len(sel) > 0 && subsetOf(sel, e.labels) {
			h.add(svc)
		}
	}
}

// backends adds the workloads of a namespace a selector selects.
func (h *hood) backends(ns string, sel map[string]string) {
	if len(sel) == 0 {
		return
	}
	h.s.selected(ns, sel, h.unit)
}

// followWhole makes close follow a Service's workloads and policies in a
// namespace added whole too, for the test holding that this adds nothing.
var followWhole = false

// close follows the relations of what was added until nothing new comes:
// every Service brings the rules and entries for its host and the
// workloads it selects; every rule or entry the Services its hosts name
// and the other rules for them; every namespace of an object its
// Namespace.
func (h *hood) close() {
	for i := 0; i < len(h.list); i++ {
		e := h.list[i]
		switch e.t.Key {
		case collect.Services:
			if !h.services[e] {
				h.services[e] = true
				if !h.namespaces[e.ns] || followWhole {
					// A namespace added whole holds these already, of
					// the types read or related: the pods a Service
					// selects, their owners and what those own are all
					// in the Service's namespace.
					h.backends(e.ns, e.selector)
					h.addType(collect.PeerAuthentications, e.ns)
				}
				h.hosts([]string{e.name + "." + e.ns + ".svc." + h.s.domain})
			}
		case collect.PersistentVolumeClaims:
			if !h.storage[e] {
				h.storage[e] = true
				h.claim(e)
			}
		case collect.PersistentVolumes:
			if !h.storage[e] {
				h.storage[e] = true
				h.volume(e)
				if h.reads[collect.Nodes] {
					h.nodes([]collect.Object{e.obj})
				}
			}
		case collect.DestinationRules, collect.ServiceEntries:
			var exact []string
			for _, host := range e.hosts {
				if isWildcard(host) {
					// A pattern may match Services all over the cluster;
					// its facts (how many Services, whether any is in the
					// mesh) are then only partly known here.
					h.truncated[objRef{e.ns, e.t.Kind, e.name}] = true
				} else {
					exact = append(exact, host)
				}
			}
			h.hosts(exact)
		}
		if e.ns != "" {
			h.add(h.s.get(collect.Namespaces, "", e.ns))
		}
	}
}
