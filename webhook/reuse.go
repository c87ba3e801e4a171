package webhook

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/tilsyn/tilsyn/collect"
)

// What judgements reuse: results without a change (by the exact objects
// they came from), verdicts of changes judged again in the same state,
// and nothing at all for updates that change nothing the controls read.

// beforeKey identifies the result without the change: the control set,
// the exact objects (by sequence number), the scope and the time. An old
// version not known by uid and resourceVersion is not cached.
func beforeKey(typeKey string, entries []*entry, old collect.Object, scopeGen, covGen uint64, now time.Time, global bool, gen uint64) string {
	oldID := ""
	if old != nil {
		rv := collect.Str(old, "metadata", "resourceVersion")
		uid := collect.Str(old, "metadata", "uid")
		if rv == "" || uid == "" {
			return ""
		}
		oldID = uid + "/" + rv
	}
	if global {
		// The whole state: known by its change count.
		return "global|" + typeKey + "|" + oldID + "|" + strconv.FormatUint(gen, 10) + "|" + now.Format(time.RFC3339)
	}
	seqs := make([]uint64, len(entries))
	for i, e := range entries {
		seqs[i] = e.seq
	}
	slices.Sort(seqs)
	h := fnv.New128a()
	var b [8]byte
	for _, q := range seqs {
		binary.LittleEndian.PutUint64(b[:], q)
		h.Write(b[:])
	}
	return typeKey + "|" + oldID + "|" + strconv.FormatUint(scopeGen, 10) + "|" + strconv.FormatUint(covGen, 10) + "|" + now.Format(time.RFC3339) + "|" +
		strconv.Itoa(len(seqs)) + "|" + string(h.Sum(nil))
}

// repeat is a verdict kept for the same change in the same state: API
// servers and controllers send the same change again (retries, a dry run
// before the real request, an apply that changes nothing).
type repeat struct {
	findings  []Introduced
	truncated map[objRef]bool
}

// repeatKey identifies a verdict: the result without the change it was
// compared with (beforeKey: the controls, the exact objects around the
// change, the scope, the coverage and the time) and the exact new version
// of the changed object, by the SHA-256 of its JSON (map keys sorted).
// Everything the evaluation with the change reads is one of these.
func repeatKey(p *plan, new collect.Object) (string, error) {
	h := sha256.New()
	if new != nil {
		if err := json.NewEncoder(h).Encode(new); err != nil {
			return "", fmt.Errorf("the changed object: %w", err)
		}
	}
	return p.key + "|" + strconv.FormatBool(p.global) + "|" + string(h.Sum(nil)), nil
}

// sameToFacts reports whether two versions of an object differ at most in
// what no fact tilsyn derives in Go reads: metadata.resourceVersion,
// metadata.generation, metadata.managedFields, the last-applied
// annotation and status.
func sameToFacts(a, b collect.Object) bool {
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
