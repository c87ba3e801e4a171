# METADATA
# title: No proxy bypass on personal-data workloads
# description: >-
#   The annotations traffic.sidecar.istio.io/excludeInboundPorts,
#   excludeOutboundPorts, excludeOutboundIPRanges and excludeInterfaces make
#   traffic bypass the sidecar: it is neither encrypted by the mesh nor
#   subject to its egress policy, and does not appear in the mesh's record
#   of where data goes.
# custom:
#   id: MESH-05
#   severity: medium
#   articles: ["32(1)(a)", "30(1)(e)"]
#   references:
#   - "Istio resource annotations: traffic.sidecar.istio.io/*"
#   remediation: |
#     Remove the exclusion annotations from the pod template; if a port must
#     bypass the proxy, document why and cover it with a waiver.
#   requires: [namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs]
package tilsyn.controls.mesh_05

import data.tilsyn.lib
import rego.v1

bypass := {
	"traffic.sidecar.istio.io/excludeInboundPorts": "inbound ports",
	"traffic.sidecar.istio.io/excludeOutboundPorts": "outbound ports",
	"traffic.sidecar.istio.io/excludeOutboundIPRanges": "outbound IP ranges",
	"traffic.sidecar.istio.io/excludeInterfaces": "network interfaces",
}

findings contains f if {
	some w in lib.pd_workloads
	some name, what in bypass
	value := w.annotations[name]
	trim_space(value) != ""
	f := {
		"resource": lib.workload_resource(w),
		"field": sprintf("%smetadata.annotations[%s]", [w.templatePath, name]),
		"value": value,
		"message": sprintf("%s %s/%s excludes %s %s from the sidecar: that traffic bypasses mesh encryption", [w.kind, w.namespace, w.name, what, value]),
	}
}
