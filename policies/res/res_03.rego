# METADATA
# title: Personal-data sidecars have CPU and memory requests and limits
# description: >-
#   A sidecar without requests can be starved by its neighbours and one
#   without limits can starve them: either way the proxy in front of the
#   application becomes the outage. Istio's injector takes the sidecar's
#   requests and limits from the pod annotations sidecar.istio.io/proxyCPU,
#   proxyMemory, proxyCPULimit and proxyMemoryLimit when the pod sets any of
#   them, and then from those alone; only a pod that sets none gets the
#   injector's global defaults (values.global.proxy.resources of ConfigMap
#   istio-sidecar-injector). Without annotations and without that ConfigMap
#   in the snapshot, the sidecar's budget is not known: not assessed.
# custom:
#   id: RES-03
#   severity: low
#   articles: ["32(1)(b)"]
#   references:
#   - "Istio resource annotations: sidecar.istio.io/proxyCPU, proxyMemory, proxyCPULimit, proxyMemoryLimit"
#   - "Istio injection template (istio-sidecar-injector): annotations replace values.global.proxy.resources"
#   - "Kubernetes: resource management for pods and containers"
#   remediation: |
#     Budget the sidecar in the pod template (all four: once one is set,
#     Istio ignores the injector's defaults):
#       metadata:
#         annotations:
#           sidecar.istio.io/proxyCPU: 100m
#           sidecar.istio.io/proxyMemory: 128Mi
#           sidecar.istio.io/proxyCPULimit: "1"
#           sidecar.istio.io/proxyMemoryLimit: 512Mi
#     or set requests and limits in the injector's defaults
#     (values.global.proxy.resources) and no annotation.
#   requires: [configmaps, namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs]
package tilsyn.controls.res_03

import data.tilsyn.lib
import rego.v1

# [annotation, section of the injector defaults, resource]
budget := [
	["sidecar.istio.io/proxyCPU", "requests", "cpu"],
	["sidecar.istio.io/proxyMemory", "requests", "memory"],
	["sidecar.istio.io/proxyCPULimit", "limits", "cpu"],
	["sidecar.istio.io/proxyMemoryLimit", "limits", "memory"],
]

injector := input.facts.mesh.injector

injector_found if injector.source != "default"

defaults := object.get(injector, "proxyResources", {})

sidecars := [w | some w in lib.pd_workloads; w.dataplane == "sidecar"]

# annotated holds when the pod sets any of the four annotations: Istio's
# injection template then uses the annotations alone.
annotated(w) if {
	some [a, _, _] in budget
	object.get(w.annotations, a, "") != ""
}

missing_annotations(w) := [a |
	some [a, _, _] in budget
	object.get(w.annotations, a, "") == ""
]

missing_defaults := [sprintf("%s.%s", [section, res]) |
	some [_, section, res] in budget
	object.get(defaults, [section, res], "") == ""
]

findings contains f if {
	some w in sidecars
	annotated(w)
	gaps := missing_annotations(w)
	count(gaps) > 0
	f := {
		"resource": lib.workload_resource(w),
		"field": sprintf("%smetadata.annotations", [w.templatePath]),
		"value": gaps,
		"message": sprintf("%s %s/%s: the sidecar has no %s: the pod sets other sidecar.istio.io/proxy* annotations, so Istio takes the sidecar's resources from those alone, not from the injector's defaults", [w.kind, w.namespace, w.name, concat(", ", gaps)]),
	}
}

findings contains f if {
	some w in sidecars
	not annotated(w)
	injector_found
	count(missing_defaults) > 0
	f := {
		"resource": lib.workload_resource(w),
		"field": sprintf("%smetadata.annotations", [w.templatePath]),
		"value": [a | some [a, _, _] in budget],
		"message": sprintf("%s %s/%s: the sidecar has no %s: no sidecar.istio.io/proxy* annotation, and the injector's defaults (values.global.proxy.resources in ConfigMap %s) do not set them", [w.kind, w.namespace, w.name, concat(", ", missing_defaults), injector.source]),
	}
}

not_assessed contains {"resource": lib.workload_resource(w), "reason": "no sidecar.istio.io/proxy* annotation, and no injector ConfigMap istio-sidecar-injector in the snapshot: the sidecar's resources come from the injector's defaults, which were not collected"} if {
	some w in sidecars
	not annotated(w)
	not injector_found
}
