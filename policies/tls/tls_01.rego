# METADATA
# title: Mesh TLS versions meet the profile's minimum
# description: >-
#   meshConfig.meshMTLS.minProtocolVersion sets the lowest TLS version
#   sidecars accept from each other; meshConfig.tlsDefaults.minProtocolVersion
#   the lowest for gateways and TLS origination. Unset (or TLS_AUTO) means
#   TLS 1.2. The profile's minimum (spec.tls.meshMinProtocolVersion, TLS 1.2
#   in the eea profile) is the floor; TLS 1.3 is recommended by NIST SP
#   800-52r2 and BSI TR-02102-2. istiod itself refuses versions below 1.2 in
#   the mesh config.
# custom:
#   id: TLS-01
#   severity: low
#   articles: ["32(1)(a)"]
#   references:
#   - "NIST SP 800-52r2: Guidelines for TLS implementations (TLS 1.2 required, 1.3 recommended)"
#   - "BSI TR-02102-2: Use of Transport Layer Security"
#   - "Istio MeshConfig: meshMTLS and tlsDefaults"
#   remediation: |
#     Require TLS 1.3 in the mesh config (ConfigMap istio, key mesh):
#       meshMTLS:
#         minProtocolVersion: TLSV1_3
#       tlsDefaults:
#         minProtocolVersion: TLSV1_3
#   requires: [configmaps]
package tilsyn.controls.tls_01

import data.tilsyn.lib
import rego.v1

rank := {"TLS_AUTO": 2, "TLSV1_0": 0, "TLSV1_1": 1, "TLSV1_2": 2, "TLSV1_3": 3}

minimum := data.tilsyn.profile.spec.tls.meshMinProtocolVersion

settings := {
	"meshMTLS": "mutual TLS between sidecars",
	"tlsDefaults": "TLS at gateways and in TLS origination",
}

not_assessed contains {"reason": "no mesh ConfigMap (istio) in the snapshot: the TLS versions the mesh accepts cannot be read"} if {
	not lib.mesh_config_found
}

findings contains f if {
	lib.mesh_config_found
	some key, what in settings
	value := object.get(lib.mesh_config, [key, "minProtocolVersion"], "TLS_AUTO")
	object.get(rank, value, -1) < rank[minimum]
	f := {
		"resource": lib.mesh_config_resource,
		"field": sprintf("meshConfig.%s.minProtocolVersion", [key]),
		"value": value,
		"message": sprintf("meshConfig.%s (%s) accepts %s (%s), below the profile's minimum %s; TLS 1.3 is recommended (NIST SP 800-52r2, BSI TR-02102-2)", [
			key, what, value, meaning(value), minimum,
		]),
	}
}

meaning(v) := "unset: TLS 1.2" if v == "TLS_AUTO"

meaning(v) := "not a version Istio knows" if not rank[v]

meaning(v) := sprintf("TLS %s", [replace(trim_prefix(v, "TLSV"), "_", ".")]) if {
	v != "TLS_AUTO"
	rank[v]
}
