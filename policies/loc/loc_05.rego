# METADATA
# title: Personal-data workloads are pinned to allowed regions in mixed clusters
# description: >-
#   When a cluster's nodes span allowed and other (or unknown) locations, the
#   scheduler may place any pod on any of them. A personal-data workload
#   needs a nodeSelector or required node affinity on a region, zone or
#   hostname key whose values are all allowed. In a cluster whose nodes are
#   all in allowed countries, nothing needs pinning.
# custom:
#   id: LOC-05
#   severity: low
#   articles: ["25(1)"]
#   references:
#   - "Kubernetes: assigning pods to nodes (nodeSelector, node affinity)"
#   - "GDPR Art. 25: data protection by design and by default"
#   remediation: |
#     Pin the pod template to allowed regions:
#       spec:
#         template:
#           spec:
#             nodeSelector:
#               topology.kubernetes.io/region: eu-north-1
#   requires: [nodes, namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs]
package tilsyn.controls.loc_05

import data.tilsyn.lib
import rego.v1

countries := input.facts.location.nodeCountries

elsewhere := sort([c | some c, _ in countries; not lib.allowed_country(c)])

elsewhere_text := concat(", ", elsewhere)

mixed if {
	some c, _ in countries
	lib.allowed_country(c)
	count(elsewhere) > 0
}

not_assessed contains {"reason": "no Node objects in the snapshot: whether the cluster spans other locations cannot be told"} if {
	count(countries) == 0
}

key(w) := concat("/", [w.namespace, w.kind, w.name])

findings contains f if {
	mixed
	some w in lib.pd_workloads
	not input.facts.location.placement[key(w)]
	f := {
		"resource": lib.workload_resource(w),
		"field": sprintf("%s.nodeSelector", [lib.pod_spec_field(w)]),
		"value": null,
		"message": sprintf("%s %s/%s processes personal data and is not pinned to a region, in a cluster with nodes in %s", [
			w.kind, w.namespace, w.name, elsewhere_text,
		]),
	}
}

findings contains f if {
	some w in lib.pd_workloads
	pl := input.facts.location.placement[key(w)]
	some pin in pl.pins
	not lib.allowed_country(pin.country)
	f := {
		"resource": lib.workload_resource(w),
		"field": pin.field,
		"value": pin.value,
		"severity": "medium",
		"message": sprintf("%s %s/%s processes personal data and is pinned to %s %s, in %s", [
			w.kind, w.namespace, w.name, pin.key, pin.value, pin.country,
		]),
	}
}
