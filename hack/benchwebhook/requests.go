package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/webhook"
)

// review is one request of the pool: the AdmissionReview the API server
// would send, and the OPA query answering the same question.
type review struct {
	kind, op string
	uid      string // the AdmissionReview request's, as the server logs it
	body     []byte // AdmissionReview
	opaPath  string // /v1/data/tilsyn/bench/<rule>
	opaBody  []byte // {"input": ...}
}

type reviewPool struct {
	reviews []review
	counts  map[string]int
}

func (p *reviewPool) describe() string {
	keys := make([]string, 0, len(p.counts))
	for k := range p.counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return p.counts[keys[i]] > p.counts[keys[j]] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*float64(p.counts[k])/float64(len(p.reviews))))
	}
	var review, input int
	for _, r := range p.reviews {
		review += len(r.body)
		input += len(r.opaBody)
	}
	n := max(len(p.reviews), 1)
	return strings.Join(parts, ", ") + fmt.Sprintf("; mean AdmissionReview %d bytes, mean OPA input %d bytes", review/n, input/n)
}

// mix is what the pool is made of: mostly pods and their controllers, as
// in any cluster's admission traffic, and the mesh configuration the
// webhook exists for. Changes the webhook judges against the whole
// cluster (mesh config, mesh-wide policies and host patterns) are left
// out: they are rare, and each costs a full evaluation.
var mix = []mixEntry{
	{collect.Pods, "CREATE", 35},
	{collect.ReplicaSets, "CREATE", 5},
	{collect.Deployments, "UPDATE", 15},
	{collect.StatefulSets, "UPDATE", 5},
	{collect.Services, "CREATE", 5},
	{collect.ConfigMaps, "CREATE", 10},
	{collect.PeerAuthentications, "CREATE", 10},
	{collect.DestinationRules, "CREATE", 10},
	{collect.ServiceEntries, "CREATE", 5},
}

type mixEntry struct {
	key, op string
	weight  int
}

