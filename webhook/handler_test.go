package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/waiver"
)

// testHandler serves reviews against the nordic-fintech sample cluster.
func testHandler(t testing.TB, policy Policy) (*Handler, *bytes.Buffer) {
	t.Helper()
	e, p := testEngine(t)
	j := newTestJudge(t, e, p, loadExample(t, "nordic-fintech"))
	var log bytes.Buffer
	h := NewHandler(j, Options{
		Policy: policy,
		Exempt: Exemptions{Namespaces: []string{"kube-system", "tilsyn"}, Selector: labels.SelectorFromSet(labels.Set{"tilsyn.io/exempt": "true"}),
			Users: []string{"system:serviceaccount:tilsyn:tilsyn-webhook"}},
		Log: slog.New(slog.NewJSONHandler(&log, nil)),
	})
	return h, &log
}

func post(t *testing.T, h http.Handler, body []byte, contentType string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, PathValidate, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "reviews", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func response(t *testing.T, w *httptest.ResponseRecorder) *admissionv1.AdmissionResponse {
	t.Helper()
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(w.Body.Bytes(), &review); err != nil {
		t.Fatalf("response is not an AdmissionReview: %v\n%s", err, w.Body)
	}
	if review.APIVersion != reviewAPIVersion || review.Kind != reviewKind || review.Response == nil {
		t.Fatalf("response is not an admission.k8s.io/v1 AdmissionReview response:\n%s", w.Body)
	}
	return review.Response
}

// The handler answers real AdmissionReviews (testdata/reviews) as the API
// server sends them.
func TestHandlerReviews(t *testing.T) {
	warnMESH05 := Policy{Default: Enforce, Controls: map[string]Mode{"MESH-05": Warn}}
	for _, tc := range []struct {
		fixture  string
		policy   Policy
		allowed  bool
		code     int32  // status code of a denial
		contains string // in the denial's message
		warnings int
		decision string
	}{
		{fixture: "create-peerauthentication-disable.json", code: 403, contains: "MESH-02", decision: decisionDeny},
		{fixture: "create-peerauthentication-disable.json", policy: Policy{Default: Warn}, allowed: true, warnings: 1, decision: decisionWarn},
		{fixture: "create-peerauthentication-disable.json", policy: Policy{Default: DryRun}, allowed: true, decision: decisionDryRun},
		{fixture: "dryrun-create-peerauthentication-disable.json", code: 403, contains: "settlement-worker", decision: decisionDeny},
		{fixture: "create-deployment-compliant.json", allowed: true, decision: decisionAllow},
		{fixture: "create-deployment-bypass.json", code: 403, contains: "MESH-05 remediation", decision: decisionDeny},
		{fixture: "create-deployment-bypass.json", policy: warnMESH05, allowed: true, warnings: 1, decision: decisionWarn},
		{fixture: "update-peerauthentication-permissive.json", code: 403, contains: "PERMISSIVE", decision: decisionDeny},
		{fixture: "update-deployment-unrelated.json", allowed: true, decision: decisionAllow},
		{fixture: "create-configmap.json", allowed: true, decision: decisionAllow},
		{fixture: "create-kube-system.json", allowed: true, decision: decisionExempt},
		{fixture: "create-by-webhook-serviceaccount.json", allowed: true, decision: decisionExempt},
		{fixture: "delete-peerauthentication.json", allowed: true, decision: decisionSkip},
		{fixture: "create-unjudged-kind.json", allowed: true, decision: decisionSkip},
		{fixture: "object-not-an-object.json", code: 400, contains: "request.object", decision: decisionInvalid},
	} {
		name := tc.fixture
		if tc.policy.Default != "" || len(tc.policy.Controls) > 0 {
			name += "/" + string(tc.policy.Default) + "-" + strings.Join(sortedKeys(tc.policy.Controls), "-")
		}
		t.Run(name, func(t *testing.T) {
			h, log := testHandler(t, tc.policy)
			body := fixture(t, tc.fixture)
			w := post(t, h, body, "application/json")
			if w.Code != http.StatusOK {
				t.Fatalf("HTTP %d: %s", w.Code, w.Body)
			}
			resp := response(t, w)
			var req admissionv1.AdmissionReview
			json.Unmarshal(body, &req)
			if resp.UID != req.Request.UID {
				t.Errorf("response uid %q, want the request's %q", resp.UID, req.Request.UID)
			}
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v: %+v", resp.Allowed, tc.allowed, resp.Result)
			}
			if !tc.allowed {
				if resp.Result == nil || resp.Result.Code != tc.code || !strings.Contains(resp.Result.Message, tc.contains) {
					t.Errorf("denial %+v, want code %d and a message containing %q", resp.Result, tc.code, tc.contains)
				}
			}
			if len(resp.Warnings) != tc.warnings {
				t.Errorf("warnings %q, want %d", resp.Warnings, tc.warnings)
			}
			var rec map[string]any
			if err := json.Unmarshal(log.Bytes(), &rec); err != nil {
				t.Fatalf("decision log is not one JSON record: %v\n%s", err, log)
			}
			if rec["decision"] != tc.decision || rec["uid"] != string(req.Request.UID) || rec["kind"] != req.Request.Kind.Kind ||
				rec["name"] != req.Request.Name || rec["user"] != req.Request.UserInfo.Username {
				t.Errorf("decision log %v, want decision %s with the request's uid, kind, name and user", rec, tc.decision)
			}
		})
	}
}

