# METADATA
# description: Helpers shared by tilsyn's controls.
package tilsyn.lib

import rego.v1

# in_scope(ns) holds when namespace ns processes personal data.
in_scope(ns) if input.facts.scope.inScope[ns]

# pd_workloads are the workloads in personal-data namespaces. An array,
# not a set: a set would hash every workload object to build it.
pd_workloads := [w | some w in input.facts.workloads; in_scope(w.namespace)]

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

# collected(key) holds when a resource type was collected completely.
collected(key) if input.coverage[key].status == "collected"

# allowed_countries is the profile's list as a set, for lookups.
allowed_countries := {c | some c in data.tilsyn.profile.spec.location.allowedCountries}

# allowed_country(c) holds when the profile allows personal data in c.
allowed_country(c) if c in data.tilsyn.profile.spec.location.allowedCountries

# valid_basis(d) holds when a destination's owner declared a basis the
# profile accepts.
valid_basis(d) if d.basis.valid

# mesh_config is meshConfig as written ({} when no mesh ConfigMap was found).
mesh_config := input.facts.mesh.raw

# mesh_config_found holds when the mesh ConfigMap was in the snapshot.
mesh_config_found if input.facts.mesh.source != "default"

# mesh_config_resource names the ConfigMap holding meshConfig.
mesh_config_resource := {"kind": "ConfigMap", "namespace": parts[0], "name": parts[1]} if {
	parts := split(input.facts.mesh.source, "/")
	count(parts) == 2
}

mesh_config_resource := {"kind": "ConfigMap", "namespace": input.facts.mesh.rootNamespace, "name": "istio"} if {
	not mesh_config_found
}

# pod_spec_field(w) is the pod spec's path as written in findings.
pod_spec_field(w) := concat("", [w.templatePath, "spec"])

# tls_blocks(spec) yields [path, tls] for every tls block of a
# DestinationRule spec: top level, per port, per subset.
tls_blocks(spec) := array.concat(
	array.concat(top_tls(spec), port_tls(object.get(spec, "trafficPolicy", {}), "spec.trafficPolicy")),
	subset_tls(spec),
)

top_tls(spec) := [["spec.trafficPolicy.tls", spec.trafficPolicy.tls]] if spec.trafficPolicy.tls

top_tls(spec) := [] if not spec.trafficPolicy.tls

port_tls(tp, prefix) := [[sprintf("%s.portLevelSettings[%d].tls", [prefix, i]), p.tls] |
	some i, p in object.get(tp, "portLevelSettings", [])
	p.tls
]

subset_tls(spec) := [b |
	some i, s in object.get(spec, "subsets", [])
	tp := s.trafficPolicy
	has_tls(tp)
	prefix := sprintf("spec.subsets[%d].trafficPolicy", [i])
	some b in array.concat(subset_top_tls(tp, prefix), port_tls(tp, prefix))
]

# has_tls(tp) holds when a traffic policy has a tls block, at the top or
# on a port: most subsets have none, and need no path written.
has_tls(tp) if tp.tls

has_tls(tp) if {
	some p in tp.portLevelSettings
	p.tls
}

subset_top_tls(tp, prefix) := [[sprintf("%s.tls", [prefix]), tp.tls]] if tp.tls

subset_top_tls(tp, prefix) := [] if not tp.tls

# days(ns) converts nanoseconds to whole days (rounded down).
days(ns) := floor(ns / 86400000000000)
