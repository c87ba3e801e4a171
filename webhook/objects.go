package webhook

import (
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
)

// What the webhook reads from objects to relate them, and the snapshots it
// builds of them.

// nodeClass is what a node's location is derived from — its topology
// labels (those keep says, all without keep) but the hostname, and its
// providerID without the instance — so that nodes of one class are alike
// to every location fact but their names.
func nodeClass(o collect.Object, m collect.ObjectMeta, keep func(string) bool) string {
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		if k != geo.LabelHostname && (keep == nil || keep(k)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m.Labels[k] + "\x00")
	}
	pid := collect.Str(o, "spec", "providerID")
	if i := strings.LastIndex(pid, "/"); i >= 0 {
		pid = pid[:i]
	}
	b.WriteString(pid)
	return b.String()
}

// part builds what a subset evaluates: entries and one more object (nil
// for none) as a snapshot ordered as Snapshot.Sort orders it, with the
// OPA values of the entries of the types in values already converted.
// coverage is the state's, in the order of collect.Registry.
func part(entries []*entry, extra collect.Object, t collect.ResourceType, values map[string]bool, coverage []collect.Coverage) (*collect.Snapshot, map[string][]ast.Value) {
	snap := collect.New(collect.Source{Type: "live"}, zeroTime)
	byType := map[string][]*entry{}
	for _, e := range entries {
		byType[e.t.Key] = append(byType[e.t.Key], e)
	}
	var vals map[string][]ast.Value
	if len(values) > 0 {
		vals = map[string][]ast.Value{}
	}
	extraID := ""
	if extra != nil {
		extraID = collect.Identity(extra)
	}
	for key, es := range byType {
		sort.Slice(es, func(i, j int) bool { return es[i].id < es[j].id })
		objs := make([]collect.Object, 0, len(es)+1)
		var vs []ast.Value
		if values[key] {
			vs = make([]ast.Value, 0, len(es)+1)
		}
		placed := extra == nil || key != t.Key
		for _, e := range es {
			if !placed && extraID < e.id {
				objs = append(objs, extra)
				if vs != nil {
					vs = append(vs, nil)
				}
				placed = true
			}
			objs = append(objs, e.obj)
			if vs != nil {
				vs = append(vs, e.opaValue())
			}
		}
		if !placed {
			objs = append(objs, extra)
			if vs != nil {
				vs = append(vs, nil)
			}
		}
		snap.Resources[key] = objs
		if vs != nil {
			vals[key] = vs
		}
	}
	if extra != nil && byType[t.Key] == nil {
		snap.Resources[t.Key] = []collect.Object{extra}
	}
	snap.Coverage = make([]collect.Coverage, len(coverage))
	for i, c := range coverage {
		c.Count = len(snap.Resources[c.Resource])
		snap.Coverage[i] = c
	}
	return snap, vals
}

// controllerOwner returns the controlling owner of an object, as the mesh
// resolver groups pods into workloads.
func controllerOwner(o collect.Object, ns string) (objRef, bool) {
	for _, r := range collect.List(o, "metadata", "ownerReferences") {
		ref, _ := r.(map[string]any)
		if ref == nil || !collect.Bool(ref, "controller") {
			continue
		}
		return objRef{ns, collect.Str(ref, "kind"), collect.Str(ref, "name")}, true
	}
	return objRef{}, false
}

// templatePaths are where controllers keep their pod template.
var templatePaths = map[string][]string{
	collect.Deployments:  {"spec", "template"},
	collect.StatefulSets: {"spec", "template"},
	collect.DaemonSets:   {"spec", "template"},
	collect.ReplicaSets:  {"spec", "template"},
	collect.Jobs:         {"spec", "template"},
	collect.CronJobs:     {"spec", "jobTemplate", "spec", "template"},
}

// kindKeys maps the kinds that own pods to their type keys.
var kindKeys = map[string]string{
	"Deployment": collect.Deployments, "StatefulSet": collect.StatefulSets, "DaemonSet": collect.DaemonSets,
	"ReplicaSet": collect.ReplicaSets, "Job": collect.Jobs, "CronJob": collect.CronJobs,
}

// isWorkload reports whether a type makes up workloads (pods and their
// controllers).
func isWorkload(key string) bool {
	_, ok := templatePaths[key]
	return ok || key == collect.Pods
}

func podLabels(t collect.ResourceType, o collect.Object, m collect.ObjectMeta) map[string]string {
	if t.Key == collect.Pods {
		return m.Labels
	}
	if path, ok := templatePaths[t.Key]; ok {
		return collect.StringMap(o, append(append([]string{}, path...), "metadata", "labels")...)
	}
	return nil
}

// hostsOf returns the hosts of a DestinationRule or ServiceEntry, short
// names resolved against ns as istiod does.
func hostsOf(t collect.ResourceType, o collect.Object, ns, domain string) []string {
	switch t.Key {
	case collect.DestinationRules:
		return []string{resolveHost(collect.Str(o, "spec", "host"), ns, domain)}
	case collect.ServiceEntries:
		// The mesh resolver reads ServiceEntry hosts with the default
		// domain suffix.
		var out []string
		for _, h := range collect.List(o, "spec", "hosts") {
			if hs, ok := h.(string); ok {
				out = append(out, resolveHost(hs, ns, mesh.DefaultDomainSuffix))
			}
		}
		return out
	}
	return nil
}

// resolveHost is the mesh resolver's short-name resolution: a name
// without a dot is a Service of the namespace.
func resolveHost(h, ns, domain string) string {
	if h == "" || h == "*" || strings.Contains(h, ".") || strings.Contains(h, ":") {
		return h
	}
	return h + "." + ns + ".svc." + domain
}

func isWildcard(h string) bool { return h == "*" || strings.HasPrefix(h, "*.") }

// hostMatches reports whether pattern (exact, "*.suffix" or "*") matches
// host.
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(host, pattern[1:])
	}
	return pattern == host
}

func subsetOf(sel, labels map[string]string) bool {
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

var zeroTime time.Time

// sortedKeys returns map keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
