package mesh

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAppendCanonical: two decoded JSON values are written alike exactly
// when encoding/json writes them alike (map keys sorted), whatever Go
// type holds their numbers.
func TestAppendCanonical(t *testing.T) {
	values := []any{
		nil, true, false, "", "true", "1", "a", "ab", "b",
		json.Number("1"), json.Number("1.0"), float64(1), int64(1), int(2), float64(2.5), json.Number("2.5"),
		[]any{}, []any{"ab"}, []any{"a", "b"}, []any{nil}, []any{[]any{}},
		map[string]any{}, map[string]any{"a": nil}, map[string]any{"a": "b", "c": "d"},
		map[string]any{"a": `b","c":"d`}, map[string]any{"ab": "c"}, map[string]any{"a": "bc"},
		map[string]any{"a": []any{"b"}}, map[string]any{"a": map[string]any{}},
		map[string]any{"c": "d", "a": "b"}, map[string]any{"n": json.Number("3")}, map[string]any{"n": int64(3)},
		map[string]string{"a": "b"},
	}
	for i, a := range values {
		for j, b := range values {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			ca, oka := appendCanonical(nil, a)
			cb, okb := appendCanonical(nil, b)
			if !oka || !okb {
				t.Fatalf("values %d or %d not written", i, j)
			}
			_, typedA := a.(map[string]string)
			_, typedB := b.(map[string]string)
			if typedA != typedB {
				// Not what decoding JSON yields: written apart from the
				// maps it does yield, even with the same text.
				if bytes.Equal(ca, cb) {
					t.Errorf("%#v and %#v written alike", a, b)
				}
				continue
			}
			if same := bytes.Equal(ca, cb); same != bytes.Equal(ja, jb) {
				t.Errorf("%s and %s: written alike %v, JSON alike %v", ja, jb, same, !same)
			}
		}
	}
	if _, ok := appendCanonical(nil, map[string]any{"c": make(chan int)}); ok {
		t.Error("a value JSON cannot write was written")
	}
}

// TestMemberKey: pods the same but for their name, uid, creation time,
// version fields, node and status share a key; any other difference, or
// having a uid or not, gives another key; a pod without a controlling
// owner has none.
func TestMemberKey(t *testing.T) {
	pod := func(mutate func(p map[string]any)) map[string]any {
		var p map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(`{"apiVersion":"v1","kind":"Pod",
			"metadata":{"name":"web-1","namespace":"shop","uid":"u1","creationTimestamp":"2026-01-01T00:00:00Z","resourceVersion":"7",
			"labels":{"app":"web"},"ownerReferences":[{"kind":"ReplicaSet","name":"web-5d","controller":true}]},
			"spec":{"nodeName":"n1","containers":[{"name":"web","image":"web:1","ports":[{"containerPort":8080}]}]},
			"status":{"phase":"Running"}}`)))
		dec.UseNumber()
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	md := func(p map[string]any) map[string]any { return p["metadata"].(map[string]any) }
	base, ok := MemberKey(pod(nil))
	if !ok {
		t.Fatal("no key for a pod with a controller")
	}
	for name, m := range map[string]func(map[string]any){
		"name":    func(p map[string]any) { md(p)["name"] = "web-2" },
		"uid":     func(p map[string]any) { md(p)["uid"] = "u2" },
		"version": func(p map[string]any) { md(p)["resourceVersion"] = "8"; md(p)["generation"] = json.Number("2") },
		"node":    func(p map[string]any) { p["spec"].(map[string]any)["nodeName"] = "n2" },
		"status":  func(p map[string]any) { delete(p, "status") },
		"port as a float": func(p map[string]any) {
			p["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["ports"].([]any)[0].(map[string]any)["containerPort"] = float64(8080)
		},
	} {
		if k, ok := MemberKey(pod(m)); !ok || k != base {
			t.Errorf("%s changed: another key", name)
		}
	}
	for name, m := range map[string]func(map[string]any){
		"label":  func(p map[string]any) { md(p)["labels"].(map[string]any)["app"] = "api" },
		"no uid": func(p map[string]any) { delete(md(p), "uid") },
		"port": func(p map[string]any) {
			p["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["ports"].([]any)[0].(map[string]any)["containerPort"] = json.Number("8081")
		},
		"annotation": func(p map[string]any) { md(p)["annotations"] = map[string]any{"sidecar.istio.io/inject": "false"} },
	} {
		if k, ok := MemberKey(pod(m)); !ok || k == base {
			t.Errorf("%s changed: the same key", name)
		}
	}
	if _, ok := MemberKey(pod(func(p map[string]any) { delete(md(p), "ownerReferences") })); ok {
		t.Error("a key for a pod without a controller")
	}
}
