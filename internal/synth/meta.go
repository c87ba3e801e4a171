package synth

import (
	"slices"
	"strings"
	"time"
)

// Helpers for the parts of metadata every object has: label and annotation
// maps, managedFields entries, ownerReferences and the
// kubectl.kubernetes.io/last-applied-configuration annotation.

type pair struct{ k, v string }

// pairs writes a map with its keys sorted, as kubectl prints it. ps is
// sorted in place.
func (g *gen) pairs(ind int, ps []pair) {
	slices.SortFunc(ps, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	for _, p := range ps {
		g.kv(ind, p.k, p.v)
	}
}

// lastApplied writes the last-applied-configuration annotation as a literal
// block holding the JSON in g.j.
func (g *gen) lastApplied(ind int) {
	g.ln(ind, "kubectl.kubernetes.io/last-applied-configuration: |")
	g.indent(ind + 2)
	g.b = append(g.b, g.j...)
	g.b = append(g.b, '\n')
}

// JSON building for last-applied-configuration, into g.j. Every string
// written here is a Kubernetes name, label or enum: none needs escaping.

func (g *gen) js(s string) {
	g.j = append(g.j, '"')
	g.j = append(g.j, s...)
	g.j = append(g.j, '"')
}

// jmeta starts the JSON of an applied object and leaves it inside "metadata".
func (g *gen) jmeta(apiVersion, kind string) {
	g.j = append(g.j[:0], `{"apiVersion":"`...)
	g.j = append(g.j, apiVersion...)
	g.j = append(g.j, `","kind":"`...)
	g.j = append(g.j, kind...)
	g.j = append(g.j, `","metadata":{"annotations":{}`...)
}

// jmap appends ,"key":{"k":"v",...}.
func (g *gen) jmap(key string, ps []pair) {
	g.j = append(g.j, ',')
	g.js(key)
	g.j = append(g.j, ':')
	g.jobj(ps)
}

// jobj appends {"k":"v",...}.
func (g *gen) jobj(ps []pair) {
	g.j = append(g.j, '{')
	for i, p := range ps {
		if i > 0 {
			g.j = append(g.j, ',')
		}
		g.js(p.k)
		g.j = append(g.j, ':')
		g.js(p.v)
	}
	g.j = append(g.j, '}')
}

// jname appends ,"name":"n"[,"namespace":"ns"]} closing metadata.
func (g *gen) jname(name, ns string) {
	g.j = append(g.j, `,"name":`...)
	g.js(name)
	if ns != "" {
		g.j = append(g.j, `,"namespace":`...)
		g.js(ns)
	}
	g.j = append(g.j, '}')
}

func (g *gen) jraw(s string) { g.j = append(g.j, s...) }

// mfBegin opens a managedFields entry at ind; the caller writes the fields
// at ind+6 ("f:..." keys) and closes it with mfEnd.
func (g *gen) mfBegin(ind int, apiVersion string) {
	g.indent(ind)
	g.b = append(g.b, "- apiVersion: "...)
	g.b = append(g.b, apiVersion...)
	g.b = append(g.b, '\n')
	g.ln(ind+2, "fieldsType: FieldsV1")
	g.ln(ind+2, "fieldsV1:")
}

func (g *gen) mfEnd(ind int, manager, operation, subresource string, t time.Time) {
	g.kv(ind+2, "manager", manager)
	g.kv(ind+2, "operation", operation)
	if subresource != "" {
		g.kv(ind+2, "subresource", subresource)
	}
	g.kt(ind+2, "time", t)
}

// f writes a managedFields branch "f:<name>:" and returns the indentation
// of its children.
func (g *gen) f(ind int, name string) int {
	g.indent(ind)
	g.b = append(g.b, "f:"...)
	g.b = append(g.b, name...)
	g.b = append(g.b, ":\n"...)
	return ind + 2
}

// fk writes a managedFields list-element branch "k:{...}:" and returns the
// indentation of its children.
func (g *gen) fk(ind int, key string) int {
	g.ln(ind, key+":")
	return ind + 2
}

// fdot writes the ".: {}" marker of a branch that is itself owned.
func (g *gen) fdot(ind int) { g.ln(ind, ".: {}") }

// leaves writes "f:<name>: {}" for each name.
func (g *gen) leaves(ind int, names ...string) {
	for _, n := range names {
		g.indent(ind)
		g.b = append(g.b, "f:"...)
		g.b = append(g.b, n...)
		g.b = append(g.b, ": {}\n"...)
	}
}

// ownerKey writes the managedFields leaf of an ownerReference.
func (g *gen) ownerKey(ind int, tag uint64, i int) {
	or := g.f(ind, "ownerReferences")
	g.fdot(or)
	g.indent(or)
	g.b = append(g.b, `k:{"uid":"`...)
	g.b = g.appendUID(g.b, tag, i)
	g.b = append(g.b, `"}: {}`+"\n"...)
}

// mfMapKeys writes "f:<map>:" with ".: {}" and a leaf per key of ps.
func (g *gen) mfMapKeys(ind int, name string, ps []pair) {
	in := g.f(ind, name)
	g.fdot(in)
	for _, p := range ps {
		g.leaves(in, p.k)
	}
}

// mfApplied writes the managedFields entry kubectl client-side apply leaves
// for metadata: annotations (last-applied), labels, and nothing else; the
// caller continues with f:spec at ind+6 and then calls mfEnd.
func (g *gen) mfApplied(ind int, apiVersion string, labels []pair) {
	g.mfBegin(ind, apiVersion)
	md := g.f(ind+4, "metadata")
	an := g.f(md, "annotations")
	g.fdot(an)
	g.leaves(an, "kubectl.kubernetes.io/last-applied-configuration")
	if len(labels) > 0 {
		g.mfMapKeys(md, "labels", labels)
	}
}

// ownerRef writes the single ownerReferences entry of a controlled object.
func (g *gen) ownerRef(ind int, apiVersion, kind, name string, tag uint64, i int) {
	g.ln(ind, "ownerReferences:")
	g.indent(ind)
	g.b = append(g.b, "- apiVersion: "...)
	g.b = append(g.b, apiVersion...)
	g.b = append(g.b, '\n')
	g.ln(ind+2, "blockOwnerDeletion: true")
	g.ln(ind+2, "controller: true")
	g.kv(ind+2, "kind", kind)
	g.kv(ind+2, "name", name)
	g.kuid(ind+2, "uid", tag, i)
}

// tail writes name, namespace, resourceVersion and uid, the metadata keys
// that sort after managedFields, for an object without an owner.
func (g *gen) tail(name, ns string, tag uint64, i int) {
	g.names(name, ns)
	g.ids(tag, i)
}

// names writes metadata name and namespace (omitted when empty).
func (g *gen) names(name, ns string) {
	g.kv(2, "name", name)
	if ns != "" {
		g.kv(2, "namespace", ns)
	}
}

// ids writes metadata resourceVersion and uid; ownerReferences, when there
// are any, go between names and ids.
func (g *gen) ids(tag uint64, i int) {
	g.rv(2)
	g.kuid(2, "uid", tag, i)
}
