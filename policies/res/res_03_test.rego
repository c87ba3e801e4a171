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

full_defaults := {"source": "istio-system/istio-sidecar-injector", "proxyResources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}}

test_pass_annotations if {
	count(res_03.findings) == 0 with input as inp([w(budgeted, "sidecar")], no_injector)
	count(res_03.not_assessed) == 0 with input as inp([w(budgeted, "sidecar")], no_injector)
}

test_pass_injector_defaults if {
	count(res_03.findings) == 0 with input as inp([w({}, "sidecar")], full_defaults)
}

test_pass_no_sidecar if {
	count(res_03.findings) == 0 with input as inp([w({}, "none")], no_injector)
	count(res_03.not_assessed) == 0 with input as inp([w({}, "none")], no_injector)
}

test_fail_requests_only if {
	fs := res_03.findings with input as inp([w({"sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyMemory": "128Mi"}, "sidecar")], no_injector)
	count(fs) == 1
	some f in fs
	f.value == ["sidecar.istio.io/proxyCPULimit", "sidecar.istio.io/proxyMemoryLimit"]
	f.field == "spec.template.metadata.annotations"
}

# One annotation switches the injector's defaults off: Istio's template
# uses the annotations alone, so full defaults do not fill the gaps.
test_fail_one_annotation_hides_the_defaults if {
	fs := res_03.findings with input as inp([w({"sidecar.istio.io/proxyMemoryLimit": "512Mi"}, "sidecar")], full_defaults)
	count(fs) == 1
	some f in fs
	f.value == ["sidecar.istio.io/proxyCPU", "sidecar.istio.io/proxyMemory", "sidecar.istio.io/proxyCPULimit"]
	contains(f.message, "from those alone")
}

test_fail_injector_without_limits if {
	inj := {"source": "istio-system/istio-sidecar-injector", "proxyResources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
	fs := res_03.findings with input as inp([w({}, "sidecar")], inj)
	count(fs) == 1
	some f in fs
	contains(f.message, "the sidecar has no limits.cpu, limits.memory")
	contains(f.message, "ConfigMap istio-system/istio-sidecar-injector")
}

test_fail_injector_sets_nothing if {
	inj := {"source": "istio-system/istio-sidecar-injector"}
	fs := res_03.findings with input as inp([w({}, "sidecar")], inj)
	count(fs) == 1
}

# Without annotations the budget is the injector's, which was not
# collected: not assessed, never pass or fail.
test_not_assessed_without_injector if {
	i := inp([w({}, "sidecar")], no_injector)
	count(res_03.findings) == 0 with input as i
	na := res_03.not_assessed with input as i
	na == {{"resource": {"kind": "Deployment", "namespace": "pay", "name": "api"}, "reason": "no sidecar.istio.io/proxy* annotation, and no injector ConfigMap istio-sidecar-injector in the snapshot: the sidecar's resources come from the injector's defaults, which were not collected"}}
}
