package tilsyn.controls.mesh_05_test

import data.tilsyn.controls.mesh_05
import rego.v1

wl(ns, annotations) := {
	"namespace": ns, "kind": "Deployment", "name": "api",
	"templatePath": "spec.template.", "annotations": annotations,
}

facts(ws) := {"scope": {"inScope": {"pay": true}}, "workloads": ws}

test_pass_no_exclusions if {
	count(mesh_05.findings) == 0 with input as {"facts": facts([wl("pay", {"prometheus.io/scrape": "true"})])}
}

test_pass_out_of_scope if {
	count(mesh_05.findings) == 0 with input as {"facts": facts([wl("tools", {"traffic.sidecar.istio.io/excludeInboundPorts": "5432"})])}
}

test_fail_excluded_ports_and_ranges if {
	fs := mesh_05.findings with input as {"facts": facts([wl("pay", {
		"traffic.sidecar.istio.io/excludeInboundPorts": "5432",
		"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8",
	})])}
	count(fs) == 2
	some f in fs
	f.field == "spec.template.metadata.annotations[traffic.sidecar.istio.io/excludeInboundPorts]"
	f.value == "5432"
}
