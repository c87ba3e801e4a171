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

import data.tilsyn.lib
import rego.v1

# Kubernetes' safe sysctls (kubelet's default allow list, as of v1.32).
safe := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
}

findings contains f if {
	some w in lib.pd_workloads
	some i, s in object.get(lib.pod_spec(w), ["securityContext", "sysctls"], [])
	name := replace(s.name, "/", ".")
	not name in safe
	f := {
		"resource": lib.workload_resource(w),
		"field": sprintf("%s.securityContext.sysctls[%d].name", [lib.pod_spec_field(w), i]),
		"value": s.name,
		"message": sprintf("%s %s/%s sets the unsafe sysctl %s=%v, which affects every pod on its node", [w.kind, w.namespace, w.name, s.name, object.get(s, "value", "")]),
	}
}
