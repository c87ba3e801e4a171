# METADATA
# title: Node providerIDs agree with the labels, and providers' jurisdictions are known
# description: >-
#   spec.providerID is set by the cloud provider and names the zone the
#   instance really runs in (aws:///eu-north-1a/..., gce://project/zone/...):
#   a zone or region that contradicts the node's labels makes the labels
#   worthless as location evidence. The provider's headquarters decides
#   whose law can compel access to the data wherever it sits: a provider
#   headquartered outside the profile's allowed jurisdictions (e.g. subject
#   to the US CLOUD Act) is a third-country-law exposure that needs a
#   documented transfer impact assessment — the cluster cannot prove it
#   away. That finding is made once per provider, naming the first of its
#   nodes (the report's inventory.nodes lists them all). Nodes of providers
#   the profile does not describe are not assessed.
# custom:
#   id: LOC-02
#   severity: high
#   articles: ["28(1)", "32", "48"]
#   references:
#   - "Datatilsynet: use of cloud services subject to third-country law"
#   - "EDPB Guidelines 05/2021 on what is a transfer"
#   - "EDPB Recommendations 01/2020 v2.0, use case 6 (cloud provider needing cleartext)"
#   remediation: |
#     Correct the node labels (they are set by the cloud controller, so a
#     contradiction points at manual relabelling). Document a transfer impact
#     assessment for providers subject to third-country law, or describe your
#     own infrastructure in a profile:
#       spec:
#         extends: eea
#         providers:
#           on-premises: {name: Own data centre, headquarters: "NO"}
#   requires: [nodes]
package tilsyn.controls.loc_02

import rego.v1

nodes := input.facts.location.nodes

resource(n) := {"kind": "Node", "namespace": "", "name": n.name}

not_assessed contains {"reason": "no Node objects in the snapshot"} if count(nodes) == 0

not_assessed contains {"resource": resource(n), "reason": sprintf("the profile does not describe provider %q: its jurisdiction is unknown", [provider_name(n)])} if {
	some n in nodes
	n.provider.headquarters == "unknown"
}

provider_name(n) := n.provider.provider if n.provider.provider != ""

provider_name(n) := n.providerID.raw if n.provider.provider == ""

findings contains f if {
	some n in nodes
	region_differs(n)
	f := {
		"resource": resource(n),
		"field": "spec.providerID",
		"value": n.providerID.raw,
		"message": sprintf("node %s: the providerID places it in %s (%s) but %s says %s (%s)", [
			n.name, n.providerRegion.region, n.providerRegion.country, n.regionField, n.region.region, n.region.country,
		]),
	}
}

findings contains f if {
	some n in nodes
	object.get(n.providerID, "zone", "") != ""
	object.get(n, "zone", "") != ""
	n.providerID.zone != n.zone
	not region_differs(n)
	f := {
		"resource": resource(n),
		"field": "spec.providerID",
		"value": n.providerID.raw,
		"message": sprintf("node %s: the providerID names zone %s but %s says %s", [n.name, n.providerID.zone, n.zoneField, n.zone]),
	}
}

region_differs(n) if {
	object.get(n, ["providerRegion", "region"], "") != ""
	object.get(n.region, "region", "") != ""
	n.providerRegion.region != n.region.region
}

# Third-country-law exposure is a property of the provider: one finding per
# provider, naming the first of its nodes and counting the others.
exposed contains n.provider.provider if {
	some n in nodes
	n.provider.headquarters != "unknown"
	not n.provider.allowed
}

findings contains f if {
	some key in exposed
	names := sort([n.name | some n in nodes; n.provider.provider == key])
	some first in nodes
	first.name == names[0]
	f := {
		"resource": resource(first),
		"field": "spec.providerID",
		"value": first.providerID.raw,
		"severity": "medium",
		"message": sprintf("%s on %s, headquartered in %s: third-country law can compel access to the data wherever it is stored; this needs a documented transfer impact assessment and cannot be proven from the cluster", [
			node_list(names), first.provider.name, first.provider.headquarters,
		]),
	}
}

node_list(names) := sprintf("node %s runs", [names[0]]) if count(names) == 1

node_list(names) := sprintf("%d nodes (%s) run", [count(names), concat(", ", names)]) if {
	count(names) > 1
	count(names) <= 5
}

node_list(names) := sprintf("%d nodes (%s and %d more) run", [count(names), concat(", ", array.slice(names, 0, 5)), count(names) - 5]) if {
	count(names) > 5
}
