# METADATA
# title: Nodes are tuned for a sidecar mesh
# description: >-
#   Every sidecar holds connections open: nodes under a mesh need more file
#   handles, a larger conntrack table and port range, TIME_WAIT reuse and
#   shorter keepalives than kernel defaults, or they drop connections under
#   load — an availability failure. The node agent's records of each node's
#   sysctls are compared with the profile's baseline
#   (spec.nodeBaseline.sysctls); conntrack usage at or above the profile's
#   share of nf_conntrack_max is high severity. A node without a record, or
#   a value the agent could not read, is not assessed: the Kubernetes API
#   does not show kernel settings.
# custom:
#   id: RES-01
#   severity: low
#   articles: ["32(1)(b)", "32(1)(c)"]
#   references:
#   - "Linux kernel documentation: sysctl net.ipv4 and net.netfilter"
#   - "Istio performance and scalability guidance"
#   remediation: |
#     Apply the baseline on every node (e.g. a sysctl drop-in from the node
#     image or a privileged DaemonSet):
#       fs.file-max = 2097152
#       net.netfilter.nf_conntrack_max = 131072
#       net.ipv4.tcp_tw_reuse = 1
#       net.ipv4.ip_local_port_range = 1024 65535
#       net.ipv4.tcp_keepalive_time = 600
#       net.ipv4.tcp_keepalive_intvl = 60
#       net.ipv4.tcp_keepalive_probes = 3
#   requires: [nodes]
package tilsyn.controls.res_01

import rego.v1

baseline := data.tilsyn.profile.spec.nodeBaseline

records := input.facts.nodeTuning.records

nodes := input.facts.location.nodes

resource(n) := {"kind": "Node", "namespace": "", "name": n.name}

not_assessed contains {"reason": "no Node objects in the snapshot"} if count(nodes) == 0

not_assessed contains {"resource": resource(n), "reason": "no node agent record for this node: its kernel settings are not visible through the Kubernetes API"} if {
	some n in nodes
	not records[n.name]
}

# Only nodes with a record are examined further (iterating the records, not
# every node against every sysctl).
not_assessed contains {"resource": {"kind": "Node", "namespace": "", "name": node}, "reason": sprintf("%s was not read: %s", [name, v.absent])} if {
	some node, rec in records
	some name, _ in baseline.sysctls
	v := rec.sysctls[name]
	v.absent
}

value(node, name) := trim_space(records[node].sysctls[name].value)

findings contains f if {
	some node, _ in records
	some name, rule in baseline.sysctls
	v := value(node, name)
	why := problem(rule, v)
	f := {
		"resource": {"kind": "Node", "namespace": "", "name": node},
		"field": sprintf("sysctl %s", [name]),
		"value": v,
		"message": sprintf("node %s: %s = %s %s", [node, name, v, why]),
	}
}

integer(v) if regex.match(`^-?[0-9]+$`, v)

problem(rule, v) := "is not a number" if {
	not rule.equals
	not rule.coversRange
	not integer(v)
}

problem(rule, v) := sprintf("is below the baseline minimum %d", [rule.min]) if {
	is_number(rule.min)
	integer(v)
	to_number(v) < rule.min
}

problem(rule, v) := sprintf("is above the baseline maximum %d", [rule.max]) if {
	is_number(rule.max)
	integer(v)
	to_number(v) > rule.max
}

problem(rule, v) := sprintf("is not the baseline value %s", [rule.equals]) if {
	rule.equals
	v != rule.equals
}

problem(rule, v) := sprintf("does not cover the baseline range %d-%d", [rule.coversRange[0], rule.coversRange[1]]) if {
	rule.coversRange
	not covers(v, rule.coversRange)
}

covers(v, r) if {
	parts := split(regex.replace(v, `\s+`, " "), " ")
	count(parts) == 2
	integer(parts[0])
	integer(parts[1])
	to_number(parts[0]) <= r[0]
	to_number(parts[1]) >= r[1]
}

findings contains f if {
	some node, rec in records
	used := trim_space(rec.conntrackCount.value)
	limit := value(node, "net.netfilter.nf_conntrack_max")
	integer(used)
	integer(limit)
	to_number(limit) > 0
	pct := (to_number(used) * 100) / to_number(limit)
	pct >= baseline.conntrackUsageMaxPercent
	f := {
		"resource": {"kind": "Node", "namespace": "", "name": node},
		"field": "nf_conntrack_count",
		"value": used,
		"severity": "high",
		"message": sprintf("node %s: the conntrack table is %d%% full (%s of %s): new connections are about to be dropped", [node, round(pct), used, limit]),
	}
}
