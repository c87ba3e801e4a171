package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tilsyn/tilsyn/collect"
)

// Exemptions are the requests never judged.
type Exemptions struct {
	// Namespaces by name (kube-system and tilsyn's own by default).
	Namespaces []string
	// Selector: namespaces whose labels it matches. Nil matches none.
	Selector labels.Selector
	// Users by name: the webhook's own ServiceAccount
	// (system:serviceaccount:<namespace>:<name>).
	Users []string
}

// Decision values, as logged and counted.
const (
	decisionAllow   = "allow"   // judged, nothing introduced
	decisionDeny    = "deny"    // an enforce-mode control's finding introduced
	decisionWarn    = "warn"    // admitted with warnings
	decisionDryRun  = "dryrun"  // admitted; findings only logged
	decisionExempt  = "exempt"  // namespace or user exempt
	decisionSkip    = "skip"    // operation or kind not judged
	decisionInvalid = "invalid" // the review's object could not be read
	decisionError   = "error"   // the judgement failed; failurePolicy applies
)

// outcome is the decision on one review, for the response, the log and
// the metrics.
type outcome struct {
	decision string
	reason   string
	resp     *admissionv1.AdmissionResponse
	verdict  Verdict
	// byMode are the introduced findings by the mode of their control.
	byMode map[Mode][]Introduced
}

// decide judges one admission request.
func (h *Handler) decide(ctx context.Context, req *admissionv1.AdmissionRequest) (outcome, error) {
	allow := func(decision, reason string) (outcome, error) {
		return outcome{decision: decision, reason: reason, resp: &admissionv1.AdmissionResponse{Allowed: true}}, nil
	}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return allow(decisionSkip, "operation "+string(req.Operation)+" is not judged")
	}
	t, ok := typeOf(req)
	if !ok {
		return allow(decisionSkip, "kind "+req.Kind.String()+" is not one tilsyn judges")
	}
	if slices.Contains(h.exempt.Users, req.UserInfo.Username) {
		return allow(decisionExempt, "user "+req.UserInfo.Username+" is exempt")
	}
	obj, err := decodeObject(req.Object.Raw, "request.object")
	if err == nil && obj == nil {
		err = fmt.Errorf("request.object: missing")
	}
	var old collect.Object
	if err == nil && req.Operation == admissionv1.Update {
		old, err = decodeObject(req.OldObject.Raw, "request.oldObject")
	}
	if err != nil {
		return outcome{decision: decisionInvalid, reason: err.Error(), resp: &admissionv1.AdmissionResponse{
			Allowed: false,
			Result:  &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest, Message: "tilsyn: " + err.Error()},
		}}, nil
	}
	if reason, ok := h.exemptNamespace(t, req, obj); ok {
		return allow(decisionExempt, reason)
	}
	for _, o := range []collect.Object{obj, old} {
		if o != nil {
			if collect.Str(o, "kind") == "" {
				o["kind"] = t.Kind
			}
			collect.Sanitize(o, t)
		}
	}
	v, err := h.judge.Judge(ctx, t, old, obj)
	var invalid *invalidObject
	if errors.As(err, &invalid) {
		return outcome{decision: decisionInvalid, reason: err.Error(), verdict: v, resp: &admissionv1.AdmissionResponse{
			Allowed: false,
			Result: &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest,
				Message: "tilsyn cannot read this object as Istio and Kubernetes would: " + err.Error()},
		}}, nil
	}
	if err != nil {
		return outcome{decision: decisionError, reason: err.Error()}, err
	}
	out := outcome{verdict: v, byMode: map[Mode][]Introduced{}}
	for _, f := range v.Findings {
		m := h.policy.For(f.Control.ID)
		out.byMode[m] = append(out.byMode[m], f)
	}
	out.resp = &admissionv1.AdmissionResponse{Allowed: true}
	switch {
	case len(out.byMode[Enforce]) > 0:
		out.decision = decisionDeny
		out.resp = denial(t, collect.Meta(obj), out.byMode[Enforce])
	case len(out.byMode[Warn]) > 0:
		out.decision = decisionWarn
	case len(out.byMode[DryRun]) > 0:
		out.decision = decisionDryRun
	default:
		out.decision = decisionAllow
	}
	out.resp.Warnings = warnings(out.byMode[Warn])
	return out, nil
}

