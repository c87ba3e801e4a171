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
	"net.ipv4.ip_local_port_range": {"value": "1024\t65535"},
	"net.ipv4.tcp_tw_reuse": {"value": "1"},
	"net.ipv4.tcp_keepalive_time": {"value": "600"},
}

inp(records) := {"facts": {"location": {"nodes": [{"name": "n1"}]}, "nodeTuning": {"records": records}}}

test_pass_tuned_node if {
	i := inp({"n1": {"sysctls": tuned, "conntrackCount": {"value": "1000"}}})
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
	fs := res_01.findings with input as inp({"n1": {"sysctls": defaults}}) with data.tilsyn.profile as profile
	count(fs) == 4
	some f in fs
	f.field == "sysctl net.ipv4.ip_local_port_range"
	f.value == "32768 60999"
	f.resource == {"kind": "Node", "namespace": "", "name": "n1"}
}

test_fail_conntrack_nearly_full if {
	fs := res_01.findings with input as inp({"n1": {"sysctls": tuned, "conntrackCount": {"value": "230000"}}}) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.severity == "high"
	contains(f.message, "88% full")
}

test_not_assessed_without_agent_record if {
	na := res_01.not_assessed with input as inp({}) with data.tilsyn.profile as profile
	count(na) == 1
	count(res_01.findings) == 0 with input as inp({}) with data.tilsyn.profile as profile
}

test_not_assessed_unreadable_value if {
	partial := object.union(tuned, {"net.netfilter.nf_conntrack_max": {"absent": "module nf_conntrack not loaded"}})
	na := res_01.not_assessed with input as inp({"n1": {"sysctls": partial}}) with data.tilsyn.profile as profile
	count(na) == 1
	some g in na
	contains(g.reason, "not loaded")
}
