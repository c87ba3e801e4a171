package tilsyn.controls.tls_01_test

import data.tilsyn.controls.tls_01
import rego.v1

facts(raw) := {"mesh": {"source": "istio-system/istio", "rootNamespace": "istio-system", "raw": raw}}

profile(min) := {"spec": {"tls": {"meshMinProtocolVersion": min}}}

test_pass_unset_means_tls12 if {
	count(tls_01.findings) == 0 with input as {"facts": facts({})} with data.tilsyn.profile as profile("TLSV1_2")
}

test_pass_tls13_required_and_set if {
	raw := {"meshMTLS": {"minProtocolVersion": "TLSV1_3"}, "tlsDefaults": {"minProtocolVersion": "TLSV1_3"}}
	count(tls_01.findings) == 0 with input as {"facts": facts(raw)} with data.tilsyn.profile as profile("TLSV1_3")
}

test_fail_below_tls12 if {
	fs := tls_01.findings with input as {"facts": facts({"meshMTLS": {"minProtocolVersion": "TLSV1_1"}})}
		with data.tilsyn.profile as profile("TLSV1_2")
	count(fs) == 1
	some f in fs
	f.field == "meshConfig.meshMTLS.minProtocolVersion"
	f.value == "TLSV1_1"
	f.resource == {"kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}
	contains(f.message, "TLS 1.1")
}

test_fail_unset_when_profile_requires_tls13 if {
	fs := tls_01.findings with input as {"facts": facts({"meshMTLS": {"minProtocolVersion": "TLSV1_3"}})}
		with data.tilsyn.profile as profile("TLSV1_3")
	count(fs) == 1
	some f in fs
	f.field == "meshConfig.tlsDefaults.minProtocolVersion"
	f.value == "TLS_AUTO"
	contains(f.message, "unset: TLS 1.2")
}

test_not_assessed_without_mesh_config if {
	inp := {"facts": {"mesh": {"source": "default", "rootNamespace": "istio-system", "raw": {}}}}
	count(tls_01.findings) == 0 with input as inp with data.tilsyn.profile as profile("TLSV1_2")
	count(tls_01.not_assessed) == 1 with input as inp with data.tilsyn.profile as profile("TLSV1_2")
}