// exemptNamespace reports whether a request's namespace is exempt, by
// name or labels. A Namespace is judged by its own name and labels.
func (h *Handler) exemptNamespace(t collect.ResourceType, req *admissionv1.AdmissionRequest, obj collect.Object) (string, bool) {
	ns := req.Namespace
	var nsLabels objectLabels
	if t.Key == collect.Namespaces {
		_, ns = collect.NamespaceName(obj)
		nsLabels = collect.Map(obj, "metadata", "labels")
	} else if ns != "" {
		if o, ok := h.judge.state.Get(namespaceType, "", ns); ok {
			nsLabels = collect.Map(o, "metadata", "labels")
		}
	}
	if ns == "" {
		return "", false
	}
	if slices.Contains(h.exempt.Namespaces, ns) {
		return "namespace " + ns + " is exempt", true
	}
	if h.exempt.Selector != nil && !h.exempt.Selector.Empty() && h.exempt.Selector.Matches(nsLabels) {
		return "namespace " + ns + " is exempt by its labels (" + h.exempt.Selector.String() + ")", true
	}
	return "", false
}

var namespaceType, _ = collect.TypeByKey(collect.Namespaces)

// objectLabels are an object's labels as a selector reads them
// (labels.Labels), without copying them: values that are not strings are
// not there, as for collect.StringMap.
type objectLabels map[string]any

func (l objectLabels) Has(key string) bool {
	_, ok := l[key].(string)
	return ok
}

func (l objectLabels) Get(key string) string {
	v, _ := l[key].(string)
	return v
}

func (l objectLabels) Lookup(key string) (string, bool) {
	v, ok := l[key].(string)
	return v, ok
}

// denial is the response to a request that introduces findings of
// enforce-mode controls: the message names each control, the finding and
// the remediation; each finding on the object itself is a cause with its
// field.
func denial(t collect.ResourceType, m collect.ObjectMeta, fs []Introduced) *admissionv1.AdmissionResponse {
	var b strings.Builder
	what := t.Kind + " " + m.Name
	if m.Namespace != "" {
		what = t.Kind + " " + m.Namespace + "/" + m.Name
	}
	fmt.Fprintf(&b, "tilsyn: %s would introduce %s of %s:", what, plural(len(fs), "finding"), strings.Join(controlIDs(fs), ", "))
	var causes []metav1.StatusCause
	remediations := map[string]string{}
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  [%s %s] %s (%s %s: %s = %s)", f.Control.ID, f.Severity, f.Message, f.Resource.Kind, resourceName(f), f.Field, valueText(f.Value))
		if f.Resource.Kind == t.Kind && f.Resource.Name == m.Name && f.Resource.Namespace == m.Namespace {
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid, Field: f.Field,
				Message: f.Control.ID + ": " + f.Message})
		}
		if f.Control.Remediation != "" {
			remediations[f.Control.ID] = f.Control.Remediation
		}
	}
	for _, id := range sortedKeys(remediations) {
		fmt.Fprintf(&b, "\n%s remediation:\n%s", id, indent(remediations[id], "  "))
	}
	return &admissionv1.AdmissionResponse{
		Allowed: false,
		Result: &metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusForbidden,
			Reason:  metav1.StatusReasonForbidden,
			Message: b.String(),
			Details: &metav1.StatusDetails{Name: m.Name, Kind: t.Kind, Group: t.Group, Causes: causes},
		},
	}
}

// maxWarnings bounds the warnings of one response; the API server shows
// each to the client.
const maxWarnings = 10

// warnings are the warn-mode findings, one line each.
func warnings(fs []Introduced) []string {
	var out []string
	for i, f := range fs {
		if i == maxWarnings {
			out = append(out, fmt.Sprintf("tilsyn: %d more findings (see the webhook's decision log)", len(fs)-i))
			break
		}
		w := fmt.Sprintf("tilsyn %s: %s (%s %s: %s)", f.Control.ID, f.Message, f.Resource.Kind, resourceName(f), f.Field)
		if len(w) > 480 {
			w = w[:477] + "..."
		}
		out = append(out, w)
	}
	return out
}

func controlIDs(fs []Introduced) []string {
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.Control.ID) {
			ids = append(ids, f.Control.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func resourceName(f Introduced) string {
	if f.Resource.Namespace == "" {
		return f.Resource.Name
	}
	return f.Resource.Namespace + "/" + f.Resource.Name
}

func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
