package synth

// Helpers for the parts of metadata many objects share: managedFields,
// ownerReferences, names and ids, and the
// kubectl.kubernetes.io/last-applied-configuration annotation.

// managed writes managedFields with the single entry of manager, owning the
// fields of path: managed(..., "f:spec") owns {"f:spec":{}}. The entry is
// kept small on purpose (one entry, no time): it is there to be stripped.
func (g *gen) managed(apiVersion, manager string, path ...string) {
	g.l("managedFields")
	g.item()
	g.str("apiVersion", apiVersion)
	g.str("fieldsType", "FieldsV1")
	g.m("fieldsV1")
	g.leaf(path...)
	g.up()
	g.str("manager", manager)
	g.str("operation", "Update")
	g.up()
	g.up()
}

// ownerRef writes the single ownerReferences entry of a controlled object.
func (g *gen) ownerRef(apiVersion, kind, name string, tag uint64, i int) {
	g.l("ownerReferences")
	g.item()
	g.str("apiVersion", apiVersion)
	g.flag("controller", true)
	g.str("kind", kind)
	g.str("name", name)
	g.uid("uid", tag, i)
	g.up()
	g.up()
}

// tail writes name, namespace and uid, the metadata keys
// that sort after managedFields, for an object without an owner.
func (g *gen) tail(name, ns string, tag uint64, i int) {
	g.names(name, ns)
	g.ids(tag, i)
}

// names writes metadata name and namespace (omitted when empty).
func (g *gen) names(name, ns string) {
	g.str("name", name)
	if ns != "" {
		g.str("namespace", ns)
	}
}

// ids writes metadata uid; ownerReferences, when there are any, go between
// names and ids. There is no resourceVersion: it is server state that
// nothing reads, and manifests go without it.
func (g *gen) ids(tag uint64, i int) {
	g.uid("uid", tag, i)
}

// lastApplied writes the last-applied-configuration annotation: the JSON
// built in g.j, with the final newline kubectl adds.
func (g *gen) lastApplied() {
	g.j = append(g.j, '\n')
	g.text("kubectl.kubernetes.io/last-applied-configuration", string(g.j))
}

// JSON building for last-applied-configuration, into g.j.

func (g *gen) js(s string) { g.j = appendJSON(g.j, s) }

func (g *gen) jraw(s string) { g.j = append(g.j, s...) }

// jmeta starts the JSON of an applied object and leaves it inside "metadata".
func (g *gen) jmeta(apiVersion, kind string) {
	g.j = append(g.j[:0], `{"apiVersion":`...)
	g.js(apiVersion)
	g.jraw(`,"kind":`)
	g.js(kind)
	g.jraw(`,"metadata":{"annotations":{}`)
}

// jmap appends ,"key":{"k":"v",...}; ps must be sorted.
func (g *gen) jmap(key string, ps []pair) {
	g.jraw(",")
	g.js(key)
	g.jraw(":")
	g.jobj(ps)
}

// jobj appends {"k":"v",...}.
func (g *gen) jobj(ps []pair) {
	g.jraw("{")
	for i, p := range ps {
		if i > 0 {
			g.jraw(",")
		}
		g.js(p.k)
		g.jraw(":")
		g.js(p.v)
	}
	g.jraw("}")
}

// jname appends ,"name":"n"[,"namespace":"ns"]} closing metadata.
func (g *gen) jname(name, ns string) {
	g.jraw(`,"name":`)
	g.js(name)
	if ns != "" {
		g.jraw(`,"namespace":`)
		g.js(ns)
	}
	g.jraw("}")
}
