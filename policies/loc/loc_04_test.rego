package tilsyn.controls.loc_04_test

import data.tilsyn.controls.loc_04
import rego.v1

profile := {"spec": {"location": {"allowedCountries": ["SE"]}}}

ev(field, value, country) := {"field": field, "key": "topology.kubernetes.io/zone", "value": value, "country": country}

sc(topology, params, claims) := {"name": "gp3", "volumeBindingMode": "WaitForFirstConsumer", "personalDataClaims": claims, "topology": topology, "parameters": params}

inp(classes, countries) := {"facts": {"location": {"storageClasses": classes, "nodeCountries": countries}}}

test_pass_restricted_class if {
	c := sc([ev("allowedTopologies[0].matchLabelExpressions[0]", "eu-north-1a", "SE")], [], 3)
	count(loc_04.findings) == 0 with input as inp([c], {"SE": 2, "GB": 1}) with data.tilsyn.profile as profile
}

test_pass_unrestricted_in_allowed_cluster if {
	count(loc_04.findings) == 0 with input as inp([sc([], [], 3)], {"SE": 5}) with data.tilsyn.profile as profile
}

test_pass_unused_class if {
	count(loc_04.findings) == 0 with input as inp([sc([], [], 0)], {"GB": 5}) with data.tilsyn.profile as profile
}

test_fail_topology_in_london if {
	c := sc([ev("allowedTopologies[0].matchLabelExpressions[0]", "eu-west-2a", "GB")], [], 1)
	fs := loc_04.findings with input as inp([c], {"SE": 1}) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == "eu-west-2a"
	f.resource == {"kind": "StorageClass", "namespace": "", "name": "gp3"}
}

test_fail_parameter_region if {
	c := sc([ev("allowedTopologies[0].matchLabelExpressions[0]", "eu-north-1a", "SE")], [ev("parameters[zones]", "eu-west-2b", "GB")], 1)
	fs := loc_04.findings with input as inp([c], {"SE": 1}) with data.tilsyn.profile as profile
	some f in fs
	f.field == "parameters[zones]"
}

test_fail_unrestricted_in_mixed_cluster if {
	fs := loc_04.findings with input as inp([sc([], [], 2)], {"SE": 4, "GB": 1, "unknown": 1}) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.field == "allowedTopologies"
	contains(f.message, "GB, unknown")
}

test_not_assessed_without_nodes if {
	count(loc_04.not_assessed) == 1 with input as inp([sc([], [], 2)], {}) with data.tilsyn.profile as profile
}
