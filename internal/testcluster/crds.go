package testcluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tilsyn/tilsyn/collect"
)

// extraVersions are the older versions Istio's CRDs still serve next to the
// registry's (storage) version, so manifests written against them apply.
var extraVersions = map[string][]string{
	"networking.istio.io": {"v1alpha3", "v1beta1"},
	"security.istio.io":   {"v1beta1"},
	"telemetry.istio.io":  {"v1alpha1"},
}

// IstioCRDs returns a CustomResourceDefinition for every Istio type tilsyn
// collects (every registered type of a *.istio.io group).
func IstioCRDs() []collect.Object {
	return CRDs(func(t collect.ResourceType) bool { return strings.HasSuffix(t.Group, ".istio.io") })
}

// VeleroCRDs returns a CustomResourceDefinition for every Velero type
// tilsyn collects.
func VeleroCRDs() []collect.Object {
	return CRDs(func(t collect.ResourceType) bool { return t.Group == "velero.io" })
}

// CRDs returns CustomResourceDefinitions for the registered types that
// match. They are written by tilsyn, not copied from the projects: each
// version has a structural schema that keeps every field
// (x-kubernetes-preserve-unknown-fields), which is all the API server needs
// to store and serve the objects as they were written.
func CRDs(match func(collect.ResourceType) bool) []collect.Object {
	var out []collect.Object
	for _, t := range collect.Registry {
		if t.Group == "" || !match(t) {
			continue
		}
		scope := "Cluster"
		if t.Namespaced {
			scope = "Namespaced"
		}
		var versions []any
		for _, v := range append([]string{t.Version}, extraVersions[t.Group]...) {
			versions = append(versions, map[string]any{
				"name":    v,
				"served":  true,
				"storage": v == t.Version,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type":                                 "object",
					"x-kubernetes-preserve-unknown-fields": true,
				}},
			})
		}
		out = append(out, collect.Object{
			"apiVersion": "apiextensions.k8s.io/v1",
			"kind":       "CustomResourceDefinition",
			"metadata":   map[string]any{"name": t.Key + "." + t.Group},
			"spec": map[string]any{
				"group": t.Group,
				"scope": scope,
				"names": map[string]any{
					"plural":   t.Key,
					"singular": strings.ToLower(t.Kind),
					"kind":     t.Kind,
					"listKind": t.Kind + "List",
				},
				"versions": versions,
			},
		})
	}
	return out
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs creates CustomResourceDefinitions (an existing one is left
// as it is) and waits until the API server serves every version of them.
func (c *Cluster) InstallCRDs(ctx context.Context, crds []collect.Object) error {
	if err := c.Create(ctx, crds, CreateOptions{IgnoreExisting: true}); err != nil {
		return err
	}
	a, err := c.apply()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, crd := range crds {
		name := collect.Str(crd, "metadata", "name")
		for {
			u, err := a.dynamic.Resource(crdResource).Get(ctx, name, getOptions)
			if err == nil && established(u) && c.serves(crd) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CustomResourceDefinition %s not established after 60s (last error: %v)", name, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	a.mapper.Reset()
	return nil
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// serves reports whether discovery lists every version of a CRD.
func (c *Cluster) serves(crd collect.Object) bool {
	group := collect.Str(crd, "spec", "group")
	plural := collect.Str(crd, "spec", "names", "plural")
	for _, v := range collect.List(crd, "spec", "versions") {
		version := collect.Str(v.(map[string]any), "name")
		rl, err := c.admin.Discovery().ServerResourcesForGroupVersion(group + "/" + version)
		if err != nil || !slices.ContainsFunc(rl.APIResources, func(r metav1.APIResource) bool { return r.Name == plural }) {
			return false
		}
	}
	return true
}
