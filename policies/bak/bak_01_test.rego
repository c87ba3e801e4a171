package tilsyn.controls.bak_01_test

import data.tilsyn.controls.bak_01
import rego.v1

profile := {"spec": {"location": {"allowedCountries": ["SE", "DE"]}}}

bsl(extra) := object.union({"kind": "BackupStorageLocation", "namespace": "velero", "name": "default", "provider": "aws", "inCluster": false}, extra)

inp(backups) := {"facts": {"location": {"backups": backups}}}

test_pass_region_in_eea if {
	b := bsl({"region": "eu-north-1", "regionField": "spec.config.region", "country": "SE", "countrySource": "spec.config.region"})
	count(bak_01.findings) == 0 with input as inp([b]) with data.tilsyn.profile as profile
}

test_pass_in_cluster_minio if {
	count(bak_01.findings) == 0 with input as inp([bsl({"inCluster": true, "country": "unknown"})]) with data.tilsyn.profile as profile
}

test_fail_no_region if {
	fs := bak_01.findings with input as inp([bsl({"country": "unknown", "url": "https://s3.example.net"})]) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.field == "spec.config.region"
	f.value == null
	contains(f.message, "provider decides")
}

test_fail_london if {
	b := bsl({"region": "eu-west-2", "regionField": "spec.config.region", "country": "GB", "countrySource": "spec.config.region"})
	fs := bak_01.findings with input as inp([b]) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == "eu-west-2"
	contains(f.message, "GB")
}

test_fail_unknown_region if {
	b := bsl({"region": "minio", "regionField": "spec.config.region", "country": "unknown", "countrySource": "spec.config.region"})
	fs := bak_01.findings with input as inp([b]) with data.tilsyn.profile as profile
	some f in fs
	contains(f.message, "do not know")
}
