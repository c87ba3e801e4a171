package tilsyn.controls.loc_01_test

import data.tilsyn.controls.loc_01
import rego.v1

profile := {"spec": {"location": {"allowedCountries": ["SE", "NO"]}}}

node(name, field, region, country) := {"name": name, "regionField": field, "region": {"value": region}, "country": country}

label := "metadata.labels[topology.kubernetes.io/region]"

test_pass_allowed_regions if {
	i := {"facts": {"location": {"nodes": [node("a", label, "eu-north-1", "SE"), node("b", label, "oslo-1", "NO")]}}}
	count(loc_01.findings) == 0 with input as i with data.tilsyn.profile as profile
}

test_fail_london_is_critical if {
	fs := loc_01.findings with input as {"facts": {"location": {"nodes": [node("lon", label, "eu-west-2", "GB")]}}}
		with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	not f.severity
	f.value == "eu-west-2"
	f.field == label
	f.resource == {"kind": "Node", "namespace": "", "name": "lon"}
	contains(f.message, "GB")
}

test_fail_unmapped_region if {
	fs := loc_01.findings with input as {"facts": {"location": {"nodes": [node("x", label, "dc-7", "unknown")]}}}
		with data.tilsyn.profile as profile
	some f in fs
	contains(f.message, "unknown, so not allowed")
}

test_fail_missing_label_is_medium if {
	fs := loc_01.findings with input as {"facts": {"location": {"nodes": [{"name": "bare", "region": {"country": "unknown"}, "country": "unknown"}]}}}
		with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.severity == "medium"
	f.value == null
}

test_not_assessed_without_nodes if {
	count(loc_01.not_assessed) == 1 with input as {"facts": {"location": {"nodes": []}}} with data.tilsyn.profile as profile
}
