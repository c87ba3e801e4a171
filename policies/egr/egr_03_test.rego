package tilsyn.controls.egr_03_test

import data.tilsyn.controls.egr_03
import rego.v1

dest(protocol, encrypted, tls) := {
	"source": {"kind": "ServiceEntry", "namespace": "pay", "name": "payflow"}, "field": "spec.hosts[0]",
	"host": "api.payflow.io", "port": 80, "portField": "spec.ports[0]", "protocol": protocol,
	"encrypted": encrypted, "tls": tls, "personalData": true,
}

test_pass_https if {
	count(egr_03.findings) == 0 with input as {"facts": {"transfers": [dest("HTTPS", true, {"mode": "PLAINTEXT", "rule": ""})]}}
}

test_pass_tls_origination if {
	count(egr_03.findings) == 0 with input as {"facts": {"transfers": [dest("HTTP", true, {"mode": "SIMPLE", "rule": "pay/payflow"})]}}
}

test_fail_plain_http if {
	# As the facts come from Go: an empty rule is left out.
	fs := egr_03.findings with input as {"facts": {"transfers": [dest("HTTP", false, {"mode": "PLAINTEXT"})]}}
	count(fs) == 1
	some f in fs
	f.field == "spec.ports[0].protocol"
	f.value == "HTTP"
	f.resource == {"kind": "ServiceEntry", "namespace": "pay", "name": "payflow"}
	contains(f.message, "api.payflow.io:80")
}

test_fail_rule_without_tls_for_port if {
	fs := egr_03.findings with input as {"facts": {"transfers": [dest("TCP", false, {"mode": "PLAINTEXT", "rule": "pay/payflow"})]}}
	some f in fs
	contains(f.message, "DestinationRule pay/payflow")
}

test_fail_no_ports_declared if {
	d := object.remove(dest("TCP", false, {"mode": "PLAINTEXT"}), ["portField"])
	fs := egr_03.findings with input as {"facts": {"transfers": [object.union(d, {"port": 0})]}}
	some f in fs
	f.field == "spec.hosts[0] (no ports declared)"
}
