package tilsyn.controls.res_02_test

import data.tilsyn.controls.res_02
import rego.v1

w := {"namespace": "pay", "kind": "Deployment", "name": "api", "templatePath": "spec.template.", "ref": {"resource": "deployments", "index": 0}}

deployment(sysctls) := {"spec": {"template": {"spec": {"securityContext": {"sysctls": sysctls}}}}}

inp(sysctls) := {"facts": {"scope": {"inScope": {"pay": true}}, "workloads": [w]}, "resources": {"deployments": [deployment(sysctls)]}}

test_pass_safe_sysctls if {
	count(res_02.findings) == 0 with input as inp([{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}, {"name": "net/ipv4/tcp_syncookies", "value": "1"}])
}

test_pass_out_of_scope if {
	i := object.union(inp([{"name": "net.core.somaxconn", "value": "1024"}]), {"facts": {"scope": {"inScope": {"pay": false}}}})
	count(res_02.findings) == 0 with input as object.union(i, {"facts": {"scope": {"inScope": {}}}})
}

test_fail_unsafe_sysctl if {
	fs := res_02.findings with input as inp([{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "net.core.somaxconn", "value": "1024"}])
	count(fs) == 1
	some f in fs
	f.field == "spec.template.spec.securityContext.sysctls[1].name"
	f.value == "net.core.somaxconn"
	f.resource == {"kind": "Deployment", "namespace": "pay", "name": "api"}
}
