# METADATA
# title: The audit covers everything it needs
# description: >-
#   An audit is evidence only for what it saw. Every resource type tilsyn
#   reads must have been collected completely: a type that was forbidden,
#   absent or failed makes the controls that need it not assessed and the
#   verdict incomplete. The snapshot must also account for every type (a
#   coverage record for each) and must not claim to have been collected
#   after the audit time. The report carries the snapshot, policy and
#   profile digests and the tool version that tie it to its inputs.
# custom:
#   id: ACC-01
#   severity: info
#   articles: ["5(2)", "24(1)", "30(4)"]
#   references:
#   - "GDPR Art. 5(2): accountability"
#   - "Datatilsynet: documentation of security measures (Art. 24, 32)"
#   remediation: |
#     Grant the auditor read access to every resource type it lists (get and
#     list; Secrets by name only), install the CRDs it reads, or accept the
#     incomplete verdict with the gaps named.
package tilsyn.controls.acc_01

import rego.v1

not_assessed contains {"reason": reason(key, c)} if {
	some key, c in input.coverage
	c.status != "collected"
}

reason(key, c) := sprintf("%s %s: %s", [key, c.status, c.reason]) if c.reason != ""

reason(key, c) := sprintf("%s %s", [key, c.status]) if object.get(c, "reason", "") == ""

findings contains f if {
	some key in input.meta.resourceTypes
	not input.coverage[key]
	f := {
		"resource": {"kind": "Snapshot", "namespace": "", "name": "coverage"},
		"field": sprintf("coverage[%s]", [key]),
		"value": null,
		"message": sprintf("the snapshot has no coverage record for %s: whether it was collected cannot be told", [key]),
	}
}

findings contains f if {
	input.meta.collectedNs > input.meta.nowNs
	f := {
		"resource": {"kind": "Snapshot", "namespace": "", "name": "metadata"},
		"field": "metadata.collectedAt",
		"value": input.meta.collectedAt,
		"message": sprintf("the snapshot claims to have been collected at %s, after the audit time %s", [input.meta.collectedAt, input.meta.now]),
	}
}
