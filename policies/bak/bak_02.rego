# METADATA
# title: Backups held by third-country providers are encrypted with the exporter's keys
# description: >-
#   A backup in an object store run by a provider headquartered outside the
#   profile's allowed jurisdictions can be handed over under that country's
#   law. Only encryption with keys the exporter holds (Velero's
#   customerKeyEncryptionFile, SSE-C) is a supplementary measure against
#   that (EDPB use case 1); the provider's own KMS or server-side
#   encryption is not, as the provider holds those keys (use case 6).
#   Object stores whose operator cannot be told are treated the same way.
# custom:
#   id: BAK-02
#   severity: high
#   articles: ["32(1)(a)", "44", "46"]
#   references:
#   - "EDPB Recommendations 01/2020 v2.0, use case 1 (storage with exporter-held keys) and use case 6 (provider needing cleartext)"
#   - "Velero AWS plugin: customerKeyEncryptionFile"
#   remediation: |
#     Encrypt backups with a key only you hold:
#       config:
#         region: eu-north-1
#         customerKeyEncryptionFile: /credentials/customer-key
#     or keep them with a provider under EEA jurisdiction.
#   requires: [backupstoragelocations]
package tilsyn.controls.bak_02

import rego.v1

findings contains f if {
	some b in input.facts.location.backups
	b.kind == "BackupStorageLocation"
	not b.inCluster
	not b.encryption.customerKey
	not b.holder.allowed
	f := {
		"resource": {"kind": b.kind, "namespace": b.namespace, "name": b.name},
		"field": "spec.config.customerKeyEncryptionFile",
		"value": null,
		"severity": severity(b),
		"message": sprintf("%s %s/%s: backups held by %s without exporter-held keys%s", [b.kind, b.namespace, b.name, holder(b), provider_keys(b)]),
	}
}

severity(b) := "high" if b.holder.headquarters != "unknown"

severity(b) := "medium" if b.holder.headquarters == "unknown"

holder(b) := sprintf("%s (headquartered in %s)", [b.holder.name, b.holder.headquarters]) if b.holder.headquarters != "unknown"

holder(b) := sprintf("an object store whose operator is unknown (%s)", [object.get(b, "url", b.provider)]) if b.holder.headquarters == "unknown"

provider_keys(b) := sprintf("; %s is provider-managed and does not count", [concat(" and ", managed(b))]) if count(managed(b)) > 0

provider_keys(b) := "" if count(managed(b)) == 0

managed(b) := [sprintf("%s=%s", [k, b.encryption[k]]) | some k in ["kmsKeyId", "serverSideEncryption"]; object.get(b.encryption, k, "") != ""]
