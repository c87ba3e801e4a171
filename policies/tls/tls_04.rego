# METADATA
# title: TLS toward other servers verifies them
# description: >-
#   A DestinationRule that originates TLS (SIMPLE or MUTUAL) with
#   insecureSkipVerify accepts any certificate: a man in the middle reads
#   everything. Without caCertificates (or a credentialName holding them)
#   and subjectAltNames, verification rests on istiod's defaults
#   (VERIFY_CERTIFICATE_AT_CLIENT and automatic SANs, on since Istio 1.20)
#   rather than on configuration that proves it. Velero's
#   insecureSkipTLSVerify turns verification off for backups.
# custom:
#   id: TLS-04
#   severity: high
#   articles: ["32(1)(b)"]
#   references:
#   - "Istio DestinationRule ClientTLSSettings (insecureSkipVerify, caCertificates, subjectAltNames)"
#   - "EDPB Recommendations 01/2020 v2.0, use case 3 (data in transit)"
#   - "Velero BackupStorageLocation config (insecureSkipTLSVerify)"
#   remediation: |
#     Verify the server against a pinned CA and name:
#       trafficPolicy:
#         tls:
#           mode: SIMPLE
#           caCertificates: /etc/certs/partner-ca.pem   # or credentialName
#           subjectAltNames: [api.partner.example]
#           sni: api.partner.example
#     and remove insecureSkipTLSVerify from Velero locations.
#   requires: [destinationrules]
package tilsyn.controls.tls_04

import data.tilsyn.lib
import rego.v1

originating := {"SIMPLE", "MUTUAL"}

# blocks holds [index of the DestinationRule, path, tls] for every tls block
# that originates TLS: top level, per port, per subset and per subset port.
# Rules are named by index so that nothing hashes whole objects.
blocks contains [i, "spec.trafficPolicy.tls", tls] if {
	some i, rule in input.resources.destinationrules
	tls := rule.spec.trafficPolicy.tls
	object.get(tls, "mode", "DISABLE") in originating
}

blocks contains [i, sprintf("spec.trafficPolicy.portLevelSettings[%d].tls", [j]), tls] if {
	some i, rule in input.resources.destinationrules
	some j, p in rule.spec.trafficPolicy.portLevelSettings
	tls := p.tls
	object.get(tls, "mode", "DISABLE") in originating
}

blocks contains [i, sprintf("spec.subsets[%d].trafficPolicy.tls", [k]), tls] if {
	some i, rule in input.resources.destinationrules
	some k, sub in rule.spec.subsets
	tls := sub.trafficPolicy.tls
	object.get(tls, "mode", "DISABLE") in originating
}

blocks contains [i, sprintf("spec.subsets[%d].trafficPolicy.portLevelSettings[%d].tls", [k, j]), tls] if {
	some i, rule in input.resources.destinationrules
	some k, sub in rule.spec.subsets
	some j, p in sub.trafficPolicy.portLevelSettings
	tls := p.tls
	object.get(tls, "mode", "DISABLE") in originating
}

findings contains f if {
	some [i, path, tls] in blocks
	tls.insecureSkipVerify == true
	rule := input.resources.destinationrules[i]
	f := {
		"resource": lib.object_resource(rule),
		"field": sprintf("%s.insecureSkipVerify", [path]),
		"value": true,
		"message": sprintf("DestinationRule %s/%s (host %s) originates TLS without verifying the server's certificate", [
			rule.metadata.namespace, rule.metadata.name, rule.spec.host,
		]),
	}
}

findings contains f if {
	some [i, path, tls] in blocks
	not tls.insecureSkipVerify == true
	missing := [m | some m in ["caCertificates", "subjectAltNames"]; not pinned(tls, m)]
	count(missing) > 0
	rule := input.resources.destinationrules[i]
	f := {
		"resource": lib.object_resource(rule),
		"field": sprintf("%s.%s", [path, missing[0]]),
		"value": null,
		"severity": "medium",
		"message": sprintf("DestinationRule %s/%s (host %s) originates %s TLS without %s: verification rests on istiod's defaults, not on configuration", [
			rule.metadata.namespace, rule.metadata.name, rule.spec.host, tls.mode, concat(" or ", missing),
		]),
	}
}

pinned(tls, "caCertificates") if tls.caCertificates != ""

pinned(tls, "caCertificates") if tls.credentialName != ""

pinned(tls, "subjectAltNames") if count(object.get(tls, "subjectAltNames", [])) > 0

not_assessed contains {"reason": sprintf("backupstoragelocations %s: Velero's TLS verification cannot be checked", [object.get(input.coverage, ["backupstoragelocations", "status"], "not collected")])} if {
	not lib.collected("backupstoragelocations")
}

findings contains f if {
	some b in input.facts.location.backups
	lower(b.insecureSkipTLSVerify) == "true"
	f := {
		"resource": {"kind": b.kind, "namespace": b.namespace, "name": b.name},
		"field": "spec.config.insecureSkipTLSVerify",
		"value": b.insecureSkipTLSVerify,
		"message": sprintf("%s %s/%s does not verify the object store's certificate (%s)", [b.kind, b.namespace, b.name, object.get(b, "url", "provider endpoint")]),
	}
}
