package collect

import "strings"

// LastAppliedAnnotation is written by `kubectl apply`; it repeats the whole
// object (Secret data included) and is never kept.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Sanitize removes from an object, in place, everything tilsyn must not keep:
// metadata.managedFields, the last-applied annotation, everything of a
// Secret but its apiVersion, kind and metadata (tilsyn only ever needs to
// know that a Secret exists, and a live collection asks for nothing more),
// and the data of ConfigMaps other than the mesh's own (whose contents are
// evidence: mesh config, injector config, root certificate, node agent
// records). It returns the object for chaining.
func Sanitize(o Object, t ResourceType) Object {
	if md, ok := o["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, LastAppliedAnnotation)
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
	}
	switch t.Key {
	case Secrets:
		for k := range o {
			if k != "apiVersion" && k != "kind" && k != "metadata" {
				delete(o, k)
			}
		}
	case ConfigMaps:
		delete(o, "binaryData")
		if !KeepConfigMapData(Str(o, "metadata", "name")) {
			delete(o, "data")
		}
	}
	return o
}

// KeepConfigMapData reports whether the data of a ConfigMap with this name is
// evidence: Istio's own ConfigMaps ("istio", "istio-<revision>",
// "istio-sidecar-injector", "istio-ca-root-cert") and tilsyn's node records.
// The data of all other ConfigMaps is dropped: it may hold anything,
// personal data included.
func KeepConfigMapData(name string) bool {
	return name == "istio" || strings.HasPrefix(name, "istio-") || strings.HasPrefix(name, "tilsyn-node-")
}
