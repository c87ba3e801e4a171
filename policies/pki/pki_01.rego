# METADATA
# title: The mesh root certificate is strong, current and operator-controlled
# description: >-
#   The root certificate istiod publishes in every namespace (ConfigMap
#   istio-ca-root-cert, key root-cert.pem) anchors every workload identity
#   behind mTLS. It is parsed as X.509: it must not expire within the
#   profile's minimum days (rotation takes planning), its key must meet the
#   profile's sizes (RSA 3072, EC 256 bits by default), and it must not be
#   valid longer than the profile allows. A self-signed istiod CA
#   (Secret istio-ca-secret present, cacerts absent — checked by name, never
#   read) keeps the root key inside the cluster it vouches for.
# custom:
#   id: PKI-01
#   severity: medium
#   articles: ["32(1)(a)", "32(1)(d)"]
#   references:
#   - "BSI TR-02102-1: key lengths (RSA 3000 bits, EC 250 bits from 2023)"
#   - "NIST SP 800-57 Part 1 Rev. 5: key management"
#   - "Istio: plug in CA certificates (cacerts)"
#   remediation: |
#     Plug in an intermediate CA from an offline root with a 3072-bit RSA or
#     P-256 key, and rotate it before it expires:
#       kubectl create secret generic cacerts -n istio-system \
#         --from-file=ca-cert.pem --from-file=ca-key.pem \
#         --from-file=root-cert.pem --from-file=cert-chain.pem
#   requires: [configmaps]
package tilsyn.controls.pki_01

import data.tilsyn.lib
import rego.v1

limits := data.tilsyn.profile.spec.certificates

bundles := input.facts.pki.rootCerts

not_assessed contains {"reason": "no ConfigMap istio-ca-root-cert in the snapshot: the mesh root certificate cannot be examined"} if {
	count(bundles) == 0
}

not_assessed contains {"reason": sprintf("secrets %s: whether istiod uses its self-signed CA cannot be told", [object.get(input.coverage, ["secrets", "status"], "not collected")])} if {
	not lib.collected("secrets")
}

resource(b) := {"kind": "ConfigMap", "namespace": b.configMap.namespace, "name": b.configMap.name}

copies(b) := "" if b.copies == 1

copies(b) := sprintf(" (the same bundle is in %d ConfigMaps)", [b.copies]) if b.copies > 1

findings contains f if {
	some b in bundles
	b.error
	f := {
		"resource": resource(b),
		"field": "data[root-cert.pem]",
		"value": b.error,
		"message": sprintf("the mesh root certificate bundle cannot be read: %s%s", [b.error, copies(b)]),
	}
}

findings contains f if {
	some b in bundles
	some i, c in b.certificates
	left := lib.days(c.notAfterNs - input.meta.nowNs)
	left < limits.minDaysRemaining
	f := {
		"resource": resource(b),
		"field": sprintf("data[root-cert.pem] certificates[%d].notAfter", [i]),
		"value": c.notAfter,
		"message": sprintf("root certificate %s %s (profile minimum: %d days left)%s", [c.subject, expiry(left), limits.minDaysRemaining, copies(b)]),
	}
}

expiry(left) := sprintf("expired %d days ago", [-left]) if left < 0

expiry(left) := sprintf("expires in %d days", [left]) if left >= 0

minimum(c) := limits.minRSABits if c.keyAlgorithm == "RSA"

minimum(c) := limits.minECBits if c.keyAlgorithm in {"ECDSA", "Ed25519"}

findings contains f if {
	some b in bundles
	some i, c in b.certificates
	c.keyBits < minimum(c)
	f := {
		"resource": resource(b),
		"field": sprintf("data[root-cert.pem] certificates[%d].publicKey", [i]),
		"value": sprintf("%s %d", [c.keyAlgorithm, c.keyBits]),
		"message": sprintf("root certificate %s has a %d-bit %s key; the profile requires %d bits%s", [c.subject, c.keyBits, c.keyAlgorithm, minimum(c), copies(b)]),
	}
}

findings contains f if {
	some b in bundles
	some i, c in b.certificates
	not minimum(c)
	f := {
		"resource": resource(b),
		"field": sprintf("data[root-cert.pem] certificates[%d].publicKey", [i]),
		"value": c.keyAlgorithm,
		"message": sprintf("root certificate %s uses a %s key, for which the profile sets no minimum size", [c.subject, c.keyAlgorithm]),
	}
}

findings contains f if {
	some b in bundles
	some i, c in b.certificates
	c.validityDays > limits.maxValidityDays
	f := {
		"resource": resource(b),
		"field": sprintf("data[root-cert.pem] certificates[%d].notAfter", [i]),
		"value": sprintf("%s to %s", [c.notBefore, c.notAfter]),
		"message": sprintf("root certificate %s is valid for %d days; the profile allows %d%s", [c.subject, c.validityDays, limits.maxValidityDays, copies(b)]),
	}
}

findings contains f if {
	some ns, sec in input.facts.pki.caSecrets
	sec.istioCASecret
	not sec.cacerts
	f := {
		"resource": {"kind": "Secret", "namespace": ns, "name": "istio-ca-secret"},
		"field": "metadata.name",
		"value": "istio-ca-secret",
		"severity": "medium",
		"message": sprintf("istiod signs workload certificates with its self-signed CA (Secret %s/istio-ca-secret, no cacerts): the root key lives in the cluster it vouches for", [ns]),
	}
}
