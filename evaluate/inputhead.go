package evaluate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
)

// The head of the input — input.other, input.coverage and input.meta —
// is small but built for every evaluation; a caller that evaluates many
// small parts of one cluster (the webhook) builds the same records again
// and again. Each coverage record and each meta object is converted once
// and shared: OPA values are never modified by an evaluation.

// coverageTerms holds converted coverage records, keyed by their content;
// it is cleared when full.
var coverageTerms struct {
	sync.Mutex
	m map[string]*ast.Term
}

// metaTerms holds converted meta objects, keyed by their content; it is
// reset when it grows (the time changes every minute).
var metaTerms struct {
	sync.Mutex
	m map[string]*ast.Term
}

// headValue returns a new input object holding other, coverage and meta.
func headValue(s *collect.Snapshot, now time.Time, uses inputUse) (ast.Object, error) {
	obj := ast.NewObjectWithCapacity(5)
	if (uses.all || uses.other) && len(s.Other) > 0 {
		other := make([]any, len(s.Other))
		for i, o := range s.Other {
			other[i] = o
		}
		v, err := ast.InterfaceToValue(other)
		if err != nil {
			return nil, err
		}
		obj.Insert(ast.StringTerm("other"), ast.NewTerm(v))
	} else {
		obj.Insert(ast.StringTerm("other"), ast.ArrayTerm())
	}
	coverage, err := coverageValue(s.Coverage)
	if err != nil {
		return nil, err
	}
	obj.Insert(ast.StringTerm("coverage"), coverage)
	meta, err := metaTerm(s, now)
	if err != nil {
		return nil, err
	}
	obj.Insert(ast.StringTerm("meta"), meta)
	return obj, nil
}

// maxSharedCount bounds the counts of the coverage records kept: a
// neighbourhood's counts are small, and so is the set of records.
const maxSharedCount = 1024

// coverageObjects holds converted coverage objects by their content; it
// is cleared when full.
var coverageObjects struct {
	sync.Mutex
	m map[string]*ast.Term
}

// coverageValue returns input.coverage: every record by resource type.
func coverageValue(cs []collect.Coverage) (*ast.Term, error) {
	var buf [1024]byte
	key := buf[:0]
	for _, c := range cs {
		key = append(append(key, c.Resource...), 0)
		key = append(append(key, c.Status...), 0)
		key = append(strconv.AppendInt(key, int64(c.Count), 10), 0)
		key = append(append(key, c.Reason...), 0)
	}
	coverageObjects.Lock()
	t, ok := coverageObjects.m[string(key)]
	coverageObjects.Unlock()
	if ok {
		return t, nil
	}
	obj := ast.NewObjectWithCapacity(len(cs))
	for _, c := range cs {
		t, err := coverageTerm(c)
		if err != nil {
			return nil, err
		}
		obj.Insert(ast.StringTerm(c.Resource), t)
	}
	t = ast.NewTerm(obj)
	coverageObjects.Lock()
	defer coverageObjects.Unlock()
	if coverageObjects.m == nil || len(coverageObjects.m) >= 4096 {
		coverageObjects.m = map[string]*ast.Term{}
	}
	coverageObjects.m[string(key)] = t
	return t, nil
}

func coverageTerm(c collect.Coverage) (*ast.Term, error) {
	if c.Count > maxSharedCount {
		v, err := ast.InterfaceToValue(map[string]any{"status": string(c.Status), "count": c.Count, "reason": c.Reason})
		return ast.NewTerm(v), err
	}
	key := string(c.Status) + "\x00" + strconv.Itoa(c.Count) + "\x00" + c.Reason
	coverageTerms.Lock()
	t, ok := coverageTerms.m[key]
	coverageTerms.Unlock()
	if ok {
		return t, nil
	}
	v, err := ast.InterfaceToValue(map[string]any{"status": string(c.Status), "count": c.Count, "reason": c.Reason})
	if err != nil {
		return nil, err
	}
	t = ast.NewTerm(v)
	coverageTerms.Lock()
	defer coverageTerms.Unlock()
	if coverageTerms.m == nil || len(coverageTerms.m) >= 4096 {
		coverageTerms.m = map[string]*ast.Term{}
	}
	coverageTerms.m[key] = t
	return t, nil
}

func metaTerm(s *collect.Snapshot, now time.Time) (*ast.Term, error) {
	key := now.UTC().Format(time.RFC3339Nano) + "\x00" + s.Metadata.Source.Type + "\x00" + s.Metadata.CollectedAt.UTC().Format(time.RFC3339Nano)
	if c := s.Metadata.Cluster; c != nil {
		key += "\x00" + c.UID + "\x00" + c.Server
	}
	metaTerms.Lock()
	t, ok := metaTerms.m[key]
	metaTerms.Unlock()
	if ok {
		return t, nil
	}
	meta := map[string]any{
		"now":         now.UTC().Format(time.RFC3339),
		"nowNs":       json.Number(fmt.Sprint(now.UnixNano())),
		"source":      map[string]any{"type": s.Metadata.Source.Type},
		"collectedAt": s.Metadata.CollectedAt.UTC().Format(time.RFC3339),
		"collectedNs": json.Number(fmt.Sprint(s.Metadata.CollectedAt.UnixNano())),
	}
	if s.Metadata.Cluster != nil {
		meta["cluster"] = map[string]any{"uid": s.Metadata.Cluster.UID, "server": s.Metadata.Cluster.Server}
	}
	// resourceTypes are the registered types: each must have a coverage
	// record (ACC-01).
	meta["resourceTypes"] = resourceTypes()
	v, err := ast.InterfaceToValue(meta)
	if err != nil {
		return nil, err
	}
	t = ast.NewTerm(v)
	metaTerms.Lock()
	defer metaTerms.Unlock()
	if metaTerms.m == nil || len(metaTerms.m) >= 64 {
		metaTerms.m = map[string]*ast.Term{}
	}
	metaTerms.m[key] = t
	return t, nil
}
