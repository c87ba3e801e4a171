package tilsyn.controls.egr_01_test

import data.tilsyn.controls.egr_01
import rego.v1

facts(source, raw) := {"mesh": {"source": source, "rootNamespace": "istio-system", "raw": raw}, "scope": {"inScope": {"pay": true}}}

registry_only := {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}

sidecar(ns, mode) := {"kind": "Sidecar", "metadata": {"namespace": ns, "name": "default"}, "spec": {"outboundTrafficPolicy": {"mode": mode}}}

test_pass_registry_only if {
	inp := {"facts": facts("istio-system/istio", registry_only), "resources": {"sidecars": [sidecar("pay", "REGISTRY_ONLY"), sidecar("tools", "ALLOW_ANY")]}}
	count(egr_01.findings) == 0 with input as inp
}

test_fail_unset_is_allow_any if {
	fs := egr_01.findings with input as {"facts": facts("istio-system/istio", {}), "resources": {"sidecars": []}}
	count(fs) == 1
	some f in fs
	f.value == "(unset: ALLOW_ANY)"
	f.field == "meshConfig.outboundTrafficPolicy.mode"
	f.resource == {"kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}
}

test_fail_no_mesh_config_default if {
	fs := egr_01.findings with input as {"facts": facts("default", {}), "resources": {"sidecars": []}}
	some f in fs
	contains(f.message, "default ALLOW_ANY")
}

test_fail_sidecar_reopens_egress if {
	fs := egr_01.findings with input as {"facts": facts("istio-system/istio", registry_only), "resources": {"sidecars": [sidecar("pay", "ALLOW_ANY")]}}
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "Sidecar", "namespace": "pay", "name": "default"}
	contains(f.message, "workloads in pay")
}
