# METADATA
# title: External destinations outside the allowed countries have a transfer basis
# description: >-
#   Every host of a MESH_EXTERNAL ServiceEntry that personal-data workloads
#   can reach is a potential transfer. When the country serving it is
#   outside the profile's allowed countries — or unknown — the resource
#   owner must declare the basis of the transfer in the annotation
#   tilsyn.io/transfer-basis (adequacy, dpf, scc, bcr, derogation), or an
#   auditor must waive the finding. A declared basis is the owner's claim,
#   shown as such; adequacy is checked against the profile's list of
#   adequacy decisions. The transfer inventory in the report is the record
#   of Art. 30(1)(e).
# custom:
#   id: EGR-02
#   severity: high
#   articles: ["30(1)(e)", "44", "45", "46", "49"]
#   references:
#   - "CJEU C-311/18 Schrems II (16 July 2020)"
#   - "EDPB Recommendations 01/2020 v2.0 on supplementary measures"
#   - "EDPB Guidelines 05/2021 on what is a transfer"
#   - "Datatilsynet: transfers of personal data out of the EEA"
#   remediation: |
#     Establish the destination's country (profile spec.transfers.destinations,
#     or the owner's annotation tilsyn.io/destination-country) and declare the
#     basis on the ServiceEntry:
#       metadata:
#         annotations:
#           tilsyn.io/transfer-basis: scc
#     or remove the destination.
#   requires: [serviceentries, configmaps]
package tilsyn.controls.egr_02

import data.tilsyn.lib
import rego.v1

bases := data.tilsyn.profile.spec.transfers.bases

resource(d) := {"kind": d.source.kind, "namespace": d.source.namespace, "name": d.source.name}

where(d) := sprintf("served from %s (%s)", [d.country, d.countrySource]) if d.country != "unknown"

where(d) := "of unknown country" if d.country == "unknown"

transfers := [d | some d in input.facts.transfers; d.personalData; not d.allowed]

findings contains f if {
	some d in transfers
	d.basis == null
	f := {
		"resource": resource(d),
		"field": d.field,
		"value": d.host,
		"message": sprintf("%s %s/%s lets personal-data workloads reach %s, %s, with no declared transfer basis", [
			d.source.kind, d.source.namespace, d.source.name, d.host, where(d),
		]),
	}
}

findings contains f if {
	some d in transfers
	d.basis != null
	not d.basis.valid
	f := {
		"resource": resource(d),
		"field": d.basis.field,
		"value": d.basis.value,
		"message": sprintf("%s %s/%s declares transfer basis %q for %s (%s), which is not one of %s", [
			d.source.kind, d.source.namespace, d.source.name, d.basis.value, d.host, where(d), concat(", ", bases),
		]),
	}
}

findings contains f if {
	some d in transfers
	d.basis.valid
	d.basis.value == "adequacy"
	not d.adequacy
	f := {
		"resource": resource(d),
		"field": d.basis.field,
		"value": d.basis.value,
		"message": sprintf("%s %s/%s declares adequacy for %s, %s, but the profile lists no adequacy decision for %s", [
			d.source.kind, d.source.namespace, d.source.name, d.host, where(d), d.country,
		]),
	}
}
