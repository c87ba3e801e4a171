package tilsyn.controls.egr_05_test

import data.tilsyn.controls.egr_05
import rego.v1

np(ns, spec) := {"kind": "NetworkPolicy", "metadata": {"namespace": ns, "name": "p"}, "spec": spec}

deny := {"podSelector": {}, "policyTypes": ["Egress"]}

dns_only := {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [{"ports": [{"protocol": "UDP", "port": 53}], "to": [{"namespaceSelector": {}}]}]}

inp(policies) := {"facts": {"scope": {"namespaces": ["pay", "ledger"]}}, "resources": {"networkpolicies": policies}}

test_pass_default_deny if {
	count(egr_05.findings) == 0 with input as inp([np("pay", deny), np("ledger", dns_only)])
}

test_pass_egress_rules_imply_type if {
	count(egr_05.findings) == 0 with input as inp([np("pay", deny), np("ledger", {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]})])
}

test_fail_missing_namespace if {
	fs := egr_05.findings with input as inp([np("pay", deny)])
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "Namespace", "namespace": "", "name": "ledger"}
	f.value == "none"
}

test_fail_allow_all_and_partial_selectors if {
	allow_all := {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}
	anywhere := {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}
	some_pods := {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Egress"]}
	ingress_only := {"podSelector": {}}
	fs := egr_05.findings with input as inp([np("pay", allow_all), np("pay", some_pods), np("ledger", anywhere), np("ledger", ingress_only)])
	count(fs) == 2
}
