package mesh

import (
	"reflect"
	"sync"
	"unsafe"
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
