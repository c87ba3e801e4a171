# METADATA
# title: Personal-data pods set only safe sysctls
# description: >-
#   Pod securityContext.sysctls outside the Kubernetes "safe" set change
#   kernel settings shared with every other pod on the node (and must be
#   explicitly allowed on the kubelet): one workload's tuning can degrade
#   its neighbours' availability.
# custom:
#   id: RES-02
#   severity: low
#   articles: ["32(1)(b)"]
#   references:
#   - "Kubernetes: using sysctls in a Kubernetes cluster (safe and unsafe sysctls)"
#   remediation: |
#     Remove unsafe sysctls from the pod template and tune the node instead
#     (RES-01); only these are namespaced and safe:
#       kernel.shm_rmid_forced, net.ipv4.ip_local_port_range,
#       net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies,
#       net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports,
#       net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
#       net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes,
#       net.ipv4.tcp_rmem, net.ipv4.tcp_wmem
#   requires: [namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs]
package tilsyn.controls.res_02

import rego.v1

# Kubernetes' safe sysctls (kubelet's default allow list, as of v1.32).
safe := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
}

# input.facts.podSysctls holds the sysctls of personal-data workloads,
# keyed namespace/Kind/name.
findings contains f if {
	some key, sysctls in input.facts.podSysctls
	[ns, kind, name] := split(key, "/")
	some s in sysctls
	not replace(s.name, "/", ".") in safe
	f := {
		"resource": {"kind": kind, "namespace": ns, "name": name},
		"field": sprintf("%s.name", [s.field]),
		"value": s.name,
		"message": sprintf("%s %s/%s sets the unsafe sysctl %s=%s, which affects every pod on its node", [kind, ns, name, s.name, s.value]),
	}
}
