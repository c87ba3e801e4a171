package mesh

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"sync"

	"github.com/tilsyn/tilsyn/collect"
)

// What the resolver does not read of pods and controllers, for callers
// that must know whether a change can alter the workloads derived from
// them (the admission webhook skips evaluating what cannot).
//
// Of a pod that belongs to a controller, the resolver reads its
// namespace, labels, annotations, owner references, whether it has a uid,
// and its spec (hostNetwork, containers, ports): see workloadsOf and
// podMember. Its name, the uid itself, its creation time, version fields,
// the node it was scheduled to and its status are read by nothing: two
// such pods are the same member of their workload, and every aggregate
// over members (the weakest dataplane, the union of ports, the weakest
// mode per port, the first member's labels) is the same with one of them
// or both.
//
// Of a controller, the resolver reads its namespace, name, owner
// references and pod template, never its own labels or annotations.

// MemberKey returns a key two pods of one controller share exactly when
// they are the same member of their workload to the resolver: when they
// differ at most in their name, uid (not in having one), creation time,
// resourceVersion, generation, managedFields, spec.nodeName and status.
// A pod without a controlling owner is a workload of its own, named after
// it, never the same member as another: it has no key. The workload's own
// facts (its reference, placement and sysctls) come from its controller's
// template when the controller is in the snapshot, and from its first pod
// otherwise: a caller adding or leaving out a pod for another of the same
// key must know the controllers are there.
func MemberKey(pod collect.Object) (string, bool) {
	if _, ok := controllerOwner(pod, ""); !ok {
		return "", false
	}
	out := without(pod, "status")
	md, _ := pod["metadata"].(map[string]any)
	m := without(md, "name", "uid", "creationTimestamp", "resourceVersion", "generation", "managedFields")
	m["uid"] = collect.Str(md, "uid") != ""
	out["metadata"] = m
	if spec, ok := pod["spec"].(map[string]any); ok {
		out["spec"] = without(spec, "nodeName")
	}
	buf := canonicalBuffers.Get().(*[]byte)
	defer canonicalBuffers.Put(buf)
	var ok bool
	if *buf, ok = appendCanonical((*buf)[:0], out); !ok {
		return "", false
	}
	sum := sha256.Sum256(*buf)
	return string(sum[:]), true
}

var canonicalBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendCanonical appends a decoded JSON value in a form two values share
// only when their JSON texts, map keys sorted, are the same: every value
// tagged with its type, strings, lists and maps with their length, map
// keys sorted, numbers as JSON writes them. Values of other types than
// decoding JSON yields are appended as their JSON text, under a tag of
// their own. It fails on a value JSON cannot write.
func appendCanonical(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, 'z'), true
	case bool:
		if x {
			return append(b, 't'), true
		}
		return append(b, 'f'), true
	case string:
		return append(appendLen(append(b, 's'), len(x)), x...), true
	case json.Number:
		return append(appendLen(append(b, 'n'), len(x)), x...), true
	case []any:
		b = appendLen(append(b, 'a'), len(x))
		for _, e := range x {
			var ok bool
			if b, ok = appendCanonical(b, e); !ok {
				return b, false
			}
		}
		return b, true
	case map[string]any:
		b = appendLen(append(b, 'm'), len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			var ok bool
			if b, ok = appendCanonical(append(appendLen(b, len(k)), k...), x[k]); !ok {
				return b, false
			}
		}
		return b, true
	}
	js, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	tag := byte('j')
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		tag = 'n' // the same text as a json.Number of it
	}
	return append(appendLen(append(b, tag), len(js)), js...), true
}

func appendLen(b []byte, n int) []byte { return binary.AppendUvarint(b, uint64(n)) }

// SameController reports whether two versions of a controller differ at
// most in what the resolver does not read of it: its own labels and
// annotations (not its pod template's), resourceVersion, generation,
// managedFields and status.
func SameController(a, b collect.Object) bool {
	if !collect.EqualExcept(orEmpty(a), orEmpty(b), func(k string) bool { return k == "status" || k == "metadata" }) {
		return false
	}
	ma, _ := a["metadata"].(map[string]any)
	mb, _ := b["metadata"].(map[string]any)
	return collect.EqualExcept(orEmpty(ma), orEmpty(mb), func(k string) bool {
		switch k {
		case "labels", "annotations", "resourceVersion", "generation", "managedFields":
			return true
		}
		return false
	})
}

// emptyObject stands for a map that is not there; never modified.
var emptyObject = map[string]any{}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return emptyObject
	}
	return m
}

// without returns a shallow copy of m without some keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
outer:
	for k, v := range m {
		for _, drop := range keys {
			if k == drop {
				continue outer
			}
		}
		out[k] = v
	}
	return out
}
