package tilsyn.controls.res_02_test

import data.tilsyn.controls.res_02
import rego.v1

sysctl(i, name, value) := {"name": name, "value": value, "field": sprintf("spec.template.spec.securityContext.sysctls[%d]", [i])}

inp(sysctls) := {"facts": {"podSysctls": {"pay/Deployment/api": sysctls}}}

test_pass_safe_sysctls if {
	count(res_02.findings) == 0 with input as inp([sysctl(0, "net.ipv4.ip_local_port_range", "1024 65535"), sysctl(1, "net/ipv4/tcp_syncookies", "1")])
}

test_pass_none_set if {
	count(res_02.findings) == 0 with input as {"facts": {"podSysctls": {}}}
}

test_fail_unsafe_sysctl if {
	fs := res_02.findings with input as inp([sysctl(0, "net.ipv4.tcp_syncookies", "1"), sysctl(1, "net.core.somaxconn", "1024")])
	count(fs) == 1
	some f in fs
	f.field == "spec.template.spec.securityContext.sysctls[1].name"
	f.value == "net.core.somaxconn"
	f.resource == {"kind": "Deployment", "namespace": "pay", "name": "api"}
}
