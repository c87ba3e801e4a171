# METADATA
# title: Nodes run in allowed regions
# description: >-
#   Where a node runs is where the personal data it processes is. The region
#   comes from the node's topology.kubernetes.io/region label (or the legacy
#   failure-domain.beta.kubernetes.io/region, or else the region of its zone
#   label) and is mapped to a country with the profile's region tables,
#   exactly: eu-west-2 is London and eu-central-2 Zurich whatever their
#   names suggest. A region outside the allowed countries, or unknown to the
#   profile, is not allowed; a node without any location label is of
#   unknown location.
# custom:
#   id: LOC-01
#   severity: critical
#   articles: ["44", "30(1)(e)"]
#   references:
#   - "CJEU C-311/18 Schrems II (16 July 2020)"
#   - "EDPB Guidelines 05/2021 on what is a transfer"
#   - "Kubernetes well-known labels: topology.kubernetes.io/region"
#   remediation: |
#     Move the node pool into an allowed region, or for on-premises sites map
#     the region name to its country in a profile:
#       spec:
#         extends: eea
#         location:
#           regions:
#             onprem:
#               oslo-1: "NO"
#   requires: [nodes]
package tilsyn.controls.loc_01

import data.tilsyn.lib
import rego.v1

nodes := input.facts.location.nodes

not_assessed contains {"reason": "no Node objects in the snapshot: where workloads run cannot be told"} if count(nodes) == 0

findings contains f if {
	some n in nodes
	object.get(n, "regionField", "") == ""
	f := {
		"resource": {"kind": "Node", "namespace": "", "name": n.name},
		"field": "metadata.labels[topology.kubernetes.io/region]",
		"value": null,
		"severity": "medium",
		"message": sprintf("node %s has no region or zone label: its location is unknown", [n.name]),
	}
}

findings contains f if {
	some n in nodes
	object.get(n, "regionField", "") != ""
	not lib.allowed_country(n.country)
	f := {
		"resource": {"kind": "Node", "namespace": "", "name": n.name},
		"field": n.regionField,
		"value": n.region.value,
		"message": sprintf("node %s runs in %s, %s", [n.name, n.region.value, where(n)]),
	}
}

where(n) := sprintf("which is in %s: not an allowed country", [n.country]) if n.country != "unknown"

where(n) := "a region the profile's tables do not know: unknown, so not allowed" if n.country == "unknown"
