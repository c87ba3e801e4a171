package webhook

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/mesh"
)

// What judgements reuse: results without a change (by the exact objects
// they came from), verdicts of changes judged again in the same state,
// and nothing at all for changes that alter nothing the controls read.

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

// minute is the time judgements see: every judgement of one minute sees
// the same, so cached results and fresh ones agree on time-dependent
// findings.
func (j *Judge) minute() time.Time { return j.now().UTC().Truncate(time.Minute) }

// labelWaivers reports whether a waiver usable at now (a minute) selects
// by label, deciding it once a minute.
func (j *Judge) labelWaivers(now time.Time) bool {
	j.byLabelMu.Lock()
	defer j.byLabelMu.Unlock()
	if !j.byLabelAt.Equal(now) {
		j.byLabelAt, j.byLabel = now, j.engine.WaiversSelectByLabel(now)
	}
	return j.byLabel
}

// unchanged reports whether a change (old is nil for a create) alters
// nothing the controls of sub read, so that no evaluation is needed: the
// controls do not read objects of the type themselves, and
//   - the versions differ only in what no fact reads (sameToFacts), or
//   - a controller's versions differ only in its own labels and
//     annotations (mesh.SameController), or
//   - a created pod is the same member of its workload as a pod the state
//     holds (sameMemberExists), or
//   - a created controller is represented by its stored owner and has no
//     pods (ownedLeaf): a Deployment's new ReplicaSet before its pods.
//
// Labels count when a waiver selects by them; then only the first holds.
func (j *Judge) unchanged(sub *evaluate.Subset, t collect.ResourceType, old, new collect.Object) bool {
	if sub.ReadsObjects()[t.Key] {
		return false
	}
	if old != nil && sameToFacts(old, new) {
		return true
	}
	if j.labelWaivers(j.minute()) {
		return false
	}
	switch {
	case old != nil && t.Key != collect.Pods && isWorkload(t.Key):
		return mesh.SameController(old, new)
	case old == nil && t.Key == collect.Pods:
		return j.state.sameMemberExists(new)
	case old == nil && isWorkload(t.Key):
		return j.state.ownedLeaf(t, new)
	}
	return false
}

// ownedLeaf reports whether a controller to be created changes no
// workload. It has a controlling owner, stored with every controller above
// it, so the resolver represents it by that owner and derives nothing from
// its own template; and nothing the state holds names it as its
// controller, so no pod's workload moves to it. An object of that name
// must not be stored already: it would be replaced, not added.
func (s *State) ownedLeaf(t collect.ResourceType, obj collect.Object) bool {
	ns, name := collect.NamespaceName(obj)
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.addedUnderOwnerLocked(t, obj)
	return ok && len(s.children[objRef{ns, t.Kind, name}]) == 0
}

var podType, _ = collect.TypeByKey(collect.Pods)

// addedUnderOwnerLocked returns the controlling owner of an object to be
// created, when it has one stored with every controller above it, and no
// object of its name is stored (it would be replaced, not added). The
// caller holds s.mu.
func (s *State) addedUnderOwnerLocked(t collect.ResourceType, obj collect.Object) (objRef, bool) {
	ns, name := collect.NamespaceName(obj)
	owner, ok := controllerOwner(obj, ns)
	if !ok || s.get(t.Key, ns, name) != nil || !s.ownersStored(owner) {
		return objRef{}, false
	}
	return owner, true
}

// sameMemberExists reports whether the state holds a pod that is the same
// member of its workload as a pod to be created (mesh.MemberKey), and
// every controller up to the workload's top (so that the workload's facts
// come from its template, whatever pods it has). A pod of that name must
// not be stored already: it would be replaced, not added.
func (s *State) sameMemberExists(pod collect.Object) bool {
	key, ok := mesh.MemberKey(pod) // none without a controlling owner
	if !ok {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	owner, ok := s.addedUnderOwnerLocked(podType, pod)
	if !ok {
		return false
	}
	for sibling := range s.children[owner] {
		if sibling.t.Key == collect.Pods && sibling.member == key {
			return true
		}
	}
	return false
}

// ownersStored reports whether a controller and every controller above it
// (as many levels as the mesh resolver follows) are stored. The caller
// holds s.mu.
func (s *State) ownersStored(owner objRef) bool {
	for ref, depth := owner, 0; ref != (objRef{}); depth++ {
		up := s.get(kindKeys[ref.kind], ref.ns, ref.name)
		if up == nil || depth == 4 {
			return false
		}
		ref = up.owner
	}
	return true
}

// sameToFacts reports whether two versions of an object differ at most in
// what no fact tilsyn derives in Go reads: metadata.resourceVersion,
// metadata.generation, metadata.managedFields, the last-applied
// annotation and status.
func sameToFacts(a, b collect.Object) bool {
	ma, _ := a["metadata"].(map[string]any)
	mb, _ := b["metadata"].(map[string]any)
	if ma == nil || mb == nil {
		// Metadata that is not an object is compared as it is.
		return collect.EqualExcept(a, b, func(k string) bool { return k == "status" })
	}
	if !collect.EqualExcept(a, b, func(k string) bool { return k == "status" || k == "metadata" }) ||
		!collect.EqualExcept(ma, mb, func(k string) bool {
			switch k {
			case "resourceVersion", "generation", "managedFields", "annotations":
				return true
			}
			return false
		}) {
		return false
	}
	va, hasA := ma["annotations"]
	vb, hasB := mb["annotations"]
	if hasA != hasB {
		return false
	}
	xa, _ := va.(map[string]any)
	xb, _ := vb.(map[string]any)
	_, appliedA := xa[collect.LastAppliedAnnotation]
	_, appliedB := xb[collect.LastAppliedAnnotation]
	if !appliedA && !appliedB {
		return collect.Equal(va, vb)
	}
	// The last-applied annotation is left out of a map that has it.
	return collect.EqualExcept(xa, xb, func(k string) bool { return k == collect.LastAppliedAnnotation })
}

// judged is what is known of a part without the change: the digest of
// what each control reads, and the results of those evaluated so far.
type judged struct {
	digests []evaluate.InputDigest
	mu      sync.Mutex
	results []evaluate.Result
	have    []bool
}

func newJudged(digests []evaluate.InputDigest) *judged {
	return &judged{digests: digests}
}

// resultsOf returns the results of the controls at positions idx,
// evaluating those not known yet with eval (which returns results at
// their positions).
func (b *judged) resultsOf(idx []int, eval func(missing []int) ([]evaluate.Result, error)) ([]evaluate.Result, error) {
	b.mu.Lock()
	var missing []int
	for _, i := range idx {
		if b.have == nil || !b.have[i] {
			missing = append(missing, i)
		}
	}
	b.mu.Unlock()
	if len(missing) > 0 {
		rs, err := eval(missing)
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		if b.have == nil {
			// Most entries never need results: allocated on first use.
			b.results, b.have = make([]evaluate.Result, len(b.digests)), make([]bool, len(b.digests))
		}
		for _, i := range missing {
			b.results[i], b.have[i] = rs[i], true
		}
		b.mu.Unlock()
	}
	out := make([]evaluate.Result, len(idx))
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, i := range idx {
		out[k] = b.results[i]
	}
	return out, nil
}
