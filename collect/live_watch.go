package collect

import (
	"encoding/json"
	"fmt"
	"strconv"

	"k8s.io/client-go/discovery"
)

// ServedType is a registered type as a cluster serves it: the version to
// read it at, or (with no version) why it cannot be read.
type ServedType struct {
	Type    ResourceType
	Version string
	Status  CoverageStatus // Absent or Failed when Version is empty
	Reason  string
}

// APIVersion is the apiVersion of objects read at the served version.
func (s ServedType) APIVersion() string {
	return served{t: s.Type, version: s.Version}.apiVersion()
}

// ServedTypes asks discovery at which version the cluster serves each
// registered type, as a live collection does.
func ServedTypes(dc discovery.DiscoveryInterface) ([]ServedType, error) {
	ss, err := resolveServed(dc)
	if err != nil {
		return nil, err
	}
	out := make([]ServedType, len(ss))
	for i, s := range ss {
		out[i] = ServedType{Type: s.t, Version: s.version, Status: s.status, Reason: s.reason}
	}
	return out, nil
}

// LiveObject turns an object as client-go's dynamic and metadata clients
// decode it (integers as int64, other numbers as float64) into the form a
// live collection keeps: numbers as json.Number with the text the API
// server wrote, apiVersion and kind stamped, sanitized. Watches and lists
// then give identical objects.
func LiveObject(o map[string]any, s ServedType) (Object, error) {
	v, err := numbers(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Type.Key, err)
	}
	out := v.(map[string]any)
	out["apiVersion"], out["kind"] = s.APIVersion(), s.Type.Kind
	return Sanitize(out, s.Type), nil
}

// numbers copies a decoded value, writing numbers as json.Number. The API
// server encodes numbers with encoding/json, so marshalling them again
// gives the text it sent.
func numbers(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := numbers(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := numbers(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case int:
		return json.Number(strconv.Itoa(x)), nil
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case float64:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return json.Number(b), nil
	}
	return v, nil
}
