package tilsyn.controls.loc_03_test

import data.tilsyn.controls.loc_03
import rego.v1

profile := {"spec": {"location": {"allowedCountries": ["SE", "NO"]}}}

ev(key, value, country) := {"field": "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]", "key": key, "value": value, "country": country}

vol(evidence) := {"name": "pvc-1", "claim": {"namespace": "ledger", "name": "data-ledger-db-0"}, "storageClass": "gp3", "size": "200Gi", "evidence": evidence}

test_pass_stockholm if {
	i := {"facts": {"location": {"volumes": [vol([ev("topology.ebs.csi.aws.com/zone", "eu-north-1a", "SE")])]}}}
	count(loc_03.findings) == 0 with input as i with data.tilsyn.profile as profile
}

test_fail_london_zone if {
	i := {"facts": {"location": {"volumes": [vol([ev("topology.ebs.csi.aws.com/zone", "eu-west-2a", "GB")])]}}}
	fs := loc_03.findings with input as i with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == "eu-west-2a"
	f.resource == {"kind": "PersistentVolume", "namespace": "", "name": "pvc-1"}
	contains(f.message, "claim ledger/data-ledger-db-0")
}

test_fail_no_evidence_is_medium if {
	fs := loc_03.findings with input as {"facts": {"location": {"volumes": [vol([])]}}} with data.tilsyn.profile as profile
	some f in fs
	f.severity == "medium"
	f.field == "spec.nodeAffinity"
}

test_fail_unknown_zone if {
	i := {"facts": {"location": {"volumes": [vol([ev("topology.kubernetes.io/zone", "dc7-b", "unknown")])]}}}
	fs := loc_03.findings with input as i with data.tilsyn.profile as profile
	some f in fs
	contains(f.message, "unknown, so not allowed")
}

test_not_assessed_volume_missing_from_snapshot if {
	i := {"facts": {"location": {"volumes": [], "missingVolumes": [{"claim": {"namespace": "ledger", "name": "data-0"}, "volume": "pvc-9"}]}}}
	na := loc_03.not_assessed with input as i with data.tilsyn.profile as profile
	count(na) == 1
	some g in na
	g.resource == {"kind": "PersistentVolumeClaim", "namespace": "ledger", "name": "data-0"}
}
