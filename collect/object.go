package collect

import (
	"encoding/json"
	"strconv"
	"strings"
)

// ObjectMeta is the part of an object's metadata tilsyn reads often.
type ObjectMeta struct {
	Name              string
	Namespace         string
	UID               string
	CreationTimestamp string
	Labels            map[string]string
	Annotations       map[string]string
}

// Meta extracts the common metadata of an object.
func Meta(o Object) ObjectMeta {
	md, _ := o["metadata"].(map[string]any)
	return ObjectMeta{
		Name:              Str(md, "name"),
		Namespace:         Str(md, "namespace"),
		UID:               Str(md, "uid"),
		CreationTimestamp: Str(md, "creationTimestamp"),
		Labels:            StringMap(md, "labels"),
		Annotations:       StringMap(md, "annotations"),
	}
}

// NamespaceName returns metadata.namespace and metadata.name; unlike Meta it
// copies nothing, for loops over many objects.
func NamespaceName(o Object) (namespace, name string) {
	md, _ := o["metadata"].(map[string]any)
	namespace, _ = md["namespace"].(string)
	name, _ = md["name"].(string)
	return namespace, name
}

// Str returns the string at path (nested keys) or "".
func Str(o map[string]any, path ...string) string {
	s, _ := Get(o, path...).(string)
	return s
}

// Map returns the object at path or nil.
func Map(o map[string]any, path ...string) map[string]any {
	m, _ := Get(o, path...).(map[string]any)
	return m
}

// List returns the list at path or nil.
func List(o map[string]any, path ...string) []any {
	l, _ := Get(o, path...).([]any)
	return l
}

// Bool returns the boolean at path, false when absent.
func Bool(o map[string]any, path ...string) bool {
	b, _ := Get(o, path...).(bool)
	return b
}

// Int returns the integer at path. Numbers come from JSON decoding with
// UseNumber; strings holding integers (YAML map keys, for instance) are
// accepted too.
func Int(o map[string]any, path ...string) (int64, bool) {
	return ToInt(Get(o, path...))
}

// ToInt converts a decoded JSON number (or a numeric string) to int64.
func ToInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), n == float64(int64(n))
	case int64:
		return n, true
	case int:
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// Get walks nested maps along path and returns the value found, or nil.
func Get(o map[string]any, path ...string) any {
	var cur any = o
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// StringMap returns the map of strings at path (labels, annotations,
// matchLabels); non-string values are skipped.
func StringMap(o map[string]any, path ...string) map[string]string {
	m := Map(o, path...)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