// mixOf keeps the entries of the mix of the given comma-separated types;
// "" keeps them all.
func mixOf(kinds string) ([]mixEntry, error) {
	if kinds == "" {
		return mix, nil
	}
	var out []mixEntry
	for _, k := range strings.Split(kinds, ",") {
		n := len(out)
		for _, m := range mix {
			if m.key == strings.TrimSpace(k) {
				out = append(out, m)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("-kinds: %q is not in the review mix", k)
		}
	}
	return out, nil
}

// buildPool makes n reviews of changes to snap, and writes OPA's bundle
// (tilsyn's policies, the profile, and one rule per type naming the
// controls the webhook evaluates for it) into opaDir.
func buildPool(ctx context.Context, snap *collect.Snapshot, n int, mix []mixEntry, opaDir string) (*reviewPool, error) {
	prof, profJSON, err := profile.Load(profile.Default)
	if err != nil {
		return nil, err
	}
	e, err := evaluate.New(ctx, evaluate.Options{Profile: prof, ProfileJSON: profJSON})
	if err != nil {
		return nil, err
	}
	judge, err := webhook.NewJudge(ctx, e, prof, webhook.FromSnapshot(snap), webhook.JudgeOptions{})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	pool := &reviewPool{counts: map[string]int{}}
	rules := map[string][]string{}
	for i := 0; len(pool.reviews) < n; i++ {
		pick := rng.IntN(total)
		m := mix[0]
		for _, x := range mix {
			if pick < x.weight {
				m = x
				break
			}
			pick -= x.weight
		}
		t, _ := collect.TypeByKey(m.key)
		old, obj := change(rng, snap, t, m.op, i)
		if obj == nil {
			continue
		}
		in, controls, global, err := judge.Input(t, old, obj)
		if err != nil {
			return nil, err
		}
		if global {
			continue // judged against the whole cluster
		}
		rule := "s_" + m.key
		if in == nil {
			// No control reads it (a ConfigMap of an application): OPA
			// answers an empty document.
			in, controls = []byte("{}"), nil
		}
		rules[rule] = controls
		body, err := admissionReview(t, m.op, old, obj, i)
		if err != nil {
			return nil, err
		}
		opaBody := append(append([]byte(`{"input":`), in...), '}')
		pool.reviews = append(pool.reviews, review{kind: t.Kind, op: m.op, uid: reviewUID(i), body: body,
			opaPath: "/v1/data/tilsyn/bench/" + rule, opaBody: opaBody})
		pool.counts[t.Kind+" "+strings.ToLower(m.op)]++
	}
	rng.Shuffle(len(pool.reviews), func(i, j int) { pool.reviews[i], pool.reviews[j] = pool.reviews[j], pool.reviews[i] })
	return pool, writeBundle(opaDir, e, profJSON, rules)
}

// reviewUID is the uid of the pool's i-th review.
func reviewUID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

// change returns the old and new versions of a change of type t, made from
// a random object of the cluster; nil when there is none to make.
func change(rng *rand.Rand, snap *collect.Snapshot, t collect.ResourceType, op string, i int) (old, obj collect.Object) {
	suffix := fmt.Sprintf("-bench-%d", i)
	if t.Key == collect.ConfigMaps {
		// The cluster's own ConfigMaps are Istio's; an application's is new.
		nss := snap.Resources[collect.Namespaces]
		ns := collect.Meta(nss[rng.IntN(len(nss))]).Name
		return nil, collect.Object{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "app-config" + suffix, "namespace": ns, "uid": fmt.Sprintf("bench-uid-%d", i),
				"creationTimestamp": time.Now().UTC().Format(time.RFC3339)}}
	}
	objs := snap.Resources[t.Key]
	if len(objs) == 0 {
		return nil, nil
	}
	src := objs[rng.IntN(len(objs))]
	m := collect.Meta(src)
	switch {
	case t.Key == collect.PeerAuthentications && collect.Map(src, "spec", "selector") == nil && m.Namespace == "istio-system",
		t.Key == collect.DestinationRules && strings.Contains(collect.Str(src, "spec", "host"), "*"):
		return nil, nil // judged against the whole cluster
	}
	obj = copyObject(src)
	md := collect.Map(obj, "metadata")
	delete(md, "resourceVersion")
	if op == "UPDATE" {
		old = copyObject(src)
		collect.Map(old, "metadata")["resourceVersion"] = "1000"
		md["resourceVersion"] = "1000"
		labels, _ := md["labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
			md["labels"] = labels
		}
		labels["bench-revision"] = fmt.Sprint(i)
		return old, obj
	}
	md["name"] = m.Name + suffix
	md["uid"] = fmt.Sprintf("bench-uid-%d", i)
	md["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
	return nil, obj
}

func copyObject(o collect.Object) collect.Object {
	data, _ := json.Marshal(o)
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var out collect.Object
	dec.Decode(&out)
	return out
}

// admissionReview is the review the API server sends for a change.
func admissionReview(t collect.ResourceType, op string, old, obj collect.Object, i int) ([]byte, error) {
	m := collect.Meta(obj)
	gvk := map[string]any{"group": t.Group, "version": t.Version, "kind": t.Kind}
	gvr := map[string]any{"group": t.Group, "version": t.Version, "resource": t.Key}
	req := map[string]any{
		"uid": reviewUID(i), "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
		"name": m.Name, "namespace": m.Namespace, "operation": op,
		"userInfo": map[string]any{"username": "system:serviceaccount:kube-system:replicaset-controller",
			"groups": []any{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}},
		"object": obj, "oldObject": old, "dryRun": false,
		"options": map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": map[string]string{"CREATE": "CreateOptions", "UPDATE": "UpdateOptions"}[op]},
	}
	return json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
}

// writeBundle writes OPA's bundle: the built-in policies, the profile as
// data.tilsyn.profile, and package tilsyn.bench with one rule per type
// holding the findings of the controls the webhook evaluates for it.
func writeBundle(dir string, e *evaluate.Engine, profJSON []byte, rules map[string][]string) error {
	srcs, err := evaluate.BuiltinSources()
	if err != nil {
		return err
	}
	for _, s := range srcs {
		if s.IsTest() {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(s.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(s.Text), 0o644); err != nil {
			return err
		}
	}
	var profileData any
	if err := json.Unmarshal(profJSON, &profileData); err != nil {
		return err
	}
	data, _ := json.Marshal(map[string]any{"tilsyn": map[string]any{"profile": profileData}})
	if err := os.WriteFile(filepath.Join(dir, "data.json"), data, 0o644); err != nil {
		return err
	}
	pkgs := map[string]string{}
	for _, c := range e.Controls() {
		pkgs[c.ID] = c.Package
	}
	var b strings.Builder
	b.WriteString("# The controls the webhook evaluates for each type, in one document.\npackage tilsyn.bench\n\nimport rego.v1\n")
	names := make([]string, 0, len(rules))
	for r := range rules {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		fmt.Fprintf(&b, "\n%s := {\n", r)
		for _, id := range rules[r] {
			fmt.Fprintf(&b, "\t%q: data.%s.findings,\n", id, pkgs[id])
		}
		b.WriteString("}\n")
	}
	return os.WriteFile(filepath.Join(dir, "bench.rego"), []byte(b.String()), 0o644)
}
