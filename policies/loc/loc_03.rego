# METADATA
# title: Personal-data volumes are in allowed regions
# description: >-
#   A PersistentVolume bound to a claim in a personal-data namespace holds
#   personal data at rest. Its spec.nodeAffinity (standard topology keys and
#   CSI drivers' own, such as topology.ebs.csi.aws.com/zone,
#   topology.gke.io/zone and topology.disk.csi.azure.com/zone, or a
#   kubernetes.io/hostname pin resolved through the node) and its topology
#   labels say where it is. Evidence outside the allowed countries, or of a
#   region the profile does not know, fails; a volume with no location
#   evidence at all is of unknown location.
# custom:
#   id: LOC-03
#   severity: critical
#   articles: ["44", "32"]
#   references:
#   - "CJEU C-311/18 Schrems II (16 July 2020)"
#   - "Kubernetes PersistentVolume node affinity"
#   remediation: |
#     Move the data to a volume provisioned in an allowed zone (snapshot and
#     restore), and restrict the class (LOC-04):
#       allowedTopologies:
#       - matchLabelExpressions:
#         - key: topology.kubernetes.io/zone
#           values: [eu-north-1a, eu-north-1b, eu-north-1c]
#   requires: [persistentvolumes, namespaces, nodes]
package tilsyn.controls.loc_03

import data.tilsyn.lib
import rego.v1

resource(v) := {"kind": "PersistentVolume", "namespace": "", "name": v.name}

describe(v) := sprintf("volume %s (claim %s/%s, class %s, %s)", [
	v.name, v.claim.namespace, v.claim.name, object.get(v, "storageClass", "none"), object.get(v, "size", "size unknown"),
])

findings contains f if {
	some v in input.facts.location.volumes
	some e in v.evidence
	not lib.allowed_country(e.country)
	f := {
		"resource": resource(v),
		"field": e.field,
		"value": e.value,
		"message": sprintf("%s holds personal data in %s %s, %s", [describe(v), e.key, e.value, where(e)]),
	}
}

where(e) := sprintf("which is in %s: not an allowed country", [e.country]) if e.country != "unknown"

where(e) := "which the profile's region tables do not know: unknown, so not allowed" if e.country == "unknown"

not_assessed contains {"resource": {"kind": "PersistentVolumeClaim", "namespace": m.claim.namespace, "name": m.claim.name}, "reason": sprintf("bound to PersistentVolume %s, which is not in the snapshot", [m.volume])} if {
	some m in object.get(input.facts.location, "missingVolumes", [])
}

findings contains f if {
	some v in input.facts.location.volumes
	count(v.evidence) == 0
	f := {
		"resource": resource(v),
		"field": "spec.nodeAffinity",
		"value": null,
		"severity": "medium",
		"message": sprintf("%s has no location evidence (no topology in spec.nodeAffinity or its labels): where the personal data is stored is unknown", [describe(v)]),
	}
}
