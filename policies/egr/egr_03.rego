# METADATA
# title: Nothing leaves the cluster in cleartext
# description: >-
#   A MESH_EXTERNAL ServiceEntry port declared as HTTP, HTTP2, GRPC, TCP or
#   another cleartext protocol, toward which no DestinationRule originates
#   TLS (SIMPLE or MUTUAL), sends data across networks unencrypted. Ports
#   declared HTTPS or TLS carry the application's own TLS.
# custom:
#   id: EGR-03
#   severity: high
#   articles: ["5(1)(f)", "32(1)(a)"]
#   references:
#   - "EDPB Recommendations 01/2020 v2.0, use case 3 (transit through third countries)"
#   - "Istio: egress TLS origination"
#   remediation: |
#     Call the service over HTTPS (protocol HTTPS on port 443), or let the
#     sidecar originate TLS:
#       apiVersion: networking.istio.io/v1
#       kind: DestinationRule
#       metadata:
#         name: api-example
#       spec:
#         host: api.example.com
#         trafficPolicy:
#           portLevelSettings:
#           - port: {number: 80}
#             tls:
#               mode: SIMPLE
#               sni: api.example.com
#   requires: [serviceentries, destinationrules]
package tilsyn.controls.egr_03

import rego.v1

findings contains f if {
	some d in input.facts.transfers
	d.personalData
	not d.encrypted
	f := {
		"resource": {"kind": d.source.kind, "namespace": d.source.namespace, "name": d.source.name},
		"field": field(d),
		"value": d.protocol,
		"message": sprintf("%s %s/%s: %s to %s:%d leaves the cluster in cleartext: %s", [
			d.source.kind, d.source.namespace, d.source.name, d.protocol, d.host, d.port, tls_text(d),
		]),
	}
}

field(d) := sprintf("%s.protocol", [d.portField]) if object.get(d, "portField", "") != ""

field(d) := sprintf("%s (no ports declared)", [d.field]) if object.get(d, "portField", "") == ""

tls_text(d) := "no DestinationRule applies" if object.get(d.tls, "rule", "") == ""

tls_text(d) := sprintf("DestinationRule %s sets %s, not SIMPLE or MUTUAL", [d.tls.rule, mode(d)]) if object.get(d.tls, "rule", "") != ""

mode(d) := "no tls for this port" if d.tls.mode in {"PLAINTEXT", "AUTO_MTLS"}

mode(d) := d.tls.mode if not d.tls.mode in {"PLAINTEXT", "AUTO_MTLS"}
