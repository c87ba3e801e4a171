package webhook

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/tilsyn/tilsyn/collect"
)

func servedType(t *testing.T, key, version string) collect.ServedType {
	t.Helper()
	rt, ok := collect.TypeByKey(key)
	if !ok {
		t.Fatalf("no registered type %s", key)
	}
	return collect.ServedType{Type: rt, Version: version}
}

// keepOne is the informer's transform of one object, which must be kept.
func keepOne(t *testing.T, st collect.ServedType, obj any) *kept {
	t.Helper()
	out, err := keep(st)(obj)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := out.(*kept)
	if !ok {
		t.Fatalf("transform gave %T, want *kept", out)
	}
	return k
}

// The informer's store and the state share one object in the state's form.
func TestKeepSharesTheStatesObject(t *testing.T) {
	st := servedType(t, collect.Services, "v1")
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{
			"name": "api", "namespace": "shop",
			"managedFields": []any{map[string]any{"manager": "kubectl"}},
			"annotations": map[string]any{
				collect.LastAppliedAnnotation: `{"kind":"Service"}`,
				"team":                        "payments",
			},
		},
		"spec": map[string]any{"ports": []any{map[string]any{"port": int64(8080)}}},
	}}
	k := keepOne(t, st, in)
	out := any(k)
	want := map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{
			"name": "api", "namespace": "shop",
			"annotations": map[string]any{"team": "payments"},
		},
		"spec": map[string]any{"ports": []any{map[string]any{"port": json.Number("8080")}}},
	}
	if diff := cmp.Diff(want, k.Object); diff != "" {
		t.Errorf("kept object (-want +got):\n%s", diff)
	}
	if k.GetNamespace() != "shop" || k.GetName() != "api" {
		t.Errorf("informer key from kept object: %s/%s", k.GetNamespace(), k.GetName())
	}

	again, err := keep(st)(out)
	if err != nil || again != out {
		t.Errorf("transform of a kept object gave %p, %v; want the same %p", again, err, out)
	}
	o, err := objectOf(out, st)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(o).UnsafePointer() != reflect.ValueOf(k.Object).UnsafePointer() {
		t.Error("the state was given a copy of the kept object, not the object itself")
	}
}

func TestKeepSecretsAsMetadata(t *testing.T) {
	st := servedType(t, collect.Secrets, "v1")
	in := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", Labels: map[string]string{"app": "db"}}}
	k := keepOne(t, st, in)
	if got := collect.Meta(k.Object); got.Name != "db" || got.Namespace != "shop" || got.Labels["app"] != "db" {
		t.Errorf("kept Secret metadata: %+v", got)
	}
	if _, ok := k.Object["data"]; ok {
		t.Error("kept Secret has data")
	}
}

// An object that cannot be read is stored as it came; the event handler
// then logs it.
func TestKeepLeavesAnUnreadableObject(t *testing.T) {
	st := servedType(t, collect.Services, "v1")
	var unexpected struct{ metav1.ObjectMeta }
	out, err := keep(st)(&unexpected)
	if err != nil || out != any(&unexpected) {
		t.Errorf("transform gave %T, %v; want the object as it came", out, err)
	}
}
