# METADATA
# title: Gateways refuse old TLS and do not serve plaintext HTTP
# description: >-
#   Every Gateway server that terminates TLS must not accept TLS 1.0 or 1.1
#   (tls.minProtocolVersion), and every plain HTTP server must redirect to
#   HTTPS (tls.httpsRedirect) rather than serve requests: personal data sent
#   to an HTTP listener crosses the network in cleartext.
# custom:
#   id: TLS-02
#   severity: high
#   articles: ["32(1)(a)"]
#   references:
#   - "NIST SP 800-52r2: TLS 1.0 and 1.1 are not approved"
#   - "BSI TR-02102-2: Use of Transport Layer Security"
#   - "Istio Gateway ServerTLSSettings reference"
#   remediation: |
#     Raise the minimum version and redirect HTTP to HTTPS:
#       servers:
#       - port: {number: 443, name: https, protocol: HTTPS}
#         tls:
#           mode: SIMPLE
#           credentialName: example-cert
#           minProtocolVersion: TLSV1_2
#       - port: {number: 80, name: http, protocol: HTTP}
#         tls:
#           httpsRedirect: true
#   requires: [gateways]
package tilsyn.controls.tls_02

import data.tilsyn.lib
import rego.v1

old := {"TLSV1_0": "TLS 1.0", "TLSV1_1": "TLS 1.1"}

passthrough := {"PASSTHROUGH", "AUTO_PASSTHROUGH"}

findings contains f if {
	some gw in input.resources.gateways
	some i, srv in object.get(gw.spec, "servers", [])
	tls := object.get(srv, "tls", {})
	not object.get(tls, "mode", "SIMPLE") in passthrough
	version := object.get(tls, "minProtocolVersion", "")
	old[version]
	f := {
		"resource": lib.object_resource(gw),
		"field": sprintf("spec.servers[%d].tls.minProtocolVersion", [i]),
		"value": version,
		"message": sprintf("Gateway %s/%s, port %v (hosts %s) accepts %s", [
			gw.metadata.namespace, gw.metadata.name, object.get(srv, ["port", "number"], "?"),
			concat(", ", object.get(srv, "hosts", [])), old[version],
		]),
	}
}

findings contains f if {
	some gw in input.resources.gateways
	some i, srv in object.get(gw.spec, "servers", [])
	upper(object.get(srv, ["port", "protocol"], "")) in {"HTTP", "HTTP2"}
	redirect := object.get(srv, ["tls", "httpsRedirect"], null)
	redirect != true
	f := {
		"resource": lib.object_resource(gw),
		"field": sprintf("spec.servers[%d].tls.httpsRedirect", [i]),
		"value": redirect,
		"message": sprintf("Gateway %s/%s serves plaintext HTTP on port %v (hosts %s) instead of redirecting to HTTPS", [
			gw.metadata.namespace, gw.metadata.name, object.get(srv, ["port", "number"], "?"),
			concat(", ", object.get(srv, "hosts", [])),
		]),
	}
}
