package collect

import (
	"encoding/json"
	"reflect"
)

// Equal reports whether two values read from JSON or YAML are deeply
// equal, exactly as reflect.DeepEqual says, without the copies and the
// bookkeeping reflection needs for the types objects are made of: maps
// of strings, lists, strings, numbers, booleans and nil. Other types are
// left to reflect.DeepEqual.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && EqualExcept(x, y, nil)
	case []any:
		y, ok := b.([]any)
		if !ok || (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		if len(x) > 0 && &x[0] == &y[0] {
			return true // the same list
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case nil:
		return b == nil
	}
	return reflect.DeepEqual(a, b)
}

// EqualExcept reports whether two maps are Equal but for the keys skip
// reports (none when skip is nil): both nil or both not, and the same
// keys, other than those, mapping to Equal values.
func EqualExcept(a, b map[string]any, skip func(key string) bool) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if skip == nil && len(a) == len(b) && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true // the same map
	}
	n := 0
	for k, v := range a {
		if skip != nil && skip(k) {
			continue
		}
		w, ok := b[k]
		if !ok || !Equal(v, w) {
			return false
		}
		n++
	}
	if skip == nil {
		return n == len(b)
	}
	for k := range b {
		if !skip(k) {
			n--
		}
	}
	return n == 0
}
