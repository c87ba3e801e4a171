package tilsyn.controls.loc_02_test

import data.tilsyn.controls.loc_02
import rego.v1

hetzner := {"provider": "hcloud", "name": "Hetzner Online", "headquarters": "DE", "allowed": true}

aws := {"provider": "aws", "name": "Amazon Web Services", "headquarters": "US", "allowed": false}

node(pid, zone, pregion, region, provider) := {
	"name": "n1", "providerID": pid, "zone": zone, "zoneField": "metadata.labels[topology.kubernetes.io/zone]",
	"regionField": "metadata.labels[topology.kubernetes.io/region]",
	"region": {"value": region, "region": region, "country": "SE"},
	"providerRegion": {"region": pregion, "country": "SE"}, "provider": provider,
}

test_pass_consistent_eea_provider if {
	n := node({"raw": "hcloud://1", "scheme": "hcloud"}, "fsn1-dc14", "", "fsn1", hetzner)
	count(loc_02.findings) == 0 with input as {"facts": {"location": {"nodes": [n]}}}
}

test_fail_region_contradiction if {
	n := node({"raw": "aws:///eu-west-2a/i-1", "scheme": "aws", "zone": "eu-west-2a"}, "eu-north-1a", "eu-west-2", "eu-north-1", hetzner)
	fs := loc_02.findings with input as {"facts": {"location": {"nodes": [n]}}}
	count(fs) == 1
	some f in fs
	f.field == "spec.providerID"
	f.value == "aws:///eu-west-2a/i-1"
	contains(f.message, "eu-west-2")
}

test_fail_zone_contradiction_same_region if {
	n := node({"raw": "aws:///eu-north-1b/i-1", "scheme": "aws", "zone": "eu-north-1b"}, "eu-north-1a", "eu-north-1", "eu-north-1", hetzner)
	fs := loc_02.findings with input as {"facts": {"location": {"nodes": [n]}}}
	count(fs) == 1
	some f in fs
	contains(f.message, "zone eu-north-1b")
}

test_fail_us_provider_is_medium if {
	n := node({"raw": "aws:///eu-north-1a/i-1", "scheme": "aws", "zone": "eu-north-1a"}, "eu-north-1a", "eu-north-1", "eu-north-1", aws)
	fs := loc_02.findings with input as {"facts": {"location": {"nodes": [n]}}}
	count(fs) == 1
	some f in fs
	f.severity == "medium"
	contains(f.message, "node n1 runs on Amazon Web Services, headquartered in US")
}

test_fail_one_finding_per_provider if {
	base := node({"raw": "aws:///eu-north-1a/i-1", "scheme": "aws", "zone": "eu-north-1a"}, "eu-north-1a", "eu-north-1", "eu-north-1", aws)
	nodes := [object.union(base, {"name": sprintf("n%d", [i]), "providerID": {"raw": sprintf("aws:///eu-north-1a/i-%d", [i]), "zone": "eu-north-1a"}}) | some i in numbers.range(1, 7)]
	fs := loc_02.findings with input as {"facts": {"location": {"nodes": nodes}}}
	count(fs) == 1
	some f in fs
	f.resource.name == "n1"
	f.value == "aws:///eu-north-1a/i-1"
	contains(f.message, "7 nodes (n1, n2, n3, n4, n5 and 2 more) run on Amazon Web Services")
}

test_not_assessed_unknown_provider if {
	n := node({"raw": "", "scheme": ""}, "", "", "oslo-1", {"provider": "on-premises", "headquarters": "unknown", "allowed": false})
	na := loc_02.not_assessed with input as {"facts": {"location": {"nodes": [n]}}}
	count(na) == 1
	count(loc_02.findings) == 0 with input as {"facts": {"location": {"nodes": [n]}}}
}
