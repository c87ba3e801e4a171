package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FuzzReview sends arbitrary bodies to the review handler (judging against
// the nordic-fintech sample cluster): it must never panic, answer 200 only
// with an admission.k8s.io/v1 AdmissionReview response carrying the
// request's uid, and answer anything else with a 4xx (or, for a failed
// judgement, 5xx) Status saying why. The seed corpus in
// testdata/fuzz/FuzzReview holds the AdmissionReviews of
// testdata/reviews and broken variants of them.
//
//	go test ./webhook -run '^$' -fuzz FuzzReview -fuzztime 5m
func FuzzReview(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Namespace"},"operation":"CREATE","object":{"metadata":{"name":"n"}}}}`))
	h, _ := testHandler(f, Policy{Default: Enforce, Controls: map[string]Mode{"MESH-05": Warn}})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, PathValidate, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			var st metav1.Status
			if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.Kind != "Status" || st.Message == "" || int(st.Code) != w.Code {
				t.Fatalf("HTTP %d without a Status: %s", w.Code, w.Body)
			}
			if w.Code < 400 {
				t.Fatalf("HTTP %d", w.Code)
			}
			return
		}
		var in admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &in); err != nil || in.Request == nil {
			t.Fatalf("HTTP 200 for a body that is not a review: %q", body)
		}
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response == nil ||
			out.APIVersion != reviewAPIVersion || out.Kind != reviewKind {
			t.Fatalf("HTTP 200 without a review response: %s", w.Body)
		}
		if out.Response.UID != in.Request.UID {
			t.Fatalf("response uid %q for request uid %q", out.Response.UID, in.Request.UID)
		}
		if !out.Response.Allowed && (out.Response.Result == nil || out.Response.Result.Message == "") {
			t.Fatalf("a denial without a message: %s", w.Body)
		}
	})
}

// FuzzDecode checks the faster JSON decoder the handler reads reviews and
// their objects with against encoding/json: valid JSON in valid UTF-8
// that it accepts decodes to the same values (the handler gives it nothing
// else, and decodes what it refuses again with encoding/json). The seeds
// are the reviews of testdata/reviews and their objects.
//
//	go test ./webhook -run '^$' -fuzz FuzzDecode -fuzztime 5m
func FuzzDecode(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "reviews", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed reviews: %v", err)
	}
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
		var r admissionv1.AdmissionReview
		if json.Unmarshal(body, &r) == nil && r.Request != nil {
			f.Add([]byte(r.Request.Object.Raw))
		}
	}
	f.Add([]byte("{\"metadata\":{\"name\":\"a\\u00e9\\ud83d\\ude00\\ud800\",\"n\":1e400,\"m\":-0.0},\"x\":\"\xff\",\"x\":[1,\"2\",null,true]}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !fastJSON(body) {
			return
		}
		var fast, std admissionv1.AdmissionReview
		if gojson.Unmarshal(body, &fast) == nil {
			if err := json.Unmarshal(body, &std); err != nil {
				t.Fatalf("review accepted by the faster decoder, refused by encoding/json (%v): %q", err, body)
			}
			if diff := cmp.Diff(std, fast); diff != "" {
				t.Fatalf("review decoded differently (-encoding/json +faster):\n%s", diff)
			}
		}
		fastObj, err := decodeObjectWith(body, "object", gojson.NewDecoder(bytes.NewReader(body)))
		if err != nil {
			return
		}
		stdObj, err := decodeObjectWith(body, "object", json.NewDecoder(bytes.NewReader(body)))
		if err != nil {
			t.Fatalf("object accepted by the faster decoder, refused by encoding/json (%v): %q", err, body)
		}
		if diff := cmp.Diff(stdObj, fastObj); diff != "" {
			t.Fatalf("object decoded differently (-encoding/json +faster):\n%s", diff)
		}
	})
}
