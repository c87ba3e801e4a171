package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ktypes "k8s.io/apimachinery/pkg/types"

	"github.com/tilsyn/tilsyn/collect"
)

// MaxBodyBytes bounds a request body: the API server's own limit on an
// object is 3 MiB, and a review carries at most two of them (object and
// oldObject) — a larger body is not a review the API server sends.
const MaxBodyBytes = 3 << 20

// AdmissionReview's apiVersion and kind.
const (
	reviewAPIVersion = "admission.k8s.io/v1"
	reviewKind       = "AdmissionReview"
)

// badRequest is a request the webhook cannot answer with a review: an
// HTTP status and a message saying what is wrong.
type badRequest struct {
	code int
	msg  string
}

func (e *badRequest) Error() string { return e.msg }

func badf(code int, format string, args ...any) *badRequest {
	return &badRequest{code: code, msg: fmt.Sprintf(format, args...)}
}

// readReview reads and checks the body of a review request. It fails with
// a badRequest when the body is not an admission.k8s.io/v1
// AdmissionReview with a request and a uid to answer.
func readReview(r *http.Request, w http.ResponseWriter) (*admissionv1.AdmissionReview, error) {
	if r.Method != http.MethodPost {
		return nil, badf(http.StatusMethodNotAllowed, "method %s: reviews are POSTed", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, badf(http.StatusUnsupportedMediaType, "Content-Type %q: want application/json", ct)
		}
	}
	// The API server says how long the review is: read it into a buffer
	// of that size (io.ReadAll would double its way there).
	buf := bytes.NewBuffer(make([]byte, 0, bodyHint(r.ContentLength)))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, badf(http.StatusRequestEntityTooLarge, "body larger than %d bytes: no AdmissionReview is", MaxBodyBytes)
		}
		return nil, badf(http.StatusBadRequest, "read body: %v", err)
	}
	return decodeReview(body)
}

// bodyHint is the capacity to read a body of the declared length into:
// room for it and for the read that finds its end. A length not given, or
// over the limit, gets a small buffer that grows as it is read.
func bodyHint(length int64) int {
	if length <= 0 || length > MaxBodyBytes {
		return bytes.MinRead
	}
	return int(length) + bytes.MinRead
}

// decodeReview decodes and checks an AdmissionReview.
func decodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badf(http.StatusBadRequest, "empty body: want an admission.k8s.io/v1 AdmissionReview")
	}
	// One pass for a well-formed review, with the faster decoder (see
	// fastJSON). A body either refuses is decoded again with
	// encoding/json, whose messages say where the body is broken. The kind
	// and version are checked first, so that the message says what the
	// body is.
	var review admissionv1.AdmissionReview
	err := errInvalidJSON
	if fastJSON(body) {
		err = gojson.Unmarshal(body, &review)
	}
	if err != nil {
		review = admissionv1.AdmissionReview{}
		err = json.Unmarshal(body, &review)
	}
	head := review.TypeMeta
	if err != nil {
		head = metav1.TypeMeta{}
		if herr := json.Unmarshal(body, &head); herr != nil {
			return nil, badf(http.StatusBadRequest, "body is not an AdmissionReview: %v", jsonError(herr))
		}
	}
	if head.Kind != reviewKind {
		return nil, badf(http.StatusBadRequest, "body is kind %q, not an AdmissionReview", head.Kind)
	}
	if head.APIVersion != reviewAPIVersion {
		return nil, badf(http.StatusBadRequest, "AdmissionReview version %q is not supported: this webhook answers %s "+
			"(set admissionReviewVersions: [v1] in the webhook configuration)", head.APIVersion, reviewAPIVersion)
	}
	if err != nil {
		return nil, badf(http.StatusBadRequest, "AdmissionReview: %v", jsonError(err))
	}
	if review.Request == nil {
		return nil, badf(http.StatusBadRequest, "AdmissionReview without a request")
	}
	if review.Request.UID == "" {
		return nil, badf(http.StatusBadRequest, "AdmissionReview request without a uid")
	}
	return &review, nil
}

// errInvalidJSON sends a body the faster decoder is not given to
// encoding/json.
var errInvalidJSON = errors.New("invalid JSON")

// fastJSON reports whether the faster decoder may read data: valid JSON
// (it skips what it does not decode unchecked) in valid UTF-8 (it keeps
// invalid bytes that encoding/json replaces). The API server sends
// nothing else.
func fastJSON(data []byte) bool { return utf8.Valid(data) && json.Valid(data) }

func jsonError(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, err)
	}
	return err.Error()
}

// decodeObject decodes the object of a review decodeReview accepted as an
// audit reads objects: numbers as json.Number. An absent object is nil.
// The object is valid JSON (decodeReview checked the whole body), so the
// faster decoder reads it when it is valid UTF-8 too; anything else is
// decoded again with encoding/json, for the message. Both decode valid
// JSON to the same values (FuzzDecode).
func decodeObject(raw []byte, field string) (collect.Object, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	err := errInvalidJSON
	var o collect.Object
	if utf8.Valid(raw) {
		o, err = decodeObjectWith(raw, field, gojson.NewDecoder(bytes.NewReader(raw)))
	}
	if err != nil {
		o, err = decodeObjectWith(raw, field, json.NewDecoder(bytes.NewReader(raw)))
	}
	return o, err
}

// jsonDecoder is what decodeObject needs of encoding/json's Decoder and
// of the faster decoder's.
type jsonDecoder interface {
	UseNumber()
	Decode(any) error
	More() bool
}

func decodeObjectWith(raw []byte, field string, dec jsonDecoder) (collect.Object, error) {
	dec.UseNumber()
	var o collect.Object
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %v", field, jsonError(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more than one JSON value", field)
	}
	if _, ok := o["metadata"].(map[string]any); !ok {
		return nil, fmt.Errorf("%s: no metadata", field)
	}
	return o, nil
}

// typeOf finds the registered type of a review's object from the
// request's kind.
func typeOf(req *admissionv1.AdmissionRequest) (collect.ResourceType, bool) {
	apiVersion := req.Kind.Version
	if req.Kind.Group != "" {
		apiVersion = req.Kind.Group + "/" + req.Kind.Version
	}
	return collect.Lookup(apiVersion, req.Kind.Kind)
}

// writeReview writes a review response for a request.
func writeReview(w http.ResponseWriter, uid string, resp *admissionv1.AdmissionResponse) {
	resp.UID = ktypes.UID(uid)
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: reviewAPIVersion, Kind: reviewKind},
		Response: resp,
	}
	data, err := json.Marshal(out)
	if err != nil {
		http.Error(w, "encode AdmissionReview: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

// writeStatus answers a request that is not a review (or cannot be
// answered as one) with an HTTP error and a Status body saying why.
func writeStatus(w http.ResponseWriter, code int, msg string) {
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   metav1.StatusReason(strings.ReplaceAll(http.StatusText(code), " ", "")),
		Code:     int32(code),
	}
	data, _ := json.Marshal(st)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(data)
}
