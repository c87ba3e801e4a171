# METADATA
# title: Personal-data sidecars have CPU and memory requests and limits
# description: >-
#   A sidecar without requests can be starved by its neighbours and one
#   without limits can starve them: either way the proxy in front of the
#   application becomes the outage. Requests and limits come from the pod
#   annotations sidecar.istio.io/proxyCPU, proxyMemory, proxyCPULimit and
#   proxyMemoryLimit, or else from the injector's global defaults
#   (values.global.proxy.resources of ConfigMap istio-sidecar-injector) when
#   that ConfigMap is in the snapshot.
# custom:
#   id: RES-03
#   severity: low
#   articles: ["32(1)(b)"]
#   references:
#   - "Istio resource annotations: sidecar.istio.io/proxyCPU, proxyMemory, proxyCPULimit, proxyMemoryLimit"
#   - "Kubernetes: resource management for pods and containers"
#   remediation: |
#     Budget the sidecar in the pod template:
#       metadata:
#         annotations:
#           sidecar.istio.io/proxyCPU: 100m
#           sidecar.istio.io/proxyMemory: 128Mi
#           sidecar.istio.io/proxyCPULimit: "1"
#           sidecar.istio.io/proxyMemoryLimit: 512Mi
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

defaults := object.get(input.facts.mesh, ["injector", "proxyResources"], {})

missing(w) := [a |
	some [a, section, res] in budget
	object.get(w.annotations, a, "") == ""
	object.get(defaults, [section, res], "") == ""
]

findings contains f if {
	some w in lib.pd_workloads
	w.dataplane == "sidecar"
	gaps := missing(w)
	count(gaps) > 0
	f := {
		"resource": lib.workload_resource(w),
		"field": sprintf("%smetadata.annotations", [w.templatePath]),
		"value": gaps,
		"message": sprintf("%s %s/%s: the sidecar has no %s (no annotation, and %s)", [w.kind, w.namespace, w.name, concat(", ", gaps), injector_text]),
	}
}

injector_text := "the injector's defaults do not set them" if input.facts.mesh.injector.source != "default"

injector_text := "no injector ConfigMap istio-sidecar-injector in the snapshot to give defaults" if input.facts.mesh.injector.source == "default"
