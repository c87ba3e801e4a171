package tilsyn.controls.res_01_test

import data.tilsyn.controls.res_01
import rego.v1

profile := {"spec": {"nodeBaseline": {"conntrackUsageMaxPercent": 80, "sysctls": {
	"fs.file-max": {"min": 2097152},
	"net.netfilter.nf_conntrack_max": {"min": 131072},
	"net.ipv4.ip_local_port_range": {"coversRange": [1024, 65535]},
	"net.ipv4.tcp_tw_reuse": {"equals": "1"},
	"net.ipv4.tcp_keepalive_time": {"max": 600},
}}}}

tuned := {
	"fs.file-max": {"value": "9223372036854775807"},
	"net.netfilter.nf_conntrack_max": {"value": "262144"},
	"net.ipv4.ip_local_port_range": {"value": "1024 65535"},
	"net.ipv4.tcp_tw_reuse": {"value": "1"},
	"net.ipv4.tcp_keepalive_time": {"value": "600"},
}

record(sysctls, count) := {"from": "ConfigMap tilsyn/tilsyn-node-n1", "ageSeconds": 60, "sysctls": sysctls, "conntrackCount": count}

tuning(records, unusable) := {"status": "collected", "namespace": "tilsyn", "nodesCollected": true, "records": records, "unusable": unusable}

inp(records) := {"facts": {"location": {"nodes": [{"name": "n1"}]}, "nodeTuning": tuning(records, {})}}

n1 := {"kind": "Node", "namespace": "", "name": "n1"}

test_pass_tuned_node if {
	i := inp({"n1": record(tuned, {"value": "1000"})})
	count(res_01.findings) == 0 with input as i with data.tilsyn.profile as profile
	count(res_01.not_assessed) == 0 with input as i with data.tilsyn.profile as profile
}

test_fail_kernel_defaults if {
	defaults := object.union(tuned, {
		"fs.file-max": {"value": "65536"},
		"net.ipv4.ip_local_port_range": {"value": "32768 60999"},
		"net.ipv4.tcp_tw_reuse": {"value": "2"},
		"net.ipv4.tcp_keepalive_time": {"value": "7200"},
	})
	fs := res_01.findings with input as inp({"n1": record(defaults, {"value": "0"})}) with data.tilsyn.profile as profile
	count(fs) == 4
	some f in fs
	f.field == "sysctl net.ipv4.ip_local_port_range"
	f.value == "32768 60999"
	f.resource == n1
	some g in fs
	g.field == "sysctl net.ipv4.tcp_keepalive_time"
	contains(g.message, "above the baseline maximum 600")
}

test_fail_conntrack_nearly_full if {
	fs := res_01.findings with input as inp({"n1": record(tuned, {"value": "230000"})}) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.severity == "high"
	f.field == "sysctl net.netfilter.nf_conntrack_count"
	contains(f.message, "88% full")
}

test_not_assessed_without_agent_record if {
	na := res_01.not_assessed with input as inp({}) with data.tilsyn.profile as profile
	na == {{"resource": n1, "reason": "no node agent record (no ConfigMap tilsyn/tilsyn-node-n1): its kernel settings are not visible through the Kubernetes API"}}
	count(res_01.findings) == 0 with input as inp({}) with data.tilsyn.profile as profile
}

# A stale or invalid record is no evidence: the facts say why, and the
# control passes the reason on.
test_not_assessed_stale_record if {
	i := {"facts": {"location": {"nodes": [{"name": "n1"}]}, "nodeTuning": tuning({}, {"n1": "the record was collected 3 days ago"})}}
	na := res_01.not_assessed with input as i with data.tilsyn.profile as profile
	na == {{"resource": n1, "reason": "the record was collected 3 days ago"}}
}

test_not_assessed_records_unreadable if {
	t := {"status": "forbidden", "reason": "configmaps is forbidden", "nodesCollected": true, "records": {}, "unusable": {}}
	na := res_01.not_assessed with input as {"facts": {"location": {"nodes": [{"name": "n1"}]}, "nodeTuning": t}} with data.tilsyn.profile as profile
	some g in na
	g.resource == n1
	contains(g.reason, "could not be read (forbidden): configmaps is forbidden")
}

test_not_assessed_unreadable_value if {
	partial := object.union(object.remove(tuned, ["net.netfilter.nf_conntrack_max"]), {"net.netfilter.nf_conntrack_max": {"absent": "not present: the nf_conntrack module is not loaded"}})
	na := res_01.not_assessed with input as inp({"n1": record(partial, {"absent": "not present: the nf_conntrack module is not loaded"})}) with data.tilsyn.profile as profile
	count(na) == 1
	some g in na
	g.reason == "net.netfilter.nf_conntrack_max was not read: not present: the nf_conntrack module is not loaded"
}

test_not_assessed_setting_the_agent_does_not_read if {
	p := object.union(profile, {"spec": {"nodeBaseline": {"sysctls": {"net.core.somaxconn": {"min": 4096}}}}})
	na := res_01.not_assessed with input as inp({"n1": record(tuned, {"value": "1"})}) with data.tilsyn.profile as p
	some g in na
	contains(g.reason, "net.core.somaxconn is in the profile's baseline but not among the settings the node agent records")
}

# --local-node: no Node list, so the record's node is assessed and the gap
# is stated.
test_fail_local_node_without_node_list if {
	t := {"status": "collected", "nodesCollected": false, "records": {"this-node": record(object.union(tuned, {"fs.file-max": {"value": "8192"}}), {"value": "1"})}, "unusable": {}}
	i := {"facts": {"location": {"nodes": []}, "nodeTuning": t}, "coverage": {"nodes": {"status": "absent", "reason": "not collected: --local-node"}}}
	fs := res_01.findings with input as i with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.resource.name == "this-node"
	na := res_01.not_assessed with input as i with data.tilsyn.profile as profile
	count(na) == 1
	some g in na
	contains(g.reason, "Node objects were not collected (not collected: --local-node)")
}
