package tilsyn.controls.mesh_04_test

import data.tilsyn.controls.mesh_04
import rego.v1

wl(ns, dp, field, value) := {
	"namespace": ns, "kind": "Deployment", "name": "api", "dataplane": dp,
	"injection": {"field": field, "value": value, "reason": "because"},
}

facts(ws) := {"scope": {"inScope": {"pay": true}}, "workloads": ws}

test_pass_sidecar if {
	count(mesh_04.findings) == 0 with input as {"facts": facts([wl("pay", "sidecar", "", "")])}
}

test_pass_ambient if {
	count(mesh_04.findings) == 0 with input as {"facts": facts([wl("pay", "ambient", "", "")])}
}

test_pass_out_of_scope if {
	count(mesh_04.findings) == 0 with input as {"facts": facts([wl("tools", "none", "x", "y")])}
}

test_fail_not_injected if {
	some f in mesh_04.findings with input as {"facts": facts([wl("pay", "none", "spec.template.metadata.labels[sidecar.istio.io/inject]", "false")])}
	f.field == "spec.template.metadata.labels[sidecar.istio.io/inject]"
	f.value == "false"
	f.resource == {"kind": "Deployment", "namespace": "pay", "name": "api"}
}
