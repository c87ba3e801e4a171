package tilsyn.controls.egr_04_test

import data.tilsyn.controls.egr_04
import rego.v1

profile := {"spec": {"tracing": {"maxSamplingPercent": 10}}}

mesh(raw) := {"source": "istio-system/istio", "rootNamespace": "istio-system", "raw": raw}

sink(in_cluster, refs, dest) := {
	"name": "otel", "type": "opentelemetry", "field": "meshConfig.extensionProviders[0].opentelemetry.service",
	"service": "otel.saas.example", "port": 4317, "inCluster": in_cluster, "referencedBy": refs, "destination": dest,
}

external(country, allowed, basis) := {"country": country, "allowed": allowed, "basis": basis}

inp(raw, sinks, telemetries) := {
	"facts": {"mesh": mesh(raw), "scope": {"inScope": {"pay": true}}, "telemetrySinks": sinks, "workloads": []},
	"resources": {"telemetries": telemetries},
}

workload(ns, annotations) := {"namespace": ns, "kind": "Deployment", "name": "api", "templatePath": "spec.template.", "dataplane": "sidecar", "annotations": annotations}

with_workloads(i, ws) := object.union(i, {"facts": {"workloads": ws}})

telemetry(ns, pct) := {"kind": "Telemetry", "metadata": {"namespace": ns, "name": "traces"}, "spec": {"tracing": [{"randomSamplingPercentage": pct}]}}

test_pass_low_sampling_in_cluster_sink if {
	i := inp({"defaultConfig": {"tracing": {"sampling": 1}}}, [sink(true, ["meshConfig.defaultProviders.tracing"], null)], [telemetry("pay", 5)])
	count(egr_04.findings) == 0 with input as i with data.tilsyn.profile as profile
}

test_pass_unused_external_sink if {
	i := inp({}, [sink(false, [], external("unknown", false, null))], [])
	count(egr_04.findings) == 0 with input as i with data.tilsyn.profile as profile
}

test_pass_external_sink_with_basis if {
	i := inp({}, [sink(false, ["Telemetry pay/x"], external("US", false, {"value": "dpf", "valid": true}))], [])
	count(egr_04.findings) == 0 with input as i with data.tilsyn.profile as profile
}

test_fail_full_sampling if {
	fs := egr_04.findings with input as inp({"defaultConfig": {"tracing": {"sampling": 100}}}, [], []) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.field == "meshConfig.defaultConfig.tracing.sampling"
	f.value == 100
}

test_fail_telemetry_sampling if {
	fs := egr_04.findings with input as inp({}, [], [telemetry("istio-system", 50), telemetry("tools", 100)]) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "Telemetry", "namespace": "istio-system", "name": "traces"}
	f.field == "spec.tracing[0].randomSamplingPercentage"
}

test_fail_sampling_as_text if {
	fs := egr_04.findings with input as inp({"defaultConfig": {"tracing": {"sampling": "25.5"}}}, [], []) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == 25.5
}

test_pass_telemetry_without_span_reporting if {
	t := {"kind": "Telemetry", "metadata": {"namespace": "pay", "name": "off"}, "spec": {"tracing": [{"randomSamplingPercentage": 100, "disableSpanReporting": true}]}}
	count(egr_04.findings) == 0 with input as inp({}, [], [t]) with data.tilsyn.profile as profile
}

test_fail_workload_proxy_config_sampling if {
	ws := [
		workload("pay", {"proxy.istio.io/config": "tracing:\n  sampling: 100\n"}),
		workload("tools", {"proxy.istio.io/config": "{\"tracing\": {\"sampling\": 100}}"}),
		workload("pay", {"proxy.istio.io/config": "{\"tracing\": {\"sampling\": 5}}"}),
	]
	fs := egr_04.findings with input as with_workloads(inp({}, [], []), ws) with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "Deployment", "namespace": "pay", "name": "api"}
	f.field == "spec.template.metadata.annotations[proxy.istio.io/config].tracing.sampling"
	f.value == 100
}

test_fail_external_sink_unknown_country if {
	fs := egr_04.findings with input as inp({}, [sink(false, ["meshConfig.defaultProviders.tracing"], external("unknown", false, null))], [])
		with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == "otel.saas.example"
	contains(f.message, "unknown country")
}

test_not_assessed_without_mesh_config if {
	i := {"facts": {"mesh": {"source": "default", "rootNamespace": "istio-system", "raw": {}}, "scope": {"inScope": {}}, "telemetrySinks": [], "workloads": []}, "resources": {"telemetries": []}}
	count(egr_04.not_assessed) == 1 with input as i with data.tilsyn.profile as profile
	count(egr_04.findings) == 0 with input as i with data.tilsyn.profile as profile
}
