package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// Options configure the review handler.
type Options struct {
	// Policy is the mode of every control.
	Policy Policy
	// Exempt are the requests never judged.
	Exempt Exemptions
	// Timeout bounds the answer to one review, waiting for a free slot
	// included; keep it below the webhook configuration's timeoutSeconds.
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxConcurrent bounds the reviews judged at once; the others wait.
	// 0 means twice the number of CPUs.
	MaxConcurrent int
	// Log receives one record per decision; nil discards them.
	Log *slog.Logger
	// Metrics, when set, count requests, decisions and durations.
	Metrics *Metrics
	// Ready reports whether the cluster state is complete; until it is,
	// reviews are answered 503 and the API server applies the
	// failurePolicy. Nil means always ready.
	Ready func() bool
}

// DefaultTimeout is the default deadline of one review: below the
// timeoutSeconds of deploy/webhook (10s), so the API server hears why.
const DefaultTimeout = 8 * time.Second

// Handler answers admission.k8s.io/v1 AdmissionReviews. It is an
// http.Handler; malformed requests get a 4xx answer and never reach the
// judge.
type Handler struct {
	judge   *Judge
	policy  Policy
	exempt  Exemptions
	timeout time.Duration
	slots   chan struct{}
	log     *slog.Logger
	metrics *Metrics
	ready   func() bool
}

// NewHandler returns the review handler of a judge.
func NewHandler(j *Judge, opts Options) *Handler {
	h := &Handler{judge: j, policy: opts.Policy, exempt: opts.Exempt, timeout: opts.Timeout, log: opts.Log,
		metrics: opts.Metrics, ready: opts.Ready}
	if h.timeout <= 0 {
		h.timeout = DefaultTimeout
	}
	n := opts.MaxConcurrent
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	h.slots = make(chan struct{}, n)
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.metrics == nil {
		h.metrics = NewMetrics()
	}
	return h
}

// ServeHTTP answers one review.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	review, err := readReview(r, w)
	if err != nil {
		var bad *badRequest
		if !errors.As(err, &bad) {
			bad = &badRequest{code: http.StatusBadRequest, msg: err.Error()}
		}
		h.metrics.request(bad.code)
		h.log.Warn("bad review request", "remote", r.RemoteAddr, "code", bad.code, "error", bad.msg)
		writeStatus(w, bad.code, bad.msg)
		return
	}
	req := review.Request
	if h.ready != nil && !h.ready() {
		h.metrics.request(http.StatusServiceUnavailable)
		h.log.Warn("review before the cluster state is complete", "uid", string(req.UID))
		writeStatus(w, http.StatusServiceUnavailable, "tilsyn: the cluster state is not complete yet (informers syncing)")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()

	out, err := h.admit(ctx, req)
	elapsed := time.Since(start)
	h.record(req, out, elapsed)
	if err != nil {
		// The judgement failed or ran out of time: answer with an error,
		// so that the API server applies the webhook's failurePolicy.
		code := http.StatusInternalServerError
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBusy) {
			code = http.StatusServiceUnavailable
		}
		h.metrics.request(code)
		writeStatus(w, code, "tilsyn: "+err.Error())
		return
	}
	h.metrics.request(http.StatusOK)
	writeReview(w, string(req.UID), out.resp)
}

var errBusy = errors.New("too many reviews in progress: no free slot before the deadline")

// admit waits for a free slot and decides.
func (h *Handler) admit(ctx context.Context, req *admissionv1.AdmissionRequest) (outcome, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return outcome{decision: decisionError, reason: errBusy.Error()}, errBusy
	}
	defer func() { <-h.slots }()
	h.metrics.inFlight.Inc()
	defer h.metrics.inFlight.Dec()
	out, err := h.decide(ctx, req)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		out.decision = decisionError
		if out.reason == "" {
			out.reason = err.Error()
		}
	}
	return out, err
}

// record logs and counts a decision.
func (h *Handler) record(req *admissionv1.AdmissionRequest, out outcome, elapsed time.Duration) {
	kind := req.Kind.Kind
	h.metrics.decisions.WithLabelValues(out.decision, kind, string(req.Operation)).Inc()
	h.metrics.duration.WithLabelValues(out.decision).Observe(elapsed.Seconds())
	for mode, fs := range out.byMode {
		for _, f := range fs {
			h.metrics.findings.WithLabelValues(f.Control.ID, string(mode)).Inc()
		}
	}
	if len(out.verdict.Controls) > 0 {
		h.metrics.judgement(out.verdict)
	}
	level := slog.LevelInfo
	if out.decision == decisionError || out.decision == decisionInvalid {
		level = slog.LevelError
	}
	attrs := []any{
		"uid", string(req.UID),
		"kind", kind,
		"namespace", req.Namespace,
		"name", req.Name,
		"operation", string(req.Operation),
		"user", req.UserInfo.Username,
		"dryRun", req.DryRun != nil && *req.DryRun,
		"decision", out.decision,
		"controls", controlIDs(out.verdict.Findings),
		"durationMs", float64(elapsed.Microseconds()) / 1000,
	}
	for _, m := range Modes {
		if fs := out.byMode[m]; len(fs) > 0 {
			attrs = append(attrs, string(m), findingsLog(fs))
		}
	}
	if out.reason != "" {
		attrs = append(attrs, "reason", out.reason)
	}
	if len(out.verdict.Controls) > 0 {
		attrs = append(attrs, "evaluated", slog.GroupValue(
			slog.Int("objects", out.verdict.Objects),
			slog.Bool("cluster", out.verdict.Global),
			slog.Bool("cached", out.verdict.Cached),
			slog.Bool("repeat", out.verdict.Repeat),
			slog.Bool("unchanged", out.verdict.Unchanged),
			slog.Int("reevaluated", out.verdict.Reevaluated)))
	}
	h.log.Log(context.Background(), level, "admission decision", attrs...)
}

// findingLog is a finding in the decision log.
type findingLog struct {
	Control  string `json:"control"`
	Severity string `json:"severity"`
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Value    any    `json:"value"`
	Message  string `json:"message"`
}

func findingsLog(fs []Introduced) []findingLog {
	out := make([]findingLog, len(fs))
	for i, f := range fs {
		out[i] = findingLog{Control: f.Control.ID, Severity: f.Severity, Resource: f.Resource.Kind + " " + resourceName(f),
			Field: f.Field, Value: f.Value, Message: f.Message}
	}
	return out
}
