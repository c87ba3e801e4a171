package tilsyn.controls.tls_03_test

import data.tilsyn.controls.tls_03
import rego.v1

facts(raw) := {"mesh": {"source": "istio-system/istio", "rootNamespace": "istio-system", "raw": raw}}

ecdhe := ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"]

gw(tls) := {"kind": "Gateway", "metadata": {"namespace": "gw", "name": "public"}, "spec": {"servers": [{"port": {"number": 443}, "tls": tls}]}}

strong := {"meshMTLS": {"minProtocolVersion": "TLSV1_3"}, "tlsDefaults": {"cipherSuites": ecdhe}}

test_pass_tls13_mesh_and_ecdhe_defaults if {
	count(tls_03.findings) == 0 with input as {"facts": facts(strong), "resources": {"gateways": [gw({"mode": "SIMPLE"})]}}
}

test_pass_gateway_tls13_only if {
	inp := {"facts": facts(strong), "resources": {"gateways": [gw({"mode": "SIMPLE", "minProtocolVersion": "TLSV1_3", "cipherSuites": ["AES128-SHA"]})]}}
	count(tls_03.findings) == 0 with input as inp
}

test_fail_istio_default_list if {
	fs := tls_03.findings with input as {"facts": facts({}), "resources": {"gateways": []}}
	count(fs) == 2
	some f in fs
	f.field == "meshConfig.meshMTLS.cipherSuites"
	f.value == "(unset: Istio's default list)"
	contains(f.message, "AES256-GCM-SHA384, AES128-GCM-SHA256")
}

test_fail_gateway_rsa_kex if {
	fs := tls_03.findings with input as {"facts": facts(strong), "resources": {"gateways": [gw({"mode": "SIMPLE", "cipherSuites": ["ECDHE-RSA-AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA"]})]}}
	count(fs) == 1
	some f in fs
	f.field == "spec.servers[0].tls.cipherSuites"
	contains(f.message, "TLS_RSA_WITH_AES_128_CBC_SHA")
	not contains(f.message, "ECDHE-RSA")
}

test_not_assessed_without_mesh_config if {
	inp := {"facts": {"mesh": {"source": "default", "rootNamespace": "istio-system", "raw": {}}}, "resources": {"gateways": []}}
	count(tls_03.not_assessed) == 1 with input as inp
	count(tls_03.findings) == 0 with input as inp
}
