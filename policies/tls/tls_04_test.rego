package tilsyn.controls.tls_04_test

import data.tilsyn.controls.tls_04
import rego.v1

dr(tls) := {"kind": "DestinationRule", "metadata": {"namespace": "pay", "name": "bank"}, "spec": {"host": "api.bank.example", "trafficPolicy": {"tls": tls}}}

inp(rules, backups) := {
	"resources": {"destinationrules": rules},
	"coverage": {"backupstoragelocations": {"status": "collected"}},
	"facts": {"location": {"backups": backups}},
}

bsl(skip) := {"kind": "BackupStorageLocation", "namespace": "velero", "name": "default", "url": "https://s3.example", "insecureSkipTLSVerify": skip}

test_pass_pinned_ca_and_sans if {
	tls := {"mode": "SIMPLE", "caCertificates": "/etc/ca.pem", "subjectAltNames": ["api.bank.example"]}
	count(tls_04.findings) == 0 with input as inp([dr(tls)], [bsl("false")])
}

test_pass_istio_mutual_is_mesh_identity if {
	count(tls_04.findings) == 0 with input as inp([dr({"mode": "ISTIO_MUTUAL"})], [])
}

test_fail_insecure_skip_verify if {
	fs := tls_04.findings with input as inp([dr({"mode": "SIMPLE", "insecureSkipVerify": true, "credentialName": "c", "subjectAltNames": ["x"]})], [])
	count(fs) == 1
	some f in fs
	f.field == "spec.trafficPolicy.tls.insecureSkipVerify"
	f.value == true
}

test_fail_no_ca_is_medium if {
	fs := tls_04.findings with input as inp([dr({"mode": "MUTUAL", "subjectAltNames": ["x"]})], [])
	count(fs) == 1
	some f in fs
	f.severity == "medium"
	f.field == "spec.trafficPolicy.tls.caCertificates"
}

test_fail_velero_skip_verify if {
	fs := tls_04.findings with input as inp([], [bsl("True")])
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "BackupStorageLocation", "namespace": "velero", "name": "default"}
	f.field == "spec.config.insecureSkipTLSVerify"
}

test_not_assessed_velero_absent if {
	i := object.union(inp([], []), {"coverage": {"backupstoragelocations": {"status": "absent"}}})
	count(tls_04.not_assessed) == 1 with input as i
}

test_fail_subset_port_block if {
	rule := {"kind": "DestinationRule", "metadata": {"namespace": "pay", "name": "bank"}, "spec": {"host": "h", "subsets": [
		{"name": "v1", "trafficPolicy": {"portLevelSettings": [{"port": {"number": 443}, "tls": {"mode": "SIMPLE", "insecureSkipVerify": true, "credentialName": "c", "subjectAltNames": ["h"]}}]}},
	]}}
	fs := tls_04.findings with input as inp([rule], [])
	count(fs) == 1
	some f in fs
	f.field == "spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.insecureSkipVerify"
}
