# METADATA
# title: Personal-data namespaces deny egress by default
# description: >-
#   REGISTRY_ONLY is enforced by the sidecar, which a pod without one (or
#   traffic excluded from it) bypasses: it is not a firewall. Each
#   personal-data namespace needs a NetworkPolicy selecting every pod
#   (podSelector {}) with Egress among its policyTypes and no rule that
#   allows everything, so that only the destinations it lists are reachable.
# custom:
#   id: EGR-05
#   severity: medium
#   articles: ["32(1)(b)"]
#   references:
#   - "Kubernetes NetworkPolicy: default deny all egress traffic"
#   - "Istio security best practices: egress is not a security boundary without NetworkPolicy"
#   remediation: |
#     Deny egress by default, then allow DNS and what is needed:
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: default-deny-egress
#         namespace: <namespace>
#       spec:
#         podSelector: {}
#         policyTypes: [Egress]
#         egress:
#         - to:
#           - namespaceSelector:
#               matchLabels: {kubernetes.io/metadata.name: kube-system}
#           ports: [{protocol: UDP, port: 53}]
#   requires: [networkpolicies, namespaces]
package tilsyn.controls.egr_05

import rego.v1

# denying contains the namespaces with a default-deny egress policy.
denying contains np.metadata.namespace if {
	some np in input.resources.networkpolicies
	every_pod(np.spec)
	"Egress" in policy_types(np.spec)
	not allows_everything(np.spec)
}

every_pod(spec) if {
	count(object.get(spec, ["podSelector", "matchLabels"], {})) == 0
	count(object.get(spec, ["podSelector", "matchExpressions"], [])) == 0
}

# Without policyTypes, Egress applies when egress rules are present.
policy_types(spec) := spec.policyTypes

policy_types(spec) := ["Ingress", "Egress"] if {
	not spec.policyTypes
	spec.egress
}

policy_types(spec) := ["Ingress"] if {
	not spec.policyTypes
	not spec.egress
}

allows_everything(spec) if {
	some rule in object.get(spec, "egress", [])
	count(object.get(rule, "to", [])) == 0
	count(object.get(rule, "ports", [])) == 0
}

allows_everything(spec) if {
	some rule in object.get(spec, "egress", [])
	some peer in object.get(rule, "to", [])
	peer.ipBlock.cidr in {"0.0.0.0/0", "::/0"}
	count(object.get(peer.ipBlock, "except", [])) == 0
	count(object.get(rule, "ports", [])) == 0
}

findings contains f if {
	some ns in input.facts.scope.namespaces
	not denying[ns]
	f := {
		"resource": {"kind": "Namespace", "namespace": "", "name": ns},
		"field": "NetworkPolicy (podSelector {}, policyTypes [Egress])",
		"value": "none",
		"message": sprintf("namespace %s processes personal data and no NetworkPolicy denies its egress by default: pods can reach any address the sidecar does not intercept", [ns]),
	}
}
