package mesh

import (
	"testing"
)

func dataplanes(r *Result) map[string]string {
	out := map[string]string{}
	for _, w := range r.Workloads {
		out[w.Namespace+"/"+w.Name] = w.Dataplane
	}
	return out
}

func checkDataplane(t *testing.T, r *Result, want map[string]string) {
	t.Helper()
	got := dataplanes(r)
	for k, v := range want {
		if got[k] != v {
			w := findWorkload(r, k)
			t.Errorf("%s: dataplane %q, want %q (decision %+v)", k, got[k], v, w)
		}
	}
}

func findWorkload(r *Result, key string) any {
	for _, w := range r.Workloads {
		if w.Namespace+"/"+w.Name == key {
			return w.Injection
		}
	}
	return nil
}

// The namespace label istio-injection=enabled (or istio.io/rev) turns
// injection on; disabled turns it off; without labels nothing is injected.
func TestInjectionNamespaceLabels(t *testing.T) {
	r := resolve(t,
		ns("enabled-ns", "istio-injection", "enabled"),
		ns("disabled-ns", "istio-injection", "disabled"),
		ns("rev", "istio.io/rev", "canary"),
		ns("plain"),
		deploy("enabled-ns", "a"), deploy("disabled-ns", "b"), deploy("rev", "c"), deploy("plain", "d"), deploy("missing-ns", "e"),
	)
	checkDataplane(t, r, map[string]string{
		"enabled-ns/a": "sidecar", "disabled-ns/b": "none", "rev/c": "sidecar", "plain/d": "none", "missing-ns/e": "none",
	})
}

// The pod label wins over the annotation of the same name.
func TestInjectionLabelBeatsAnnotation(t *testing.T) {
	r := resolve(t,
		ns("enabled-ns", "istio-injection", "enabled"),
		templateWith("enabled-ns", "label-false-ann-true", map[string]string{"sidecar.istio.io/inject": "false"}, map[string]string{"sidecar.istio.io/inject": "true"}),
		templateWith("enabled-ns", "label-true-ann-false", map[string]string{"sidecar.istio.io/inject": "true"}, map[string]string{"sidecar.istio.io/inject": "false"}),
		templateWith("enabled-ns", "ann-false", nil, map[string]string{"sidecar.istio.io/inject": "false"}),
		templateWith("enabled-ns", "label-no", map[string]string{"sidecar.istio.io/inject": "no"}, nil),
	)
	checkDataplane(t, r, map[string]string{
		"enabled-ns/label-false-ann-true": "none",
		"enabled-ns/label-true-ann-false": "sidecar",
		"enabled-ns/ann-false":            "none",
		"enabled-ns/label-no":             "none",
	})
}

// In an unlabelled namespace only the pod label (not the annotation) asks
// for injection; a namespace labelled disabled wins over the pod label.
func TestInjectionPodLabelInUnlabelledNamespace(t *testing.T) {
	r := resolve(t,
		ns("plain"), ns("disabled-ns", "istio-injection", "disabled"),
		templateWith("plain", "label-true", map[string]string{"sidecar.istio.io/inject": "true"}, nil),
		templateWith("plain", "ann-true", nil, map[string]string{"sidecar.istio.io/inject": "true"}),
		templateWith("plain", "rev-label", map[string]string{"istio.io/rev": "canary"}, nil),
		templateWith("disabled-ns", "label-true", map[string]string{"sidecar.istio.io/inject": "true"}, nil),
	)
	checkDataplane(t, r, map[string]string{
		"plain/label-true":       "sidecar",
		"plain/ann-true":         "none",
		"plain/rev-label":        "sidecar",
		"disabled-ns/label-true": "none",
	})
}

// hostNetwork pods are never injected, whatever the labels.
func TestInjectionNeverForHostNetwork(t *testing.T) {
	d := templateWith("enabled-ns", "node-exporter", map[string]string{"sidecar.istio.io/inject": "true"}, nil)
	d = replaceOnce(d, "    spec:\n", "    spec:\n      hostNetwork: true\n")
	r := resolve(t, ns("enabled-ns", "istio-injection", "enabled"), d)
	checkDataplane(t, r, map[string]string{"enabled-ns/node-exporter": "none"})
	for _, w := range r.Workloads {
		if w.Injection.Field != "spec.template.spec.hostNetwork" {
			t.Errorf("decision field = %q", w.Injection.Field)
		}
	}
}

