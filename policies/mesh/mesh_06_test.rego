package tilsyn.controls.mesh_06_test

import data.tilsyn.controls.mesh_06
import rego.v1

pa(name, ts) := {"kind": "PeerAuthentication", "metadata": {"name": name, "namespace": "pay", "creationTimestamp": ts}, "spec": {}}

test_pass_no_conflicts if {
	count(mesh_06.findings) == 0 with input as {"facts": {"peerAuthentication": {"conflicts": [], "ignoredSelectors": []}}}
}

test_fail_namespace_conflict if {
	inp := {
		"resources": {"peerauthentications": [pa("old", "2023-01-01T00:00:00Z"), pa("young", "2024-01-01T00:00:00Z")]},
		"facts": {"peerAuthentication": {
			"conflicts": [{"level": "namespace", "namespace": "pay", "winner": "pay/old", "ignored": ["pay/young"], "refs": [{"index": 1}]}],
			"ignoredSelectors": [],
		}},
	}
	some f in mesh_06.findings with input as inp
	f.resource == {"kind": "PeerAuthentication", "namespace": "pay", "name": "young"}
	f.value == "2024-01-01T00:00:00Z"
	contains(f.message, "pay/old is older")
}

test_fail_root_selector_ignored if {
	p := {"kind": "PeerAuthentication", "metadata": {"name": "x", "namespace": "istio-system"}, "spec": {"selector": {"matchLabels": {"app": "a"}}}}
	inp := {
		"resources": {"peerauthentications": [p]},
		"facts": {"peerAuthentication": {"conflicts": [], "ignoredSelectors": [{"namespace": "istio-system", "name": "x", "mode": "DISABLE", "ref": {"index": 0}}]}},
	}
	some f in mesh_06.findings with input as inp
	f.field == "spec.selector"
	f.value == {"matchLabels": {"app": "a"}}
}