// A denial names each control, the finding, and the remediation, and
// lists the findings on the object itself as causes.
func TestHandlerDenial(t *testing.T) {
	h, log := testHandler(t, Policy{Default: Enforce})
	resp := response(t, post(t, h, fixture(t, "create-deployment-bypass.json"), "application/json"))
	msg := resp.Result.Message
	for _, want := range []string{
		"tilsyn: Deployment payments/card-vault would introduce 1 finding of MESH-05:",
		"[MESH-05 medium] Deployment payments/card-vault excludes inbound ports 8443 from the sidecar",
		"spec.template.metadata.annotations[traffic.sidecar.istio.io/excludeInboundPorts] = 8443",
		"MESH-05 remediation:\n  Remove the exclusion annotations",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("denial message lacks %q:\n%s", want, msg)
		}
	}
	causes := resp.Result.Details.Causes
	if len(causes) != 1 || causes[0].Field != "spec.template.metadata.annotations[traffic.sidecar.istio.io/excludeInboundPorts]" {
		t.Errorf("causes %+v", causes)
	}
	var rec struct {
		Controls []string `json:"controls"`
		Enforce  []struct {
			Control, Resource, Field string
		} `json:"enforce"`
	}
	json.Unmarshal(log.Bytes(), &rec)
	if len(rec.Controls) != 1 || rec.Controls[0] != "MESH-05" || len(rec.Enforce) != 1 || rec.Enforce[0].Resource != "Deployment payments/card-vault" {
		t.Errorf("decision log %s", log)
	}
}

