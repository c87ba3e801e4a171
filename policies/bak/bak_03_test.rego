package tilsyn.controls.bak_03_test

import data.tilsyn.controls.bak_03
import rego.v1

bsl(extra) := object.union({"kind": "BackupStorageLocation", "namespace": "velero", "name": "default"}, extra)

test_pass_https if {
	count(bak_03.findings) == 0 with input as {"facts": {"location": {"backups": [bsl({"url": "https://s3.example", "urlScheme": "https", "insecureSkipTLSVerify": "false"})]}}}
}

test_pass_provider_endpoint if {
	count(bak_03.findings) == 0 with input as {"facts": {"location": {"backups": [bsl({})]}}}
}

test_fail_http if {
	fs := bak_03.findings with input as {"facts": {"location": {"backups": [bsl({"url": "http://minio:9000", "urlScheme": "http"})]}}}
	count(fs) == 1
	some f in fs
	f.value == "http://minio:9000"
	f.field == "spec.config.s3Url"
}

test_fail_skip_verify if {
	fs := bak_03.findings with input as {"facts": {"location": {"backups": [bsl({"url": "https://x", "urlScheme": "https", "insecureSkipTLSVerify": "true"})]}}}
	count(fs) == 1
	some f in fs
	f.field == "spec.config.insecureSkipTLSVerify"
}
