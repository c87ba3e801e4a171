# METADATA
# title: Personal-data workloads run inside the mesh
# description: >-
#   A workload without a sidecar (and not captured by ambient ztunnel) sends
#   and receives plaintext whatever the PeerAuthentications say. The decision
#   follows the injection rules: hostNetwork pods are never injected, the pod
#   label sidecar.istio.io/inject beats the annotation, otherwise the
#   namespace label istio-injection or istio.io/rev decides; for running pods
#   the istio-proxy container is the proof.
# custom:
#   id: MESH-04
#   severity: high
#   articles: ["32(1)(a)"]
#   references:
#   - "Istio: sidecar injection and ambient enrolment"
#   remediation: |
#     Label the namespace for injection and restart the workload:
#       kubectl label namespace <namespace> istio-injection=enabled
#     and remove sidecar.istio.io/inject: "false" from the pod template.
#   requires: [namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs, configmaps]
package tilsyn.controls.mesh_04

import data.tilsyn.lib
import rego.v1

findings contains f if {
	some w in lib.pd_workloads
	w.dataplane == "none"
	f := {
		"resource": lib.workload_resource(w),
		"field": w.injection.field,
		"value": w.injection.value,
		"message": sprintf("%s %s/%s is not in the mesh: %s", [w.kind, w.namespace, w.name, w.injection.reason]),
	}
}
