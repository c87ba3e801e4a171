# METADATA
# title: Mesh-wide mutual TLS is STRICT
# description: >-
#   A PeerAuthentication in the mesh root namespace without a selector sets the
#   mTLS mode every workload accepts unless a narrower policy overrides it.
#   Without one, istiod starts from PERMISSIVE: workloads accept plaintext as
#   well as mTLS, so nothing proves that personal data is encrypted in transit.
# custom:
#   id: MESH-01
#   severity: high
#   articles: ["5(1)(f)", "25(1)", "32(1)(a)"]
#   references:
#   - "EDPB Recommendations 01/2020 v2.0, use case 3 (data in transit)"
#   - "Datatilsynet: encryption in transit as a security measure (Art. 32)"
#   - "Istio PeerAuthentication reference"
#   remediation: |
#     Apply a mesh-wide STRICT policy in the root namespace:
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: istio-system
#       spec:
#         mtls:
#           mode: STRICT
#   requires: [peerauthentications, configmaps]
package tilsyn.controls.mesh_01

import rego.v1

root := input.facts.mesh.rootNamespace

winner := input.facts.peerAuthentication.mesh

findings contains f if {
	winner == null
	f := {
		"resource": {"kind": "PeerAuthentication", "namespace": root, "name": "(none)"},
		"field": "spec.mtls.mode",
		"value": "absent",
		"message": sprintf("no mesh-wide PeerAuthentication (no selector) in root namespace %s: istiod's default PERMISSIVE applies, so workloads without their own policy accept plaintext", [root]),
	}
}

findings contains f if {
	winner != null
	winner.mode != "STRICT"
	f := {
		"resource": {"kind": "PeerAuthentication", "namespace": winner.namespace, "name": winner.name},
		"field": "spec.mtls.mode",
		"value": winner.mode,
		"message": sprintf("the mesh-wide PeerAuthentication %s/%s sets %s; only STRICT refuses plaintext (UNSET means PERMISSIVE at mesh level)", [winner.namespace, winner.name, winner.mode]),
	}
}
