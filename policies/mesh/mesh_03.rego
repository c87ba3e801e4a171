# METADATA
# title: DestinationRules keep mesh traffic on Istio mutual TLS
# description: >-
#   A DestinationRule's tls block is used as written (top level, per port and
#   per subset). Toward a service in the mesh, DISABLE makes callers send
#   plaintext, and SIMPLE or MUTUAL replace the mesh identity with
#   certificates of their own, so the mesh can no longer vouch for who is
#   talking. Hosts outside the mesh are the subject of EGR-03.
# custom:
#   id: MESH-03
#   severity: high
#   articles: ["32(1)(a)"]
#   references:
#   - "Istio DestinationRule ClientTLSSettings reference"
#   - "EDPB Recommendations 01/2020 v2.0, use case 3 (data in transit)"
#   remediation: |
#     Remove the tls block (auto mTLS then applies) or use the mesh's own
#     certificates:
#       spec:
#         trafficPolicy:
#           tls:
#             mode: ISTIO_MUTUAL
#   requires: [destinationrules, services, serviceentries, namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs]
package tilsyn.controls.mesh_03

import data.tilsyn.lib
import rego.v1

findings contains f if {
	some fact in input.facts.destinationRules
	fact.target == "mesh"
	rule := input.resources.destinationrules[fact.ref.index]
	some block in lib.tls_blocks(rule.spec)
	mode := object.get(block[1], "mode", "DISABLE")
	mode in {"DISABLE", "SIMPLE", "MUTUAL"}
	problem := problems(mode, fact)
	f := {
		"resource": lib.object_resource(rule),
		"field": sprintf("%s.mode", [block[0]]),
		"value": mode,
		"message": sprintf("DestinationRule %s/%s, host %s: %s", [fact.namespace, fact.name, fact.host, problem]),
	}
}

problems(mode, fact) := "DISABLE makes callers send plaintext to a service in the mesh" if mode == "DISABLE"

problems(mode, fact) := msg if {
	mode in {"SIMPLE", "MUTUAL"}
	fact.meshBackends
	msg := sprintf("%s replaces the mesh's mutual TLS toward services with sidecars (%s)", [mode, concat(", ", fact.services)])
}

problems(mode, fact) := msg if {
	mode in {"SIMPLE", "MUTUAL"}
	fact.serviceCount == 0
	msg := sprintf("%s toward a cluster-local host whose Service was not found; assumed to be in the mesh", [mode])
}
