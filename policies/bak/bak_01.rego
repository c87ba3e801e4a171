# METADATA
# title: Backups and snapshots stay in allowed regions
# description: >-
#   Velero BackupStorageLocations and VolumeSnapshotLocations copy personal
#   data out of the cluster. Their region (config.region, or
#   config.snapshotLocation for GCP) — or, without one, a region named in
#   the s3Url host or the profile's destinations — must be in an allowed
#   country. Without any region the object store's provider decides where
#   the data goes. A location that is a Service of the cluster itself keeps
#   the data on the cluster's own volumes (LOC-03).
# custom:
#   id: BAK-01
#   severity: critical
#   articles: ["44", "46", "32(1)(c)"]
#   references:
#   - "CJEU C-311/18 Schrems II (16 July 2020)"
#   - "Velero BackupStorageLocation and VolumeSnapshotLocation configuration"
#   remediation: |
#     Name an allowed region explicitly:
#       apiVersion: velero.io/v1
#       kind: BackupStorageLocation
#       spec:
#         provider: aws
#         objectStorage:
#           bucket: backups-stockholm
#         config:
#           region: eu-north-1
#   requires: [backupstoragelocations, volumesnapshotlocations]
package tilsyn.controls.bak_01

import data.tilsyn.lib
import rego.v1

resource(b) := {"kind": b.kind, "namespace": b.namespace, "name": b.name}

findings contains f if {
	some b in input.facts.location.backups
	not b.inCluster
	object.get(b, "countrySource", "") == ""
	f := {
		"resource": resource(b),
		"field": "spec.config.region",
		"value": null,
		"message": sprintf("%s %s/%s (provider %s) names no region: the object store's provider decides where the backups go", [b.kind, b.namespace, b.name, b.provider]),
	}
}

findings contains f if {
	some b in input.facts.location.backups
	not b.inCluster
	object.get(b, "countrySource", "") != ""
	not lib.allowed_country(b.country)
	f := {
		"resource": resource(b),
		"field": field(b),
		"value": value(b),
		"message": sprintf("%s %s/%s keeps data in %s (%s)", [b.kind, b.namespace, b.name, where(b), b.countrySource]),
	}
}

field(b) := b.regionField if object.get(b, "regionField", "") != ""

field(b) := "spec.config.s3Url" if object.get(b, "regionField", "") == ""

value(b) := b.region if object.get(b, "regionField", "") != ""

value(b) := b.url if object.get(b, "regionField", "") == ""

where(b) := sprintf("%s, not an allowed country", [b.country]) if b.country != "unknown"

where(b) := sprintf("region %s, which the profile's region tables do not know", [b.region]) if b.country == "unknown"
