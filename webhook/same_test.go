package webhook

import (
	"reflect"
	"testing"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/synth"
	"github.com/tilsyn/tilsyn/mesh"
)

// TestSameVersions holds sameToFacts and mesh.SameController, which
// compare two versions of an object in place, to their definitions:
// reflect.DeepEqual of copies without what each leaves out. Every pair of
// versions of a synthetic cluster's objects is compared, with the
// versions where that matters: status, resourceVersion, labels, the
// last-applied annotation (alone or not, added, changed), metadata
// missing or not an object, the spec.
func TestSameVersions(t *testing.T) {
	snap := synthCluster(t, synth.Scaled(0.005))
	pairs := 0
	for _, key := range []string{collect.Deployments, collect.Pods, collect.Services, collect.DestinationRules} {
		objs := snap.Resources[key]
		if len(objs) == 0 {
			t.Fatalf("no %s in the synthetic cluster", key)
		}
		vs := versions(objs[0])
		for i, a := range vs {
			for j, b := range vs {
				if got, want := sameToFacts(a, b), sameToFactsDefinition(a, b); got != want {
					t.Errorf("%s: sameToFacts(version %d, version %d) = %v, want %v", key, i, j, got, want)
				}
				if got, want := mesh.SameController(a, b), sameControllerDefinition(a, b); got != want {
					t.Errorf("%s: SameController(version %d, version %d) = %v, want %v", key, i, j, got, want)
				}
				pairs++
			}
		}
	}
	t.Logf("%d pairs", pairs)
}

// versions returns o and changed copies of it.
func versions(o collect.Object) []collect.Object {
	out := []collect.Object{o, deepCopy(o)}
	mut := func(f func(c collect.Object, md map[string]any)) {
		c := deepCopy(o)
		md, _ := c["metadata"].(map[string]any)
		f(c, md)
		out = append(out, c)
	}
	annotate := func(md map[string]any, kv ...string) {
		ann, _ := md["annotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
		}
		for i := 0; i < len(kv); i += 2 {
			ann[kv[i]] = kv[i+1]
		}
		md["annotations"] = ann
	}
	mut(func(c collect.Object, _ map[string]any) { c["status"] = map[string]any{"phase": "Running"} })
	mut(func(c collect.Object, _ map[string]any) { delete(c, "status") })
	mut(func(_ collect.Object, md map[string]any) { md["resourceVersion"] = "999"; md["generation"] = "7" })
	mut(func(_ collect.Object, md map[string]any) { md["managedFields"] = []any{map[string]any{"manager": "x"}} })
	mut(func(_ collect.Object, md map[string]any) { md["labels"] = map[string]any{"changed": "yes"} })
	mut(func(_ collect.Object, md map[string]any) { delete(md, "labels") })
	mut(func(_ collect.Object, md map[string]any) { annotate(md, collect.LastAppliedAnnotation, "{}") })
	mut(func(_ collect.Object, md map[string]any) { annotate(md, collect.LastAppliedAnnotation, `{"a":1}`) })
	mut(func(_ collect.Object, md map[string]any) {
		annotate(md, collect.LastAppliedAnnotation, "{}", "other", "x")
	})
	mut(func(_ collect.Object, md map[string]any) { annotate(md, "other", "x") })
	mut(func(_ collect.Object, md map[string]any) {
		md["annotations"] = map[string]any{collect.LastAppliedAnnotation: "{}"}
	})
	mut(func(_ collect.Object, md map[string]any) { md["annotations"] = map[string]any{} })
	mut(func(_ collect.Object, md map[string]any) { md["annotations"] = "not an object" })
	mut(func(_ collect.Object, md map[string]any) { delete(md, "annotations") })
	mut(func(_ collect.Object, md map[string]any) { md["annotations"] = nil })
	mut(func(c collect.Object, _ map[string]any) {
		c["metadata"] = map[string]any{"labels": map[string]any{"a": "b"}}
	})
	mut(func(c collect.Object, _ map[string]any) { c["metadata"] = map[string]any{"resourceVersion": "1"} })
	mut(func(c collect.Object, _ map[string]any) { c["metadata"] = map[string]any{} })
	mut(func(c collect.Object, _ map[string]any) { delete(c, "metadata") })
	mut(func(c collect.Object, _ map[string]any) { c["metadata"] = "not an object" })
	mut(func(c collect.Object, _ map[string]any) { c["metadata"] = map[string]any(nil) })
	mut(func(c collect.Object, _ map[string]any) { c["spec"] = map[string]any{"changed": true} })
	mut(func(c collect.Object, _ map[string]any) { c["extra"] = []any{} })
	return out
}

// sameToFactsDefinition is what sameToFacts says, as copies compared.
func sameToFactsDefinition(a, b collect.Object) bool {
	strip := func(o collect.Object) collect.Object {
		out := make(collect.Object, len(o))
		for k, v := range o {
			if k != "status" {
				out[k] = v
			}
		}
		md, _ := o["metadata"].(map[string]any)
		if md == nil {
			return out
		}
		m := make(map[string]any, len(md))
		for k, v := range md {
			switch k {
			case "resourceVersion", "generation", "managedFields":
			case "annotations":
				ann, _ := v.(map[string]any)
				if _, ok := ann[collect.LastAppliedAnnotation]; ok {
					rest := make(map[string]any, len(ann))
					for ak, av := range ann {
						if ak != collect.LastAppliedAnnotation {
							rest[ak] = av
						}
					}
					v = rest
				}
				m[k] = v
			default:
				m[k] = v
			}
		}
		out["metadata"] = m
		return out
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// sameControllerDefinition is what mesh.SameController says, as copies
// compared.
func sameControllerDefinition(a, b collect.Object) bool {
	except := func(m map[string]any, keys ...string) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		for _, k := range keys {
			delete(out, k)
		}
		return out
	}
	view := func(o collect.Object) collect.Object {
		out := except(o, "status")
		md, _ := o["metadata"].(map[string]any)
		out["metadata"] = except(md, "labels", "annotations", "resourceVersion", "generation", "managedFields")
		return out
	}
	return reflect.DeepEqual(view(a), view(b))
}
