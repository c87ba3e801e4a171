# METADATA
# title: No conflicting or ignored PeerAuthentications
# description: >-
#   When several PeerAuthentications apply at the same level (two mesh-wide,
#   two in one namespace, or two workload policies matching the same
#   workload), istiod uses the oldest and silently ignores the others. A
#   root-namespace policy with a selector is ignored entirely. Such dead
#   configuration misleads whoever reads the YAML about what is enforced.
# custom:
#   id: MESH-06
#   severity: low
#   articles: ["5(2)"]
#   references:
#   - "Istio: PeerAuthentication (the oldest policy wins)"
#   remediation: |
#     Delete the ignored policies, or merge them into the one that wins.
#   requires: [peerauthentications, configmaps, namespaces, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs]
package tilsyn.controls.mesh_06

import data.tilsyn.lib
import rego.v1

findings contains f if {
	some c in input.facts.peerAuthentication.conflicts
	some i, ignored in c.ignored
	p := input.resources.peerauthentications[c.refs[i].index]
	f := {
		"resource": lib.object_resource(p),
		"field": "metadata.creationTimestamp",
		"value": object.get(p.metadata, "creationTimestamp", "(unset)"),
		"message": sprintf("%s-level PeerAuthentication %s is ignored: %s is older and wins%s", [c.level, ignored, c.winner, selector_text(c)]),
	}
}

findings contains f if {
	some p in input.facts.peerAuthentication.ignoredSelectors
	f := {
		"resource": lib.policy_resource(p),
		"field": "spec.selector",
		"value": input.resources.peerauthentications[p.ref.index].spec.selector,
		"message": sprintf("PeerAuthentication %s/%s is in the root namespace and has a selector: istiod ignores it entirely", [p.namespace, p.name]),
	}
}

selector_text(c) := sprintf(" (selector %s)", [c.selector]) if c.selector != ""

selector_text(c) := "" if not c.selector
