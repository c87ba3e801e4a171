# METADATA
# title: Telemetry stays minimal and inside the allowed countries
# description: >-
#   Traces and access logs carry client IPs, headers and URLs. A telemetry
#   provider that something uses (meshConfig.defaultProviders, a Telemetry
#   resource, or the proxies' legacy tracer) and whose service is outside
#   the cluster and outside the allowed countries — or of unknown country —
#   needs a declared transfer basis, like any other destination (and a
#   processor agreement, Art. 28(3), which the cluster cannot show). Trace
#   sampling above the profile's maximum (meshConfig.defaultConfig.tracing.sampling,
#   Telemetry randomSamplingPercentage) records more than needed.
# custom:
#   id: EGR-04
#   severity: medium
#   articles: ["5(1)(c)", "28(3)", "44"]
#   references:
#   - "EDPB Recommendations 01/2020 v2.0"
#   - "Istio Telemetry API: tracing providers and randomSamplingPercentage"
#   - "Datatilsynet: data minimisation (Art. 5(1)(c))"
#   remediation: |
#     Send telemetry to a collector inside the cluster or the allowed
#     countries, and sample sparingly:
#       apiVersion: telemetry.istio.io/v1
#       kind: Telemetry
#       metadata:
#         name: mesh-default
#         namespace: istio-system
#       spec:
#         tracing:
#         - providers: [{name: otel-in-cluster}]
#           randomSamplingPercentage: 1
#   requires: [configmaps, telemetries, serviceentries]
package tilsyn.controls.egr_04

import data.tilsyn.lib
import rego.v1

maximum := data.tilsyn.profile.spec.tracing.maxSamplingPercent

not_assessed contains {"reason": "no mesh ConfigMap (istio) in the snapshot: telemetry providers and default sampling cannot be read"} if {
	not lib.mesh_config_found
}

# Istio samples 1% when defaultConfig.tracing.sampling is unset.
findings contains f if {
	lib.mesh_config_found
	sampling := object.get(lib.mesh_config, ["defaultConfig", "tracing", "sampling"], 1)
	is_number(sampling)
	sampling > maximum
	f := {
		"resource": lib.mesh_config_resource,
		"field": "meshConfig.defaultConfig.tracing.sampling",
		"value": sampling,
		"message": sprintf("proxies trace %v%% of requests by default; the profile allows at most %v%% (traces carry client IPs, headers and URLs)", [sampling, maximum]),
	}
}

findings contains f if {
	some t in input.resources.telemetries
	applies(t.metadata.namespace)
	some i, tr in object.get(t.spec, "tracing", [])
	p := tr.randomSamplingPercentage
	p > maximum
	f := {
		"resource": lib.object_resource(t),
		"field": sprintf("spec.tracing[%d].randomSamplingPercentage", [i]),
		"value": p,
		"message": sprintf("Telemetry %s/%s traces %v%% of requests; the profile allows at most %v%%", [t.metadata.namespace, t.metadata.name, p, maximum]),
	}
}

applies(ns) if lib.in_scope(ns)

applies(ns) if ns == input.facts.mesh.rootNamespace

findings contains f if {
	some sk in input.facts.telemetrySinks
	count(sk.referencedBy) > 0
	not sk.inCluster
	d := sk.destination
	not d.allowed
	not lib.valid_basis(d)
	f := {
		"resource": lib.mesh_config_resource,
		"field": sk.field,
		"value": value(sk),
		"message": sprintf("telemetry provider %s (%s, used by %s) sends to %s outside the cluster, %s, with no declared transfer basis", [
			sk.name, sk.type, concat(", ", sk.referencedBy), value(sk), where(d),
		]),
	}
}

value(sk) := sk.service if sk.service != ""

value(sk) := sprintf("(%s: the provider's own service)", [sk.type]) if object.get(sk, "service", "") == ""

where(d) := sprintf("served from %s", [d.country]) if d.country != "unknown"

where(d) := "of unknown country" if d.country == "unknown"
