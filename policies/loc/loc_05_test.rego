package tilsyn.controls.loc_05_test

import data.tilsyn.controls.loc_05
import rego.v1

profile := {"spec": {"location": {"allowedCountries": ["SE"]}}}

w := {"namespace": "pay", "kind": "Deployment", "name": "api", "templatePath": "spec.template."}

pin(value, country) := {"pins": [{"field": "spec.template.spec.nodeSelector[topology.kubernetes.io/region]", "key": "topology.kubernetes.io/region", "value": value, "country": country}]}

inp(countries, placement) := {"facts": {
	"scope": {"inScope": {"pay": true}}, "workloads": [w],
	"location": {"nodeCountries": countries, "placement": placement},
}}

test_pass_all_nodes_allowed if {
	count(loc_05.findings) == 0 with input as inp({"SE": 3}, {}) with data.tilsyn.profile as profile
}

test_pass_pinned_in_mixed_cluster if {
	count(loc_05.findings) == 0 with input as inp({"SE": 3, "GB": 1}, {"pay/Deployment/api": pin("eu-north-1", "SE")})
		with data.tilsyn.profile as profile
}

test_fail_unpinned_in_mixed_cluster if {
	fs := loc_05.findings with input as inp({"SE": 3, "GB": 1}, {}) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.field == "spec.template.spec.nodeSelector"
	f.resource == {"kind": "Deployment", "namespace": "pay", "name": "api"}
	contains(f.message, "GB")
}

test_fail_pinned_to_london if {
	fs := loc_05.findings with input as inp({"SE": 3, "GB": 1}, {"pay/Deployment/api": pin("eu-west-2", "GB")}) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == "eu-west-2"
	f.severity == "medium"
}

test_not_assessed_without_nodes if {
	count(loc_05.not_assessed) == 1 with input as inp({}, {}) with data.tilsyn.profile as profile
}
