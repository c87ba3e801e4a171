package tilsyn.controls.res_03_test

import data.tilsyn.controls.res_03
import rego.v1

budgeted := {
	"sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyMemory": "128Mi",
	"sidecar.istio.io/proxyCPULimit": "1", "sidecar.istio.io/proxyMemoryLimit": "512Mi",
}

w(annotations, dataplane) := {"namespace": "pay", "kind": "Deployment", "name": "api", "templatePath": "spec.template.", "annotations": annotations, "dataplane": dataplane}

inp(workloads, injector) := {"facts": {"scope": {"inScope": {"pay": true}}, "workloads": workloads, "mesh": {"injector": injector}}}

no_injector := {"source": "default", "policy": "enabled"}

test_pass_annotations if {
	count(res_03.findings) == 0 with input as inp([w(budgeted, "sidecar")], no_injector)
}

test_pass_injector_defaults if {
	inj := {"source": "istio-system/istio-sidecar-injector", "proxyResources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}}
	count(res_03.findings) == 0 with input as inp([w({}, "sidecar")], inj)
}

test_pass_no_sidecar if {
	count(res_03.findings) == 0 with input as inp([w({}, "none")], no_injector)
}

test_fail_requests_only if {
	fs := res_03.findings with input as inp([w({"sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyMemory": "128Mi"}, "sidecar")], no_injector)
	count(fs) == 1
	some f in fs
	f.value == ["sidecar.istio.io/proxyCPULimit", "sidecar.istio.io/proxyMemoryLimit"]
	f.field == "spec.template.metadata.annotations"
}

test_fail_injector_without_limits if {
	inj := {"source": "istio-system/istio-sidecar-injector", "proxyResources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
	fs := res_03.findings with input as inp([w({}, "sidecar")], inj)
	some f in fs
	contains(f.message, "injector's defaults do not set them")
}
