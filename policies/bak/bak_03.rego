# METADATA
# title: Backups travel over verified TLS
# description: >-
#   A BackupStorageLocation whose s3Url uses http:// sends every backup in
#   cleartext; insecureSkipTLSVerify accepts any certificate, so anyone in
#   the path can read or alter them.
# custom:
#   id: BAK-03
#   severity: high
#   articles: ["32(1)(a)"]
#   references:
#   - "Velero BackupStorageLocation config: s3Url, insecureSkipTLSVerify, caCert"
#   - "EDPB Recommendations 01/2020 v2.0, use case 3 (data in transit)"
#   remediation: |
#     Use https and verify the endpoint (give its CA when it is private):
#       spec:
#         objectStorage:
#           caCert: <base64 PEM of the store's CA>
#         config:
#           s3Url: https://s3.example.internal
#   requires: [backupstoragelocations]
package tilsyn.controls.bak_03

import rego.v1

resource(b) := {"kind": b.kind, "namespace": b.namespace, "name": b.name}

locations contains b if {
	some b in input.facts.location.backups
	b.kind == "BackupStorageLocation"
}

findings contains f if {
	some b in locations
	object.get(b, "urlScheme", "") == "http"
	f := {
		"resource": resource(b),
		"field": "spec.config.s3Url",
		"value": b.url,
		"message": sprintf("%s %s/%s sends backups over plain HTTP", [b.kind, b.namespace, b.name]),
	}
}

findings contains f if {
	some b in locations
	lower(object.get(b, "insecureSkipTLSVerify", "")) == "true"
	f := {
		"resource": resource(b),
		"field": "spec.config.insecureSkipTLSVerify",
		"value": b.insecureSkipTLSVerify,
		"message": sprintf("%s %s/%s does not verify the object store's certificate", [b.kind, b.namespace, b.name]),
	}
}
