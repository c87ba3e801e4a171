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
	"facts": {"mesh": mesh(raw), "scope": {"inScope": {"pay": true}}, "telemetrySinks": sinks},
	"resources": {"telemetries": telemetries},
}

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

test_fail_external_sink_unknown_country if {
	fs := egr_04.findings with input as inp({}, [sink(false, ["meshConfig.defaultProviders.tracing"], external("unknown", false, null))], [])
		with data.tilsyn.profile as profile
	count(fs) == 1
	some f in fs
	f.value == "otel.saas.example"
	contains(f.message, "unknown country")
}

test_not_assessed_without_mesh_config if {
	i := {"facts": {"mesh": {"source": "default", "rootNamespace": "istio-system", "raw": {}}, "scope": {"inScope": {}}, "telemetrySinks": []}, "resources": {"telemetries": []}}
	count(egr_04.not_assessed) == 1 with input as i with data.tilsyn.profile as profile
	count(egr_04.findings) == 0 with input as i with data.tilsyn.profile as profile
}
