package evaluate

import (
	"context"
	"strings"
	"testing"
)

const injectorNS = `
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {tilsyn.io/personal-data: "true", istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
`

func deployment(name, annotations string) string {
	return `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `, namespace: pay}
spec:
  template:
    metadata:
      labels: {app: ` + name + `}
      annotations: ` + annotations + `
    spec:
      containers: [{name: app, image: x}]
`
}

// RES-03 reads the injector's defaults from its ConfigMap (values, JSON)
// and applies them only to pods without any proxy resource annotation, as
// Istio's injection template does.
func TestRES03InjectorDefaults(t *testing.T) {
	injector := `---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector, namespace: istio-system}
data:
  config: "policy: enabled"
  values: '{"global": {"proxy": {"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}}}}'
`
	yaml := injectorNS + injector + deployment("defaults", "{}") + deployment("one-annotation", `{sidecar.istio.io/proxyCPU: 50m}`)
	res, err := engineWith(t, nil).Evaluate(context.Background(), snapshotOf(t, yaml), testNow)
	if err != nil {
		t.Fatal(err)
	}
	r := byID(res)["RES-03"]
	if r.Status != Fail || len(r.Findings) != 1 || r.Findings[0].Resource.Name != "one-annotation" || len(r.Gaps) != 0 {
		t.Fatalf("RES-03 = %s, findings %+v, gaps %+v", r.Status, r.Findings, r.Gaps)
	}
	if !strings.Contains(r.Findings[0].Message, "sidecar.istio.io/proxyMemory, sidecar.istio.io/proxyCPULimit, sidecar.istio.io/proxyMemoryLimit") {
		t.Errorf("message %q", r.Findings[0].Message)
	}
	// Without the injector's ConfigMap, the unannotated sidecar's budget is
	// unknown: not assessed, not a finding.
	res, err = engineWith(t, nil).Evaluate(context.Background(), snapshotOf(t, injectorNS+deployment("defaults", "{}")), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if r := byID(res)["RES-03"]; r.Status != NotAssessed || len(r.Gaps) != 1 || r.Gaps[0].Resource.Name != "defaults" {
		t.Errorf("without the injector: RES-03 = %s, gaps %+v", r.Status, r.Gaps)
	}
}

// EGR-04 reads a workload's own trace sampling from proxy.istio.io/config.
func TestEGR04WorkloadSampling(t *testing.T) {
	mesh := `---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    defaultConfig:
      tracing: {sampling: 1}
`
	yaml := injectorNS + mesh + deployment("traced", `{proxy.istio.io/config: "tracing: {sampling: 50}"}`)
	res, err := engineWith(t, nil).Evaluate(context.Background(), snapshotOf(t, yaml), testNow)
	if err != nil {
		t.Fatal(err)
	}
	r := byID(res)["EGR-04"]
	if r.Status != Fail || len(r.Findings) != 1 {
		t.Fatalf("EGR-04 = %s, findings %+v", r.Status, r.Findings)
	}
	f := r.Findings[0]
	if f.Resource.Name != "traced" || f.Field != "spec.template.metadata.annotations[proxy.istio.io/config].tracing.sampling" {
		t.Errorf("finding %+v", f)
	}
}