// The injector's global policy "disabled" leaves pods without an explicit
// request uninjected even in an enabled namespace.
func TestInjectorPolicyDisabled(t *testing.T) {
	r := resolve(t,
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: istio-system\ndata:\n  config: |\n    policy: disabled\n",
		ns("enabled-ns", "istio-injection", "enabled"),
		deploy("enabled-ns", "implicit"),
		templateWith("enabled-ns", "explicit", map[string]string{"sidecar.istio.io/inject": "true"}, nil),
	)
	checkDataplane(t, r, map[string]string{"enabled-ns/implicit": "none", "enabled-ns/explicit": "sidecar"})
}

// In a live cluster the running pod is the truth: an istio-proxy container
// (or a native sidecar init container) means injected, whatever the
// namespace says; pods are grouped under their top-level controller.
func TestRunningPodsAreTheTruth(t *testing.T) {
	r := resolve(t,
		ns("enabled-ns", "istio-injection", "enabled"),
		deploy("enabled-ns", "api"),
		`apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9
  namespace: enabled-ns
  uid: rs-1
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: api, uid: d-1, controller: true}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: app, image: x}]}`,
		pod("enabled-ns", "api-7d9-a", "ReplicaSet", "api-7d9", "  - name: app\n    image: x\n  - name: istio-proxy\n    image: proxyv2", ""),
		pod("enabled-ns", "api-7d9-b", "ReplicaSet", "api-7d9", "  - name: app\n    image: x", ""),
		pod("enabled-ns", "native-0", "", "", "  - name: app\n    image: x", "  initContainers:\n  - name: istio-proxy\n    image: proxyv2\n    restartPolicy: Always\n"),
	)
	checkDataplane(t, r, map[string]string{
		// One of the two pods has no sidecar: the workload is not (fully) in the mesh.
		"enabled-ns/api":      "none",
		"enabled-ns/native-0": "sidecar",
	})
	for _, w := range r.Workloads {
		if w.Name == "api" && (w.Kind != "Deployment" || w.Pods != 2 || w.Source != "pods") {
			t.Errorf("api workload = %s pods=%d source=%s, want Deployment from 2 pods", w.Kind, w.Pods, w.Source)
		}
	}
	if len(r.Workloads) != 2 {
		t.Errorf("workloads = %d, want 2 (the ReplicaSet is represented by its Deployment)", len(r.Workloads))
	}
}

// Ambient: a namespace or pod label enrols workloads that have no sidecar;
// the pod label "none" opts out.
func TestAmbientEnrolment(t *testing.T) {
	r := resolve(t,
		ns("amb", "istio.io/dataplane-mode", "ambient"),
		deploy("amb", "a"),
		templateWith("amb", "opt-out", map[string]string{"istio.io/dataplane-mode": "none"}, nil),
		ns("plain"),
		templateWith("plain", "pod-ambient", map[string]string{"istio.io/dataplane-mode": "ambient"}, nil),
	)
	checkDataplane(t, r, map[string]string{"amb/a": "ambient", "amb/opt-out": "none", "plain/pod-ambient": "ambient"})
}

func templateWith(ns, name string, labels, annotations map[string]string) string {
	l := "\n        app: " + name
	for k, v := range labels {
		l += "\n        " + k + ": " + quote(v)
	}
	a := ""
	for k, v := range annotations {
		a += "\n        " + k + ": " + quote(v)
	}
	if a != "" {
		a = "\n      annotations:" + a
	}
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: ` + ns + `
spec:
  selector:
    matchLabels:
      app: ` + name + `
  template:
    metadata:
      labels:` + l + a + `
    spec:
      containers:
      - name: app
        image: example/app
`
}

func pod(ns, name, ownerKind, ownerName, containers, extra string) string {
	owner := ""
	if ownerKind != "" {
		owner = "\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: " + ownerKind + ", name: " + ownerName + ", uid: x, controller: true}"
	}
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n  uid: uid-" + name +
		"\n  labels:\n    app: api" + owner + "\nspec:\n  containers:\n" + containers + "\n" + extra
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// The injector's global proxy resources are read from its values.
func TestInjectorProxyResources(t *testing.T) {
	r := resolve(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: istio-system\ndata:\n"+
		"  config: 'policy: enabled'\n"+
		"  values: '{\"global\":{\"proxy\":{\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"},\"limits\":{\"cpu\":\"2\",\"memory\":\"1Gi\"}}}}}'\n")
	pr := r.Injector.ProxyResources
	if pr == nil || pr.Requests["cpu"] != "100m" || pr.Limits["memory"] != "1Gi" {
		t.Errorf("proxy resources = %+v", pr)
	}
	if r := resolve(t, ns("a", "x", "y")); r.Injector.ProxyResources != nil {
		t.Errorf("without the injector ConfigMap the defaults are unknown, got %+v", r.Injector.ProxyResources)
	}
}
