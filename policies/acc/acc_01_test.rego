package tilsyn.controls.acc_01_test

import data.tilsyn.controls.acc_01
import rego.v1

meta := {"resourceTypes": ["pods", "nodes"], "collectedNs": 1, "nowNs": 2, "collectedAt": "2026-01-01T00:00:00Z", "now": "2026-01-02T00:00:00Z"}

test_pass_complete_coverage if {
	i := {"meta": meta, "coverage": {"pods": {"status": "collected"}, "nodes": {"status": "collected"}}}
	count(acc_01.findings) == 0 with input as i
	count(acc_01.not_assessed) == 0 with input as i
}

test_fail_missing_coverage_record if {
	fs := acc_01.findings with input as {"meta": meta, "coverage": {"pods": {"status": "collected"}}}
	count(fs) == 1
	some f in fs
	f.field == "coverage[nodes]"
}

test_fail_collected_after_audit if {
	fs := acc_01.findings with input as {"meta": object.union(meta, {"collectedNs": 3}), "coverage": {"pods": {"status": "collected"}, "nodes": {"status": "collected"}}}
	some f in fs
	f.field == "metadata.collectedAt"
}

test_not_assessed_forbidden if {
	i := {"meta": meta, "coverage": {"pods": {"status": "collected"}, "nodes": {"status": "forbidden", "reason": "nodes is forbidden"}}}
	na := acc_01.not_assessed with input as i
	na == {{"reason": "nodes forbidden: nodes is forbidden"}}
}
