package collect

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// equalValues are values as objects hold them, with the cases where
// reflect.DeepEqual is particular: nil against empty, numbers of other
// types, NaN, the same map or list twice.
func equalValues() []any {
	same := map[string]any{"x": math.NaN()}
	list := []any{math.NaN()}
	return []any{
		nil, "", "a", "1", json.Number("1"), json.Number("1.0"), float64(1), int64(1), int(1), true, false,
		math.NaN(), same, same, list, list,
		map[string]any(nil), map[string]any{}, map[string]any{"a": nil}, map[string]any{"a": "b"},
		map[string]any{"a": "b", "c": "d"}, map[string]any{"a": json.Number("1")}, map[string]any{"a": float64(1)},
		map[string]any{"a": map[string]any{}}, map[string]any{"a": map[string]any(nil)}, map[string]any{"b": "b"},
		[]any(nil), []any{}, []any{nil}, []any{"a"}, []any{"a", "b"}, []any{"b", "a"}, []any{[]any{}}, []any{map[string]any{}},
		map[string]string{"a": "b"}, []string{"a"},
	}
}

func TestEqual(t *testing.T) {
	vals := equalValues()
	for i, a := range vals {
		for j, b := range vals {
			if got, want := Equal(a, b), reflect.DeepEqual(a, b); got != want {
				t.Errorf("Equal(%#v, %#v) [%d, %d] = %v, reflect.DeepEqual says %v", a, b, i, j, got, want)
			}
		}
	}
}

func TestEqualExcept(t *testing.T) {
	a := map[string]any{"keep": "x", "status": "a"}
	b := map[string]any{"keep": "x", "status": "b"}
	c := map[string]any{"keep": "x"}
	status := func(k string) bool { return k == "status" }
	for _, tc := range []struct {
		a, b map[string]any
		want bool
	}{
		{a, b, true}, {a, c, true}, {c, b, true}, {a, map[string]any{"keep": "y", "status": "a"}, false},
		{a, map[string]any{"status": "a"}, false}, {map[string]any{"status": "a"}, map[string]any{}, true},
		{nil, map[string]any{}, false}, {nil, nil, true},
	} {
		if got := EqualExcept(tc.a, tc.b, status); got != tc.want {
			t.Errorf("EqualExcept(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzEqual holds Equal to reflect.DeepEqual on any two JSON documents,
// decoded as objects are.
func FuzzEqual(f *testing.F) {
	f.Add(`{"a":[1,2,{"b":null}]}`, `{"a":[1,2,{"b":null}]}`)
	f.Add(`{"a":1}`, `{"a":1.0}`)
	f.Add(`[]`, `{}`)
	f.Add(`{"a":{}}`, `{"a":[]}`)
	f.Fuzz(func(t *testing.T, x, y string) {
		decode := func(s string) (any, bool) {
			d := json.NewDecoder(strings.NewReader(s))
			d.UseNumber()
			var v any
			return v, d.Decode(&v) == nil
		}
		a, ok := decode(x)
		b, ok2 := decode(y)
		if !ok || !ok2 {
			return
		}
		if got, want := Equal(a, b), reflect.DeepEqual(a, b); got != want {
			t.Errorf("Equal(%s, %s) = %v, reflect.DeepEqual says %v", x, y, got, want)
		}
		if !Equal(a, a) {
			t.Errorf("Equal(%s, itself) = false", x)
		}
	})
}