// Requests that are not reviews get a 4xx answer with a Status that says
// why, and never reach the judge.
func TestHandlerBadRequests(t *testing.T) {
	h, _ := testHandler(t, Policy{})
	big := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		method            string
		code              int
		contains          string
	}{
		{name: "empty", body: nil, code: 400, contains: "empty body"},
		{name: "not JSON", body: []byte("kind: AdmissionReview"), code: 400, contains: "invalid JSON"},
		{name: "truncated", body: fixture(t, "truncated.json"), code: 400, contains: "AdmissionReview"},
		{name: "wrong kind", body: []byte(`{"apiVersion":"v1","kind":"Pod"}`), code: 400, contains: "is kind"},
		{name: "v1beta1", body: fixture(t, "v1beta1.json"), code: 400, contains: "admissionReviewVersions"},
		{name: "no request", body: fixture(t, "no-request.json"), code: 400, contains: "without a request"},
		{name: "no uid", body: fixture(t, "no-uid.json"), code: 400, contains: "without a uid"},
		{name: "oversized", body: big, code: 413, contains: "larger than"},
		{name: "content type", body: fixture(t, "create-configmap.json"), contentType: "application/yaml", code: 415, contains: "application/json"},
		{name: "GET", method: http.MethodGet, code: 405, contains: "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, PathValidate, bytes.NewReader(tc.body))
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			r.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.contains) || !strings.Contains(w.Body.String(), `"kind":"Status"`) {
				t.Errorf("HTTP %d %s, want %d with a Status containing %q", w.Code, w.Body, tc.code, tc.contains)
			}
		})
	}
}

// A review is read whole whether its length is declared or not, and a body
// over the limit is refused either way.
func TestHandlerBodyLength(t *testing.T) {
	h, _ := testHandler(t, Policy{})
	review := fixture(t, "create-configmap.json")
	big := bytes.Repeat([]byte(" "), MaxBodyBytes+1)
	for _, tc := range []struct {
		name   string
		body   []byte
		length int64
		code   int
	}{
		{"declared", review, int64(len(review)), 200},
		{"not declared", review, -1, 200},
		{"oversized, not declared", big, -1, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, PathValidate, io.NopCloser(bytes.NewReader(tc.body)))
			r.ContentLength = tc.length
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.code {
				t.Fatalf("HTTP %d %s, want %d", w.Code, w.Body, tc.code)
			}
			if tc.code == 200 && !response(t, w).Allowed {
				t.Errorf("denied: %s", w.Body)
			}
		})
	}
}

// Until the cluster state is complete, reviews are refused with 503 so the
// API server applies the failurePolicy.
func TestHandlerNotReady(t *testing.T) {
	e, p := testEngine(t)
	j := newTestJudge(t, e, p, loadExample(t, "nordic-fintech"))
	h := NewHandler(j, Options{Ready: func() bool { return false }})
	w := post(t, h, fixture(t, "create-configmap.json"), "application/json")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "not complete") {
		t.Errorf("HTTP %d %s", w.Code, w.Body)
	}
}

// A finding an auditor waived never denies: the waiver's Deployment is
// admitted with its bypass; without the waiver it is denied.
func TestHandlerWaiver(t *testing.T) {
	p, js, err := profile.Load(profile.Default)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := waiver.Load(filepath.Join("testdata", "waivers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := evaluate.New(context.Background(), evaluate.Options{Profile: p, ProfileJSON: js, Waivers: ws})
	if err != nil {
		t.Fatal(err)
	}
	j := newTestJudge(t, e, p, loadExample(t, "nordic-fintech"))
	h := NewHandler(j, Options{})
	if resp := response(t, post(t, h, fixture(t, "create-deployment-bypass.json"), "application/json")); !resp.Allowed {
		t.Errorf("the waived finding denied the request: %s", resp.Result.Message)
	}
}

// TestObjectLabels: selectors match an object's labels read in place as
// they match the labels copied (collect.StringMap).
func TestObjectLabels(t *testing.T) {
	sets := []map[string]any{nil, {}, {"a": "b"}, {"a": "c"}, {"a": ""}, {"a": json.Number("1")}, {"a": true}, {"a": "b", "x": "y"}}
	for _, expr := range []string{"a=b", "a!=b", "a", "!a", "a in (b,c)", "a notin (b)", "a=b,x=y", "a="} {
		sel, err := labels.Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sets {
			want := sel.Matches(labels.Set(collect.StringMap(map[string]any{"labels": m}, "labels")))
			if got := sel.Matches(objectLabels(m)); got != want {
				t.Errorf("%q on %v: %v, copied %v", expr, m, got, want)
			}
		}
	}
}
