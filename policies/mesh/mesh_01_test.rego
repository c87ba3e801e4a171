package tilsyn.controls.mesh_01_test

import data.tilsyn.controls.mesh_01
import rego.v1

base := {"mesh": {"rootNamespace": "istio-system"}}

with_mesh(p) := object.union(base, {"peerAuthentication": {"mesh": p}})

test_pass_strict_mesh_policy if {
	count(mesh_01.findings) == 0 with input as {"facts": with_mesh({"namespace": "istio-system", "name": "default", "mode": "STRICT"})}
}

test_fail_no_mesh_policy if {
	some f in mesh_01.findings with input as {"facts": with_mesh(null)}
	f.value == "absent"
	f.resource.namespace == "istio-system"
	f.field == "spec.mtls.mode"
}

test_fail_permissive_mesh_policy if {
	some f in mesh_01.findings with input as {"facts": with_mesh({"namespace": "istio-system", "name": "default", "mode": "PERMISSIVE"})}
	f.value == "PERMISSIVE"
	f.resource == {"kind": "PeerAuthentication", "namespace": "istio-system", "name": "default"}
}

test_fail_unset_mesh_policy if {
	some f in mesh_01.findings with input as {"facts": with_mesh({"namespace": "istio-system", "name": "default", "mode": "UNSET"})}
	f.value == "UNSET"
}
