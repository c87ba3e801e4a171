package mesh

import (
	"hash/maphash"
	"reflect"
	"sync"
	"unsafe"

	"github.com/tilsyn/tilsyn/collect"
)

// memo remembers the results of a pure function of a string. The
// admission webhook resolves many small snapshots of one cluster, so the
// same mesh config and the same PeerAuthentication and DestinationRule
// specs would otherwise be decoded with Istio's types over and over.
// Results are shared and never modified by their users. The memo is
// bounded: it is emptied when full.
type memo[V any] struct {
	mu  sync.Mutex
	max int
	m   map[string]memoEntry[V]
}

type memoEntry[V any] struct {
	v   V
	err error
}

func newMemo[V any](max int) *memo[V] { return &memo[V]{max: max, m: map[string]memoEntry[V]{}} }

// get returns f(key), computed once while remembered.
func (m *memo[V]) get(key string, f func(string) (V, error)) (V, error) {
	m.mu.Lock()
	e, ok := m.m[key]
	m.mu.Unlock()
	if ok {
		return e.v, e.err
	}
	v, err := f(key)
	m.mu.Lock()
	if len(m.m) >= m.max {
		clear(m.m)
	}
	m.m[key] = memoEntry[V]{v, err}
	m.mu.Unlock()
	return v, err
}

// identityMemo remembers results by the identity of the map they were
// computed from, for callers that never modify a map once resolved
// (ResolveShared). Each entry keeps its map, so that the address is not
// reused while remembered. It is emptied when full.
type identityMemo[V any] struct {
	mu  sync.Mutex
	max int
	m   map[unsafe.Pointer]identityEntry[V]
}

type identityEntry[V any] struct {
	keep map[string]any
	v    V
}

func newIdentityMemo[V any](max int) *identityMemo[V] {
	return &identityMemo[V]{max: max, m: map[unsafe.Pointer]identityEntry[V]{}}
}

// get returns f() for raw, computed once while remembered; errors are not
// remembered.
func (m *identityMemo[V]) get(raw map[string]any, f func() (V, error)) (V, error) {
	key := reflect.ValueOf(raw).UnsafePointer()
	m.mu.Lock()
	e, ok := m.m[key]
	m.mu.Unlock()
	if ok {
		return e.v, nil
	}
	v, err := f()
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	if len(m.m) >= m.max {
		clear(m.m)
	}
	m.m[key] = identityEntry[V]{raw, v}
	m.mu.Unlock()
	return v, nil
}

// sharing says what of a snapshot ResolveShared may remember by identity:
// every object but the one passing through, seen this once (a change under
// review). Its identity never comes again, so remembering anything by it
// would only keep it, and what it holds, alive until the memo is emptied.
// A nil sharing remembers nothing (Resolve).
type sharing struct{ passing unsafe.Pointer }

// keeps reports whether what is decoded from o may be remembered by its
// identity.
func (sh *sharing) keeps(o collect.Object) bool {
	return sh != nil && reflect.ValueOf(o).UnsafePointer() != sh.passing
}

// workloadMemo remembers the workloads of shared snapshots (ResolveShared)
// by the identity of the objects they are derived from: every
// neighbourhood of a change that is not a pod or a controller — a
// PeerAuthentication, a DestinationRule — holds the same pods,
// controllers and namespaces on both sides, and the next change nearby
// the same again. The workloads are shared: never modified.
var workloadMemo = &listMemo[[]*Workload]{max: 1024}

// serviceMemo remembers the Services of shared snapshots in the same way,
// for every change that is not a Service. They are shared: never
// modified.
var serviceMemo = &listMemo[[]service]{max: 1024}

var serviceInputs = []string{collect.Services}

// workloadInputs are the types workloadsOf reads, besides the injector's
// policy.
var workloadInputs = append([]string{collect.Namespaces, collect.Pods}, controllerOrder...)

// listMemo remembers results by the identity of every object of some
// lists of a snapshot, in order. Each entry keeps its lists, so that no
// address is reused while remembered, and is compared object by object
// on a hit. It is emptied when full.
type listMemo[V any] struct {
	mu   sync.Mutex
	max  int
	seed maphash.Seed
	m    map[uint64]listEntry[V]
}

type listEntry[V any] struct {
	tag   string
	lists [][]collect.Object
	v     V
}

// get returns f() for the lists of s of the given types and a tag that
// stands for whatever else f reads, computed once while remembered. Lists
// holding the object passing through are not remembered.
func (m *listMemo[V]) get(s *collect.Snapshot, sh *sharing, types []string, tag string, f func() V) V {
	lists := make([][]collect.Object, len(types))
	m.mu.Lock()
	if m.m == nil {
		m.seed, m.m = maphash.MakeSeed(), map[uint64]listEntry[V]{}
	}
	seed := m.seed
	m.mu.Unlock()
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(tag)
	for i, t := range types {
		lists[i] = s.Resources[t]
		maphash.WriteComparable(&h, len(lists[i]))
		for _, o := range lists[i] {
			p := reflect.ValueOf(o).UnsafePointer()
			if sh != nil && p == sh.passing {
				return f()
			}
			maphash.WriteComparable(&h, p)
		}
	}
	key := h.Sum64()
	m.mu.Lock()
	e, ok := m.m[key]
	m.mu.Unlock()
	if ok && e.tag == tag && sameLists(e.lists, lists) {
		return e.v
	}
	v := f()
	m.mu.Lock()
	if len(m.m) >= m.max {
		clear(m.m)
	}
	m.m[key] = listEntry[V]{tag, lists, v}
	m.mu.Unlock()
	return v
}

// sameLists reports whether a and b hold the same objects in the same
// order.
func sameLists(a, b [][]collect.Object) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if reflect.ValueOf(a[i][j]).UnsafePointer() != reflect.ValueOf(b[i][j]).UnsafePointer() {
				return false
			}
		}
	}
	return true
}
