package tilsyn.controls.acc_02_test

import data.tilsyn.controls.acc_02
import rego.v1

waiver(status, extra) := object.union({
	"ref": "W-1", "control": "EGR-02", "resources": [{"kind": "ServiceEntry", "namespace": "pay", "name": "x"}],
	"justification": "j", "approvedBy": "DPO", "expires": "2027-01-01", "status": status, "matched": 0,
}, extra)

test_pass_no_waivers if {
	count(acc_02.findings) == 0 with input as {"waivers": []}
}

test_pass_active_waiver if {
	count(acc_02.findings) == 0 with input as {"waivers": [waiver("active", {"matched": 2})]}
}

test_fail_expired if {
	fs := acc_02.findings with input as {"waivers": [waiver("expired", {"expires": "2026-01-01"})]}
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "Waiver", "namespace": "", "name": "W-1"}
	f.field == "expires"
	f.value == "2026-01-01"
}

test_fail_incomplete if {
	problems := [
		{"field": "waivers[0].justification", "value": null, "message": "missing: why the finding is accepted"},
		{"field": "waivers[0].approvedBy", "value": null, "message": "missing: who approved the waiver"},
	]
	fs := acc_02.findings with input as {"waivers": [waiver("incomplete", {"problems": problems})]}
	count(fs) == 2
	some f in fs
	f.field == "waivers[0].approvedBy"
}

test_fail_unmatched if {
	fs := acc_02.findings with input as {"waivers": [waiver("unmatched", {})]}
	some f in fs
	f.field == "resources"
	contains(f.message, "matches no finding")
}
