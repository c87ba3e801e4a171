package mesh

import (
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

// SameMember reports whether two pods of one controller are the same
// member of their workload to the resolver: they differ at most in their
// name, uid (not in having one), creation time, resourceVersion,
// generation, managedFields, spec.nodeName and status. A pod without a
// controlling owner is a workload of its own, named after it: never the
// same member as another. The workload's own facts (its reference,
// placement and sysctls) come from its controller's template when the
// controller is in the snapshot, and from its first pod otherwise: a
// caller adding a pod must know the controller is there.
func SameMember(a, b collect.Object) bool {
	if _, ok := controllerOwner(a, ""); !ok {
		return false
	}
	return reflect.DeepEqual(memberView(a), memberView(b))
}

func memberView(o collect.Object) collect.Object {
	out := without(o, "status")
	md, _ := o["metadata"].(map[string]any)
	m := without(md, "name", "uid", "creationTimestamp", "resourceVersion", "generation", "managedFields")
	m["uid"] = collect.Str(md, "uid") != ""
	out["metadata"] = m
	if spec, ok := o["spec"].(map[string]any); ok {
		out["spec"] = without(spec, "nodeName")
	}
	return out
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
