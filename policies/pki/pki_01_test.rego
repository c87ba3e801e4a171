package tilsyn.controls.pki_01_test

import data.tilsyn.controls.pki_01
import rego.v1

day := 86400000000000

now := 1795000000000000000

limits := {"spec": {"certificates": {"minDaysRemaining": 90, "minRSABits": 3072, "minECBits": 256, "maxValidityDays": 3650}}}

cert(alg, bits, days_left, validity) := {
	"subject": "O=example", "keyAlgorithm": alg, "keyBits": bits,
	"notBefore": "2026-01-01T00:00:00Z", "notAfter": "2030-01-01T00:00:00Z",
	"notAfterNs": now + (days_left * day), "validityDays": validity,
}

inp(certs, secrets) := {
	"meta": {"nowNs": now},
	"coverage": {"secrets": {"status": "collected"}},
	"facts": {"pki": {
		"rootCerts": [{"configMap": {"namespace": "istio-system", "name": "istio-ca-root-cert"}, "copies": 3, "certificates": certs}],
		"caSecrets": secrets,
	}},
}

plugged := {"istio-system": {"istioCASecret": false, "cacerts": true}}

test_pass_strong_plugged_in_root if {
	count(pki_01.findings) == 0 with input as inp([cert("ECDSA", 256, 1000, 3650)], plugged) with data.tilsyn.profile as limits
}

test_pass_rsa3072 if {
	count(pki_01.findings) == 0 with input as inp([cert("RSA", 3072, 400, 1825)], plugged) with data.tilsyn.profile as limits
}

test_fail_expiring_soon if {
	fs := pki_01.findings with input as inp([cert("RSA", 4096, 30, 365)], plugged) with data.tilsyn.profile as limits
	count(fs) == 1
	some f in fs
	f.field == "data[root-cert.pem] certificates[0].notAfter"
	f.value == "2030-01-01T00:00:00Z"
	contains(f.message, "expires in 30 days")
	contains(f.message, "3 ConfigMaps")
	f.resource == {"kind": "ConfigMap", "namespace": "istio-system", "name": "istio-ca-root-cert"}
}

test_fail_expired if {
	fs := pki_01.findings with input as inp([cert("RSA", 4096, -2, 365)], plugged) with data.tilsyn.profile as limits
	some f in fs
	contains(f.message, "expired 2 days ago")
}

test_fail_small_key_and_long_validity if {
	fs := pki_01.findings with input as inp([cert("RSA", 2048, 3000, 3653)], plugged) with data.tilsyn.profile as limits
	count(fs) == 2
	some f in fs
	f.value == "RSA 2048"
}

test_fail_self_signed_istiod_ca if {
	fs := pki_01.findings with input as inp([cert("ECDSA", 384, 1000, 365)], {"istio-system": {"istioCASecret": true, "cacerts": false}})
		with data.tilsyn.profile as limits
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "Secret", "namespace": "istio-system", "name": "istio-ca-secret"}
	f.severity == "medium"
}

test_fail_unreadable_bundle if {
	i := {"meta": {"nowNs": now}, "coverage": {"secrets": {"status": "collected"}}, "facts": {"pki": {"caSecrets": {}, "rootCerts": [
		{"configMap": {"namespace": "istio-system", "name": "istio-ca-root-cert"}, "copies": 1, "certificates": [], "error": "data[root-cert.pem]: no certificate found"},
	]}}}
	fs := pki_01.findings with input as i with data.tilsyn.profile as limits
	count(fs) == 1
}

test_not_assessed_without_root_cert if {
	i := {"meta": {"nowNs": now}, "coverage": {"secrets": {"status": "forbidden"}}, "facts": {"pki": {"rootCerts": [], "caSecrets": {}}}}
	count(pki_01.findings) == 0 with input as i with data.tilsyn.profile as limits
	count(pki_01.not_assessed) == 2 with input as i with data.tilsyn.profile as limits
}
