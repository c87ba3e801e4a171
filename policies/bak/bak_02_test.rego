package tilsyn.controls.bak_02_test

import data.tilsyn.controls.bak_02
import rego.v1

aws := {"provider": "aws", "name": "Amazon Web Services", "headquarters": "US", "allowed": false}

hetzner := {"provider": "hcloud", "name": "Hetzner Online", "headquarters": "DE", "allowed": true}

bsl(holder, enc) := {"kind": "BackupStorageLocation", "namespace": "velero", "name": "default", "provider": "aws", "inCluster": false, "holder": holder, "encryption": enc}

inp(b) := {"facts": {"location": {"backups": [b]}}}

test_pass_customer_key if {
	count(bak_02.findings) == 0 with input as inp(bsl(aws, {"customerKey": true}))
}

test_pass_eea_provider if {
	count(bak_02.findings) == 0 with input as inp(bsl(hetzner, {"customerKey": false}))
}

test_fail_kms_does_not_count if {
	fs := bak_02.findings with input as inp(bsl(aws, {"customerKey": false, "kmsKeyId": "alias/backups"}))
	count(fs) == 1
	some f in fs
	f.severity == "high"
	f.field == "spec.config.customerKeyEncryptionFile"
	contains(f.message, "kmsKeyId=alias/backups is provider-managed")
}

test_fail_unknown_operator_is_medium if {
	fs := bak_02.findings with input as inp(bsl({"headquarters": "unknown", "allowed": false}, {"customerKey": false}))
	some f in fs
	f.severity == "medium"
}
