package tilsyn.controls.egr_02_test

import data.tilsyn.controls.egr_02
import rego.v1

profile := {"spec": {"transfers": {"bases": ["adequacy", "dpf", "scc", "bcr", "derogation"]}}}

dest(host, country, allowed, basis) := {
	"source": {"kind": "ServiceEntry", "namespace": "pay", "name": "ext"}, "field": "spec.hosts[0]",
	"host": host, "port": 443, "country": country, "countrySource": "profile spec.transfers.destinations[x]",
	"allowed": allowed, "adequacy": country in {"GB", "CH"}, "basis": basis, "personalData": true,
}

basis(v, valid) := {"value": v, "valid": valid, "declaredBy": "the resource owner", "field": "metadata.annotations[tilsyn.io/transfer-basis]"}

test_pass_inside_eea if {
	count(egr_02.findings) == 0 with input as {"facts": {"transfers": [dest("api.vipps.no", "NO", true, null)]}} with data.tilsyn.profile as profile
}

test_pass_declared_scc if {
	count(egr_02.findings) == 0 with input as {"facts": {"transfers": [dest("api.stripe.com", "US", false, basis("scc", true))]}}
		with data.tilsyn.profile as profile
}

test_pass_adequacy_for_uk if {
	count(egr_02.findings) == 0 with input as {"facts": {"transfers": [dest("api.example.co.uk", "GB", false, basis("adequacy", true))]}}
		with data.tilsyn.profile as profile
}

test_pass_not_reachable_from_personal_data if {
	d := object.union(dest("x.example", "unknown", false, null), {"personalData": false})
	count(egr_02.findings) == 0 with input as {"facts": {"transfers": [d]}} with data.tilsyn.profile as profile
}

test_fail_unknown_country_no_basis if {
	fs := egr_02.findings with input as {"facts": {"transfers": [dest("api.payflow.io", "unknown", false, null)]}} with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == "api.payflow.io"
	f.field == "spec.hosts[0]"
	contains(f.message, "unknown country")
}

test_fail_invalid_basis if {
	fs := egr_02.findings with input as {"facts": {"transfers": [dest("api.stripe.com", "US", false, basis("contract", false))]}}
		with data.tilsyn.profile as profile
	some f in fs
	f.value == "contract"
	f.field == "metadata.annotations[tilsyn.io/transfer-basis]"
}

test_fail_adequacy_without_decision if {
	fs := egr_02.findings with input as {"facts": {"transfers": [dest("api.stripe.com", "US", false, basis("adequacy", true))]}}
		with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	contains(f.message, "no adequacy decision for US")
}
