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
	f := {
		"resource": {"kind": row.workload.kind, "namespace": row.namespace, "name": row.workload.name},
		"field": field(row),
		"value": row.mode,
		"severity": severity[row.mode],
		"message": sprintf("%s %s/%s accepts %s on %s (decided by %s)%s", [
			row.workload.kind, row.namespace, row.workload.name, row.mode, port_text(row), decided_by(row), note(row),
		]),
	}
}

port_text(row) := "every port" if row.port == 0

port_text(row) := sprintf("port %d", [row.port]) if row.port != 0

decided_by(row) := "no PeerAuthentication: istiod's default" if row.policy == "default"

decided_by(row) := sprintf("PeerAuthentication %s", [row.policy]) if row.policy != "default"

field(row) := "effective mTLS mode (no PeerAuthentication applies)" if row.policy == "default"

field(row) := sprintf("PeerAuthentication %s %s", [row.policy, row.field]) if row.policy != "default"

note(row) := sprintf(" — %s", [row.note]) if row.note != ""

note(row) := "" if not row.note
