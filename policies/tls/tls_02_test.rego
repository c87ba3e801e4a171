package tilsyn.controls.tls_02_test

import data.tilsyn.controls.tls_02
import rego.v1

gw(servers) := {"kind": "Gateway", "metadata": {"namespace": "istio-ingress", "name": "public"}, "spec": {"servers": servers}}

https(tls) := {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["shop.example.no"], "tls": tls}

http(tls) := {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.no"], "tls": tls}

test_pass_tls12_and_redirect if {
	servers := [https({"mode": "SIMPLE", "minProtocolVersion": "TLSV1_2"}), http({"httpsRedirect": true})]
	count(tls_02.findings) == 0 with input as {"resources": {"gateways": [gw(servers)]}}
}

test_pass_passthrough_is_not_terminated_here if {
	servers := [https({"mode": "PASSTHROUGH", "minProtocolVersion": "TLSV1_0"})]
	count(tls_02.findings) == 0 with input as {"resources": {"gateways": [gw(servers)]}}
}

test_fail_tls10 if {
	fs := tls_02.findings with input as {"resources": {"gateways": [gw([https({"mode": "SIMPLE", "minProtocolVersion": "TLSV1_0"})])]}}
	count(fs) == 1
	some f in fs
	f.field == "spec.servers[0].tls.minProtocolVersion"
	f.value == "TLSV1_0"
	f.resource == {"kind": "Gateway", "namespace": "istio-ingress", "name": "public"}
}

test_fail_plain_http_without_redirect if {
	fs := tls_02.findings with input as {"resources": {"gateways": [gw([http({})])]}}
	count(fs) == 1
	some f in fs
	f.field == "spec.servers[0].tls.httpsRedirect"
	f.value == null
	contains(f.message, "port 80")
}
