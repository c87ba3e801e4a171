# METADATA
# title: Personal-data workloads resolve to STRICT mTLS on every port
# description: >-
#   The effective mode of every workload and port in a personal-data
#   namespace, resolved exactly as istiod does (mesh, namespace and workload
#   PeerAuthentications, oldest wins, port-level overrides from the workload
#   policy). PERMISSIVE accepts plaintext; DISABLE refuses mTLS altogether.
# custom:
#   id: MESH-02
#   severity: high
#   articles: ["32(1)(a)", "25(2)"]
#   references:
#   - "EDPB Recommendations 01/2020 v2.0, use case 3 (data in transit)"
#   - "Istio: PeerAuthentication policy precedence"
#   remediation: |
#     Set the namespace or workload policy to STRICT, and remove port-level
#     DISABLE/PERMISSIVE overrides:
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: <namespace>
#       spec:
#         mtls:
#           mode: STRICT
#   requires: [peerauthentications, configmaps, namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs]
package tilsyn.controls.mesh_02

import data.tilsyn.lib
import rego.v1

severity := {"PERMISSIVE": "medium", "DISABLE": "high"}

findings contains f if {
	some row in input.facts.mtls
	lib.in_scope(row.namespace)
	row.mode != "STRICT"
	kind := row.workload.kind
	name := row.workload.name
	f := {
		"resource": {"kind": kind, "namespace": row.namespace, "name": name},
		"field": field(row.policy, row.field),
		"value": row.mode,
		"severity": severity[row.mode],
		"message": sprintf("%s %s/%s accepts %s on %s (decided by %s)%s", [
			kind, row.namespace, name, row.mode, port_text(row.port), decided_by(row.policy), note(object.get(row, "note", "")),
		]),
	}
}

port_text(0) := "every port"

port_text(port) := sprintf("port %d", [port]) if port != 0

decided_by("default") := "no PeerAuthentication: istiod's default"

decided_by(policy) := sprintf("PeerAuthentication %s", [policy]) if policy != "default"

field("default", _) := "effective mTLS mode (no PeerAuthentication applies)"

field(policy, path) := sprintf("PeerAuthentication %s %s", [policy, path]) if policy != "default"

note("") := ""

note(text) := sprintf(" — %s", [text]) if text != ""
