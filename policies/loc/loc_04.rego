# METADATA
# title: Storage classes for personal data cannot provision outside allowed regions
# description: >-
#   A StorageClass used by claims in personal-data namespaces (by name, or
#   as the default class) decides where new volumes are created. Its
#   allowedTopologies and provider parameters that name a region or zone
#   must all be allowed. Without allowedTopologies, volumes follow the pod
#   (WaitForFirstConsumer) or the driver's choice (Immediate): either can be
#   any node's location, which fails when the cluster has nodes outside the
#   allowed countries or of unknown location.
# custom:
#   id: LOC-04
#   severity: medium
#   articles: ["25(1)", "25(2)"]
#   references:
#   - "Kubernetes StorageClass allowedTopologies and volumeBindingMode"
#   - "GDPR Art. 25: data protection by design and by default"
#   remediation: |
#     Restrict the class to allowed zones:
#       apiVersion: storage.k8s.io/v1
#       kind: StorageClass
#       metadata:
#         name: gp3-stockholm
#       provisioner: ebs.csi.aws.com
#       volumeBindingMode: WaitForFirstConsumer
#       allowedTopologies:
#       - matchLabelExpressions:
#         - key: topology.ebs.csi.aws.com/zone
#           values: [eu-north-1a, eu-north-1b, eu-north-1c]
#   requires: [storageclasses, persistentvolumeclaims, namespaces, nodes]
package tilsyn.controls.loc_04

import data.tilsyn.lib
import rego.v1

used contains sc if {
	some sc in input.facts.location.storageClasses
	sc.personalDataClaims > 0
}

resource(sc) := {"kind": "StorageClass", "namespace": "", "name": sc.name}

findings contains f if {
	some sc in used
	some e in array.concat(sc.topology, sc.parameters)
	not lib.allowed_country(e.country)
	f := {
		"resource": resource(sc),
		"field": e.field,
		"value": e.value,
		"message": sprintf("StorageClass %s (used by %d personal-data claims) can provision in %s, %s", [sc.name, sc.personalDataClaims, e.value, where(e.country)]),
	}
}

where(c) := sprintf("which is in %s: not an allowed country", [c]) if c != "unknown"

where(c) := "which the profile's region tables do not know" if c == "unknown"

# Countries of nodes that are not allowed ("unknown" included).
elsewhere := sort([c | some c, _ in input.facts.location.nodeCountries; not lib.allowed_country(c)])

findings contains f if {
	some sc in used
	count(sc.topology) == 0
	count(elsewhere) > 0
	f := {
		"resource": resource(sc),
		"field": "allowedTopologies",
		"value": null,
		"message": sprintf("StorageClass %s (used by %d personal-data claims, volumeBindingMode %s) has no allowedTopologies, and the cluster has nodes in %s: its volumes can be created there", [
			sc.name, sc.personalDataClaims, sc.volumeBindingMode, concat(", ", elsewhere),
		]),
	}
}

not_assessed contains {"resource": resource(sc), "reason": "no allowedTopologies and no Node objects in the snapshot: where its volumes can be created cannot be told"} if {
	some sc in used
	count(sc.topology) == 0
	count(input.facts.location.nodeCountries) == 0
}
