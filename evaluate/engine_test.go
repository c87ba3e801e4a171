package evaluate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/waiver"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func snapshotOf(t *testing.T, yaml string) *collect.Snapshot {
	t.Helper()
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{"-"}, Stdin: strings.NewReader(yaml), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func engineWith(t *testing.T, w *waiver.Set) *Engine {
	t.Helper()
	e, err := New(context.Background(), Options{Profile: testProfile(t), ProfileJSON: testProfileJSON(t), Waivers: w})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func byID(res *Results) map[string]Result {
	out := map[string]Result{}
	for _, r := range res.Controls {
		out[r.Control.ID] = r
	}
	return out
}

const oneNode = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {topology.kubernetes.io/region: eu-north-1}\nspec: {providerID: 'aws:///eu-north-1a/i-1'}\n"

// A control whose required input was not collected is not assessed, never
// passed: for every built-in control, forbidding each type it requires in
// turn.
func TestMissingInputIsNotAssessed(t *testing.T) {
	e := engineWith(t, nil)
	for _, c := range e.Controls() {
		for _, key := range c.Requires {
			s := snapshotOf(t, oneNode)
			cov, _ := s.CoverageOf(key)
			cov.Status, cov.Reason = collect.Forbidden, key+" is forbidden"
			s.SetCoverage(cov)
			res, err := e.Evaluate(context.Background(), s, testNow)
			if err != nil {
				t.Fatal(err)
			}
			r := byID(res)[c.ID]
			if r.Status != NotAssessed {
				t.Errorf("%s with %s forbidden: %s, want not-assessed", c.ID, key, r.Status)
			}
			if acc := byID(res)["ACC-01"]; acc.Status != NotAssessed {
				t.Errorf("ACC-01 with %s forbidden: %s, want not-assessed", key, acc.Status)
			}
		}
	}
}

// Until the node agent's records are collected, RES-01 is not assessed for
// every node, and never passes.
func TestRES01WithoutAgentRecords(t *testing.T) {
	e := engineWith(t, nil)
	res, err := e.Evaluate(context.Background(), snapshotOf(t, oneNode+"---\n"+strings.ReplaceAll(oneNode, "n1", "n2")), testNow)
	if err != nil {
		t.Fatal(err)
	}
	r := byID(res)["RES-01"]
	if r.Status != NotAssessed || len(r.Gaps) != 2 || r.Gaps[0].Resource == nil || r.Gaps[0].Resource.Name != "n1" {
		t.Errorf("RES-01 = %s, gaps %+v", r.Status, r.Gaps)
	}
	res, err = e.Evaluate(context.Background(), snapshotOf(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if r := byID(res)["RES-01"]; r.Status != NotAssessed {
		t.Errorf("RES-01 without nodes = %s", r.Status)
	}
}

const bypass = `
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {tilsyn.io/personal-data: "true", istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay}
spec:
  template:
    metadata:
      labels: {app: api}
      annotations: {traffic.sidecar.istio.io/excludeInboundPorts: "5432"}
    spec:
      containers: [{name: api, image: x}]
`

func waivers(t *testing.T, expires, approvedBy string) *waiver.Set {
	t.Helper()
	w, err := waiver.Parse("w.yaml", []byte(`apiVersion: tilsyn.io/v1
kind: WaiverList
waivers:
- id: W-1
  control: MESH-05
  resources: [{kind: Deployment, namespace: pay, selector: app=api}]
  justification: accepted
  approvedBy: "`+approvedBy+`"
  expires: "`+expires+`"
`))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWaivers(t *testing.T) {
	cases := []struct {
		name, expires, approvedBy string
		mesh05                    Status
		waiverStatus              string
		acc02                     Status
	}{
		{"active", "2027-01-01", "DPO", Waived, waiver.Active, Pass},
		{"expired", "2026-11-20", "DPO", Fail, waiver.Expired, Fail},
		{"incomplete", "2027-01-01", "", Fail, waiver.Incomplete, Fail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := engineWith(t, waivers(t, c.expires, c.approvedBy))
			res, err := e.Evaluate(context.Background(), snapshotOf(t, bypass), testNow)
			if err != nil {
				t.Fatal(err)
			}
			got := byID(res)
			if got["MESH-05"].Status != c.mesh05 {
				t.Errorf("MESH-05 = %s, want %s", got["MESH-05"].Status, c.mesh05)
			}
			if len(res.Waivers) != 1 || res.Waivers[0].Status != c.waiverStatus {
				t.Errorf("waivers = %+v", res.Waivers)
			}
			if got["ACC-02"].Status != c.acc02 {
				t.Errorf("ACC-02 = %s, want %s (%+v)", got["ACC-02"].Status, c.acc02, got["ACC-02"].Findings)
			}
			if c.mesh05 == Waived {
				f := got["MESH-05"].Findings[0]
				if f.Waiver == nil || f.Waiver.Ref != "W-1" || f.Waiver.Justification != "accepted" {
					t.Errorf("waived finding = %+v", f)
				}
				if got["MESH-05"].MaxSeverity() != "" {
					t.Error("a waived finding still counts toward the severity")
				}
			}
		})
	}
}
