# METADATA
# description: Helpers shared by tilsyn's controls.
package tilsyn.lib

import rego.v1

# in_scope(ns) holds when namespace ns processes personal data.
in_scope(ns) if input.facts.scope.inScope[ns]

# pd_workloads are the workloads in personal-data namespaces.
pd_workloads contains w if {
	some w in input.facts.workloads
	in_scope(w.namespace)
}

# workload_resource(w) names a workload in a finding.
workload_resource(w) := {"kind": w.kind, "namespace": w.namespace, "name": w.name}

# object_resource(o) names a Kubernetes object in a finding.
object_resource(o) := {
	"kind": o.kind,
	"namespace": object.get(o.metadata, "namespace", ""),
	"name": o.metadata.name,
}

# policy_resource(p) names a PeerAuthentication fact in a finding.
policy_resource(p) := {"kind": "PeerAuthentication", "namespace": p.namespace, "name": p.name}

# Workload inputs: every control that reads input.facts.workloads needs these.
workload_inputs := [
	"namespaces", "pods", "deployments", "statefulsets", "daemonsets",
	"replicasets", "jobs", "cronjobs",
]
