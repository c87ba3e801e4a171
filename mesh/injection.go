package mesh

import (
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/tilsyn/tilsyn/collect"
)

// InjectorConfig is the part of the sidecar injector's configuration
// (ConfigMap istio-sidecar-injector, key "config") that changes injection
// decisions.
type InjectorConfig struct {
	// Policy is "enabled" (the default) or "disabled"; when disabled, only
	// pods that ask for injection explicitly get a sidecar.
	Policy string `json:"policy"`
	// Source is "namespace/name" of the ConfigMap, or "default".
	Source string `json:"source"`
	// ProxyResources are the sidecar's default requests and limits
	// (values.global.proxy.resources), nil when the ConfigMap was not
	// found or does not set them.
	ProxyResources *ProxyResources `json:"proxyResources,omitempty"`
}

// ProxyResources are the default resources of injected sidecars.
type ProxyResources struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// InjectorFromSnapshot reads the injector policy from the ConfigMap
// istio-sidecar-injector in the root namespace, if collected.
func InjectorFromSnapshot(s *collect.Snapshot, rootNamespace string) InjectorConfig {
	cfg := InjectorConfig{Policy: "enabled", Source: "default"}
	for _, cm := range s.Resources[collect.ConfigMaps] {
		m := nameMeta(cm)
		if m.Name != "istio-sidecar-injector" || m.Namespace != rootNamespace {
			continue
		}
		var parsed struct {
			Policy string `json:"policy"`
		}
		if err := yaml.Unmarshal([]byte(collect.Str(cm, "data", "config")), &parsed); err == nil && parsed.Policy != "" {
			cfg.Policy = strings.ToLower(parsed.Policy)
		}
		var values struct {
			Global struct {
				Proxy struct {
					Resources ProxyResources `json:"resources"`
				} `json:"proxy"`
			} `json:"global"`
		}
		if err := yaml.Unmarshal([]byte(collect.Str(cm, "data", "values")), &values); err == nil {
			if r := values.Global.Proxy.Resources; len(r.Requests) > 0 || len(r.Limits) > 0 {
				cfg.ProxyResources = &r
			}
		}
		cfg.Source = m.Namespace + "/" + m.Name
	}
	return cfg
}

// truthy is istiod's reading of the inject label or annotation value
// (pkg/kube/inject: "y", "yes", "true", "on").
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "y", "yes", "true", "on":
		return true
	}
	return false
}

// decideInjection applies the injection rules to a pod that has not been
// created yet (a pod template or a pod manifest), as Istio's default
// MutatingWebhookConfiguration and injector do:
//
//   - hostNetwork pods are never injected;
//   - a namespace labelled istio-injection=enabled (or istio.io/rev=<rev>
//     without istio-injection) sends every pod to the injector, except pods
//     labelled sidecar.istio.io/inject=false; the injector then reads the
//     pod's sidecar.istio.io/inject label, or the annotation of the same
//     name when there is no label (the label wins), and otherwise follows
//     its policy;
//   - a namespace with istio-injection set to anything else (disabled)
//     is excluded from every injection webhook, whatever the pod says;
//   - in an unlabelled namespace, only pods labelled
//     sidecar.istio.io/inject=true or istio.io/rev=<rev> are injected (the
//     annotation alone does not reach a webhook).
//
// A pod without a sidecar is in the ambient mesh when it, or else its
// namespace, is labelled istio.io/dataplane-mode=ambient.
func decideInjection(nsLabels, labels, annotations map[string]string, hostNetwork bool, path string, inj InjectorConfig) (string, Decision) {
	lblPath := path + "metadata.labels[" + labelInject + "]"
	annPath := path + "metadata.annotations[" + labelInject + "]"
	if hostNetwork {
		return DataplaneNone, Decision{Field: path + "spec.hostNetwork", Value: "true",
			Reason: "istiod never injects hostNetwork pods, and ambient does not capture them"}
	}
	podLabel, hasPodLabel := labels[labelInject]
	nsInjection, hasNSInjection := nsLabels[labelNSInjection]
	nsRev, hasNSRev := nsLabels[labelRev]
	podRev, hasPodRev := labels[labelRev]

	inject := false
	var d Decision
	switch {
	case hasNSInjection && nsInjection != "enabled":
		d = Decision{Field: "namespace metadata.labels[" + labelNSInjection + "]", Value: nsInjection,
			Reason: "the namespace is labelled " + labelNSInjection + "=" + nsInjection + ", which excludes it from every injection webhook"}
	case nsInjection == "enabled" || hasNSRev:
		via := labelNSInjection + "=enabled"
		if !hasNSInjection {
			via = labelRev + "=" + nsRev
		}
		switch {
		case hasPodLabel && podLabel == "false":
			d = Decision{Field: lblPath, Value: podLabel, Reason: "the pod template opts out of injection"}
		case hasPodLabel:
			inject = truthy(podLabel)
			d = Decision{Field: lblPath, Value: podLabel, Reason: "the pod label decides injection"}
		case annotations[labelInject] != "":
			v := annotations[labelInject]
			inject = truthy(v)
			d = Decision{Field: annPath, Value: v, Reason: "the pod annotation decides injection"}
		case inj.Policy == "disabled":
			d = Decision{Field: "injector policy", Value: "disabled",
				Reason: "the injector policy is disabled and the pod does not ask for injection"}
		default:
			inject = true
			d = Decision{Field: "namespace metadata.labels[" + strings.SplitN(via, "=", 2)[0] + "]", Value: strings.SplitN(via, "=", 2)[1],
				Reason: "the namespace is labelled " + via}
		}
	case hasPodLabel && podLabel == "true":
		inject = true
		d = Decision{Field: lblPath, Value: podLabel, Reason: "the pod label asks for injection"}
	case hasPodRev && podLabel != "false":
		inject = true
		d = Decision{Field: path + "metadata.labels[" + labelRev + "]", Value: podRev, Reason: "the pod label selects injector revision " + podRev}
	default:
		d = Decision{Field: "namespace metadata.labels[" + labelNSInjection + "]", Value: "(absent)",
			Reason: "neither the namespace nor the pod asks for sidecar injection"}
		if hasPodLabel {
			d = Decision{Field: lblPath, Value: podLabel, Reason: "the pod label does not ask for injection and the namespace is not labelled for it"}
		}
	}
	if inject {
		return DataplaneSidecar, d
	}
	// Not injected: is it captured by ambient instead?
	switch labels[labelDataplaneMode] {
	case "ambient":
		return DataplaneAmbient, Decision{Field: path + "metadata.labels[" + labelDataplaneMode + "]", Value: "ambient",
			Reason: "the pod is enrolled in the ambient mesh"}
	case "none":
		d.Reason += "; the pod also opts out of ambient (" + labelDataplaneMode + "=none)"
		return DataplaneNone, d
	}
	if nsLabels[labelDataplaneMode] == "ambient" {
		return DataplaneAmbient, Decision{Field: "namespace metadata.labels[" + labelDataplaneMode + "]", Value: "ambient",
			Reason: "the namespace is enrolled in the ambient mesh"}
	}
	return DataplaneNone, d
}
