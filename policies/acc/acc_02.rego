# METADATA
# title: Waivers are complete, current and used
# description: >-
#   A waiver is an auditor's accepted risk: it must name the control and
#   resources, say why, who approved it and when it expires. An expired or
#   incomplete waiver waives nothing, and one that matches no finding is
#   stale or mistyped; each is reported so that the waiver file stays an
#   accurate record. Transfer bases declared by resource owners (annotation
#   tilsyn.io/transfer-basis) are not waivers and are shown apart.
# custom:
#   id: ACC-02
#   severity: medium
#   articles: ["5(2)"]
#   phase: waivers
#   references:
#   - "GDPR Art. 5(2): accountability"
#   - "ISO/IEC 27001:2022 clause 6.1.3 (risk treatment and acceptance)"
#   remediation: |
#     Renew or remove expired waivers, complete incomplete ones and correct
#     or remove unmatched ones:
#       - id: W-2026-014
#         control: EGR-02
#         resources:
#         - {kind: ServiceEntry, namespace: payments, name: card-processor}
#         justification: SCCs signed 2026-03-01; transfer impact assessment TIA-7
#         approvedBy: Kari Nordmann, DPO
#         expires: 2027-03-31
package tilsyn.controls.acc_02

import rego.v1

resource(w) := {"kind": "Waiver", "namespace": "", "name": w.ref}

findings contains f if {
	some w in input.waivers
	w.status == "expired"
	f := {
		"resource": resource(w),
		"field": "expires",
		"value": w.expires,
		"message": sprintf("waiver %s for %s expired (%s) and waives nothing", [w.ref, w.control, w.expires]),
	}
}

findings contains f if {
	some w in input.waivers
	w.status == "incomplete"
	some p in w.problems
	f := {
		"resource": resource(w),
		"field": p.field,
		"value": p.value,
		"message": sprintf("waiver %s is incomplete and waives nothing: %s %s", [w.ref, p.field, p.message]),
	}
}

findings contains f if {
	some w in input.waivers
	w.status == "unmatched"
	f := {
		"resource": resource(w),
		"field": "resources",
		"value": w.resources,
		"message": sprintf("waiver %s for %s matches no finding of this audit: remove it or correct its resources", [w.ref, w.control]),
	}
}
