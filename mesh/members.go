package mesh

import (
	"crypto/sha256"
	"encoding/json"
	"reflect"

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
	// encoding/json writes map keys sorted: equal views, equal text. It
	// is hashed as it is written.
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(out); err != nil {
		return "", false
	}
	return string(h.Sum(nil)), true
}

// SameController reports whether two versions of a controller differ at
// most in what the resolver does not read of it: its own labels and
// annotations (not its pod template's), resourceVersion, generation,
// managedFields and status.
func SameController(a, b collect.Object) bool {
	view := func(o collect.Object) collect.Object {
		out := without(o, "status")
		md, _ := o["metadata"].(map[string]any)
		out["metadata"] = without(md, "labels", "annotations", "resourceVersion", "generation", "managedFields")
		return out
	}
	return reflect.DeepEqual(view(a), view(b))
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
