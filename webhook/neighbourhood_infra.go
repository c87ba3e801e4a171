package webhook

import "github.com/tilsyn/tilsyn/collect"

// The neighbourhood relations of infrastructure: storage and nodes.

// volume adds what a PersistentVolume's location facts come from: the
// claim it is bound to and that claim's Namespace, and the
// StorageClasses (whose use by claims is then only partly known here).
func (h *hood) volume(pv *entry) {
	if pv.claim != (objRef{}) {
		h.add(h.s.get(collect.PersistentVolumeClaims, pv.claim.ns, pv.claim.name))
		h.add(h.s.get(collect.Namespaces, "", pv.claim.ns))
	}
	h.storageClasses()
}

// claim adds the volumes bound to a claim and the StorageClasses.
func (h *hood) claim(pvc *entry) {
	for pv := range h.s.volumes[objRef{pvc.ns, "PersistentVolumeClaim", pvc.name}] {
		h.add(pv)
	}
	if name := collect.Str(pvc.obj, "spec", "volumeName"); name != "" {
		h.add(h.s.get(collect.PersistentVolumes, "", name))
	}
	h.storageClasses()
}

// storageClasses adds every StorageClass (there are few), marked as
// truncated: how many personal-data claims use each is counted over the
// neighbourhood's claims only.
func (h *hood) storageClasses() {
	for _, sc := range h.s.objects[collect.StorageClasses][""] {
		h.add(sc)
		h.truncated[objRef{"", sc.t.Kind, sc.name}] = true
	}
}

// nodes adds one node of every location class — which countries the
// cluster spans is then known, though not how many nodes each has — and
// the nodes the changed objects name (a pod's node, a hostname pin).
// Classes are by topology labels, or by all labels when a control reads
// Node objects themselves.
func (h *hood) nodes(versions []collect.Object) {
	classes := h.s.nodeClasses
	if h.readsNodes {
		classes = h.s.nodeClassesAll
	}
	for _, class := range classes {
		var first *entry
		for e := range class {
			if first == nil || e.name < first.name {
				first = e
			}
		}
		h.add(first)
	}
	byName := h.s.objects[collect.Nodes][""]
	for _, o := range versions {
		walkStrings(o["spec"], func(v string) {
			if e := byName[v]; e != nil {
				h.add(e)
			}
		})
	}
}

// walkStrings calls f with every string in a decoded JSON value.
func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}
