# METADATA
# title: Only forward-secret cipher suites while TLS 1.2 is allowed
# description: >-
#   With TLS 1.2 or older allowed, the cipher suites decide whether a stolen
#   server key decrypts recorded traffic: suites without (EC)DHE key
#   exchange (AES128-GCM-SHA256, AES256-GCM-SHA384, ...) are not forward
#   secret. Istio's default list for meshMTLS and tlsDefaults includes two of
#   them, so an unset list fails unless TLS 1.3 is the minimum. Checked in
#   meshConfig.meshMTLS, meshConfig.tlsDefaults and every Gateway server that
#   sets its own list.
# custom:
#   id: TLS-03
#   severity: medium
#   articles: ["32(1)(a)"]
#   references:
#   - "BSI TR-02102-2: recommended cipher suites (forward secrecy)"
#   - "NIST SP 800-52r2, section 3.3.1"
#   - "Istio MeshConfig.TLSConfig cipherSuites (default list)"
#   remediation: |
#     Require TLS 1.3, or list only ECDHE suites (mesh config, key mesh):
#       meshMTLS:
#         minProtocolVersion: TLSV1_3
#       tlsDefaults:
#         minProtocolVersion: TLSV1_2
#         cipherSuites:
#         - ECDHE-ECDSA-AES256-GCM-SHA384
#         - ECDHE-RSA-AES256-GCM-SHA384
#         - ECDHE-ECDSA-AES128-GCM-SHA256
#         - ECDHE-RSA-AES128-GCM-SHA256
#   requires: [configmaps, gateways]
package tilsyn.controls.tls_03

import data.tilsyn.lib
import rego.v1

# Istio's list when cipherSuites is unset (MeshConfig.TLSConfig).
istio_defaults := [
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	"AES256-GCM-SHA384", "AES128-GCM-SHA256",
]

forward_secret(s) if startswith(upper(s), "ECDHE-")

forward_secret(s) if startswith(upper(s), "DHE-")

forward_secret(s) if contains(upper(s), "_ECDHE_")

forward_secret(s) if contains(upper(s), "_DHE_")

# TLS 1.3 suites always use ephemeral key exchange.
forward_secret(s) if startswith(upper(s), "TLS_AES_")

forward_secret(s) if startswith(upper(s), "TLS_CHACHA20_")

weak(suites) := [s | some s in suites; not forward_secret(s)]

not_assessed contains {"reason": "no mesh ConfigMap (istio) in the snapshot: the mesh's cipher suites cannot be read"} if {
	not lib.mesh_config_found
}

tls_defaults := object.get(lib.mesh_config, "tlsDefaults", {})

findings contains f if {
	lib.mesh_config_found
	some key in ["meshMTLS", "tlsDefaults"]
	cfg := object.get(lib.mesh_config, key, {})
	object.get(cfg, "minProtocolVersion", "TLS_AUTO") != "TLSV1_3"
	suites := object.get(cfg, "cipherSuites", istio_defaults)
	bad := weak(suites)
	count(bad) > 0
	f := {
		"resource": lib.mesh_config_resource,
		"field": sprintf("meshConfig.%s.cipherSuites", [key]),
		"value": value(cfg),
		"message": sprintf("meshConfig.%s allows TLS 1.2 with suites that are not forward secret: %s%s", [key, concat(", ", bad), unset_note(cfg)]),
	}
}

findings contains f if {
	some gw in input.resources.gateways
	some i, srv in object.get(gw.spec, "servers", [])
	tls := object.get(srv, "tls", {})
	not object.get(tls, "mode", "SIMPLE") in {"PASSTHROUGH", "AUTO_PASSTHROUGH"}
	suites := tls.cipherSuites
	object.get(tls, "minProtocolVersion", object.get(tls_defaults, "minProtocolVersion", "TLS_AUTO")) != "TLSV1_3"
	bad := weak(suites)
	count(bad) > 0
	f := {
		"resource": lib.object_resource(gw),
		"field": sprintf("spec.servers[%d].tls.cipherSuites", [i]),
		"value": suites,
		"message": sprintf("Gateway %s/%s port %v allows TLS 1.2 with suites that are not forward secret: %s", [
			gw.metadata.namespace, gw.metadata.name, object.get(srv, ["port", "number"], "?"), concat(", ", bad),
		]),
	}
}

value(cfg) := cfg.cipherSuites

value(cfg) := "(unset: Istio's default list)" if not cfg.cipherSuites

unset_note(cfg) := "" if cfg.cipherSuites

unset_note(cfg) := " (Istio's default list applies)" if not cfg.cipherSuites
