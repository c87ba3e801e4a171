# METADATA
# title: Navnerom med personopplysninger har en behandlingsansvarlig – æøå ÆØÅ é
# description: >-
#   Hvert navnerom som behandler personopplysninger skal ha merknaden
#   tilsyn.io/behandlingsansvarlig, slik at det går fram hvem som svarer for
#   behandlingen (Personvernforordningen art. 5 nr. 2, ansvarlighet).
# custom:
#   id: NO-01
#   severity: low
#   articles: ["5(2)", "30(1)(a)"]
#   references:
#   - "Datatilsynet: Behandlingsprotokoll – veileder for virksomheter"
#   remediation: |
#     Sett merknaden på navnerommet, for eksempel:
#       kubectl annotate namespace <navnerom> tilsyn.io/behandlingsansvarlig="Økonomiavdelingen, Tromsø"
#   requires: [namespaces]
package tilsyn.controls.no_01

import data.tilsyn.lib
import rego.v1

findings contains f if {
	some ns in input.resources.namespaces
	lib.in_scope(ns.metadata.name)
	not ns.metadata.annotations["tilsyn.io/behandlingsansvarlig"]
	f := {
		"resource": {"kind": "Namespace", "name": ns.metadata.name},
		"field": "metadata.annotations[tilsyn.io/behandlingsansvarlig]",
		"value": null,
		"message": sprintf("Navnerommet «%s» mangler behandlingsansvarlig (påkrevd før overføring – særlig viktig)", [ns.metadata.name]),
	}
}
