package evaluate

import (
	"encoding/json"
	"strconv"
)

// decodeFindings converts a control's findings, as Rego returns them (a
// set or array of objects), to Go. Findings of the usual shape are read
// directly, with what encoding/json would make of them (numbers as
// float64); anything else goes through encoding/json, whose errors name
// the problem.
func decodeFindings(v any, out *[]Finding) error {
	if fs, ok := findingsOf(v); ok {
		*out = fs
		return nil
	}
	return decodeInto(v, out)
}

// findingsOf reads findings whose keys are exactly the fields' names and
// whose values have the fields' types; ok is false for anything else.
func findingsOf(v any) ([]Finding, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]Finding, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		f := &out[i]
		for k, val := range m {
			switch k {
			case "resource":
				r, ok := val.(map[string]any)
				if !ok {
					return nil, false
				}
				for rk, rv := range r {
					s, ok := rv.(string)
					if !ok {
						return nil, false
					}
					switch rk {
					case "kind":
						f.Resource.Kind = s
					case "namespace":
						f.Resource.Namespace = s
					case "name":
						f.Resource.Name = s
					default:
						return nil, false
					}
				}
			case "message", "field", "severity", "remediation":
				s, ok := val.(string)
				if !ok {
					return nil, false
				}
				switch k {
				case "message":
					f.Message = s
				case "field":
					f.Field = s
				case "severity":
					f.Severity = s
				default:
					f.Remediation = s
				}
			case "value":
				if f.Value, ok = plainJSON(val); !ok {
					return nil, false
				}
			default:
				return nil, false
			}
		}
	}
	return out, true
}

// plainJSON returns a JSON value as encoding/json decodes it into an any:
// numbers as float64, objects and arrays converted throughout.
func plainJSON(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var ok bool
			if out[i], ok = plainJSON(e); !ok {
				return nil, false
			}
		}
		return out, true
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var ok bool
			if out[k], ok = plainJSON(e); !ok {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}
