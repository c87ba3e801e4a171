package tilsyn.controls.mesh_03_test

import data.tilsyn.controls.mesh_03
import rego.v1

rule(spec) := {"kind": "DestinationRule", "metadata": {"name": "ledger", "namespace": "pay"}, "spec": spec}

fact(target, backends, n) := {
	"namespace": "pay", "name": "ledger", "ref": {"index": 0}, "host": "ledger",
	"target": target, "meshBackends": backends, "serviceCount": n, "services": ["pay/ledger"],
}

mk(spec, f) := {"resources": {"destinationrules": [rule(spec)]}, "facts": {"destinationRules": [f]}}

test_pass_istio_mutual if {
	count(mesh_03.findings) == 0 with input as mk({"host": "ledger", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}, fact("mesh", true, 1))
}

test_pass_no_tls if {
	count(mesh_03.findings) == 0 with input as mk({"host": "ledger", "subsets": [{"name": "v1"}]}, fact("mesh", true, 1))
}

test_pass_simple_toward_external if {
	count(mesh_03.findings) == 0 with input as mk({"host": "api.stripe.com", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}, fact("external", false, 0))
}

test_pass_simple_toward_service_without_sidecars if {
	count(mesh_03.findings) == 0 with input as mk({"host": "db", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}, fact("mesh", false, 1))
}

test_fail_disable_in_subset_port if {
	spec := {"host": "ledger", "subsets": [{"name": "v1"}, {"name": "v2", "trafficPolicy": {"portLevelSettings": [{"port": {"number": 80}, "tls": {"mode": "DISABLE"}}]}}]}
	some f in mesh_03.findings with input as mk(spec, fact("mesh", true, 1))
	f.field == "spec.subsets[1].trafficPolicy.portLevelSettings[0].tls.mode"
	f.value == "DISABLE"
}

test_fail_empty_tls_block_is_disable if {
	some f in mesh_03.findings with input as mk({"host": "ledger", "trafficPolicy": {"tls": {}}}, fact("mesh", true, 1))
	f.value == "DISABLE"
	f.field == "spec.trafficPolicy.tls.mode"
}

test_fail_simple_toward_mesh_service if {
	some f in mesh_03.findings with input as mk({"host": "ledger", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}, fact("mesh", true, 1))
	f.value == "SIMPLE"
	f.resource == {"kind": "DestinationRule", "namespace": "pay", "name": "ledger"}
}

test_fail_mutual_in_subset_top_level if {
	spec := {"host": "ledger", "subsets": [
		{"name": "v1", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}}},
		{"name": "v2", "trafficPolicy": {"tls": {"mode": "MUTUAL"}}},
	]}
	fs := mesh_03.findings with input as mk(spec, fact("mesh", true, 1))
	count(fs) == 1
	some f in fs
	f.field == "spec.subsets[1].trafficPolicy.tls.mode"
	f.value == "MUTUAL"
}
