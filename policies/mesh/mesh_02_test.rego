package tilsyn.controls.mesh_02_test

import data.tilsyn.controls.mesh_02
import rego.v1

row(ns, name, port, mode, policy, field) := {
	"namespace": ns, "workload": {"kind": "Deployment", "name": name},
	"port": port, "mode": mode, "policy": policy, "field": field, "sidecar": true,
}

facts(rows) := {"scope": {"inScope": {"pay": true}}, "mtls": rows}

test_pass_all_strict if {
	count(mesh_02.findings) == 0 with input as {"facts": facts([row("pay", "api", 0, "STRICT", "pay/default", "spec.mtls.mode")])}
}

test_pass_out_of_scope_permissive if {
	count(mesh_02.findings) == 0 with input as {"facts": facts([row("tools", "debug", 0, "PERMISSIVE", "default", "")])}
}

test_fail_permissive_is_medium if {
	some f in mesh_02.findings with input as {"facts": facts([row("pay", "api", 0, "PERMISSIVE", "default", "")])}
	f.severity == "medium"
	f.value == "PERMISSIVE"
	f.resource == {"kind": "Deployment", "namespace": "pay", "name": "api"}
	contains(f.message, "istiod's default")
}

test_fail_port_disable_is_high if {
	fs := mesh_02.findings with input as {"facts": facts([
		row("pay", "api", 0, "STRICT", "pay/api", "spec.mtls.mode"),
		row("pay", "api", 9090, "DISABLE", "pay/api", "spec.portLevelMtls[9090].mode"),
	])}
	count(fs) == 1
	some f in fs
	f.severity == "high"
	f.field == "PeerAuthentication pay/api spec.portLevelMtls[9090].mode"
	contains(f.message, "port 9090")
}

test_fail_note_is_in_message if {
	r := object.union(row("pay", "api", 0, "PERMISSIVE", "pay/api", "spec.mtls.mode"), {"note": "DISABLE is not supported in ambient mode"})
	some f in mesh_02.findings with input as {"facts": facts([r])}
	endswith(f.message, "(decided by PeerAuthentication pay/api) — DISABLE is not supported in ambient mode")
	f.field == "PeerAuthentication pay/api spec.mtls.mode"
}

test_fail_without_note_message_ends_at_policy if {
	some f in mesh_02.findings with input as {"facts": facts([row("pay", "api", 0, "PERMISSIVE", "default", "")])}
	endswith(f.message, "accepts PERMISSIVE on every port (decided by no PeerAuthentication: istiod's default)")
	f.field == "effective mTLS mode (no PeerAuthentication applies)"
}
