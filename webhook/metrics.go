package webhook

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the webhook's Prometheus metrics, on a registry of their
// own.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	decisions *prometheus.CounterVec
	findings  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	judged    *prometheus.CounterVec
	repeats   prometheus.Counter
	objects   *prometheus.GaugeVec
}

// NewMetrics registers the webhook's metrics (and the Go and process
// collectors) on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tilsyn_webhook_requests_total",
			Help: "HTTP requests to the review endpoint, by HTTP status code.",
		}, []string{"code"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tilsyn_webhook_reviews_total",
			Help: "Admission reviews answered, by decision (allow, deny, warn, dryrun, exempt, skip, invalid, error), kind and operation.",
		}, []string{"decision", "kind", "operation"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tilsyn_webhook_findings_total",
			Help: "Findings introduced by reviewed changes, by control and the mode it ran in (enforce: denied, warn: warned, dryrun: logged).",
		}, []string{"control", "mode"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tilsyn_webhook_review_duration_seconds",
			Help:    "Time from receiving a review request to answering it, by decision.",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"decision"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tilsyn_webhook_reviews_in_flight",
			Help: "Reviews being judged now.",
		}),
		judged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tilsyn_webhook_judgements_total",
			Help: "Changes judged, by what was evaluated (neighbourhood, cluster, or none for an update that changes nothing the controls read) and whether the result without the change came from the cache.",
		}, []string{"scope", "cached"}),
		repeats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tilsyn_webhook_repeated_judgements_total",
			Help: "Changes judged (counted in tilsyn_webhook_judgements_total too) whose verdict came from the same change judged in the same cluster state before.",
		}),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tilsyn_webhook_cached_objects",
			Help: "Objects held in the webhook's cluster state, by resource type.",
		}, []string{"resource"}),
	}
	m.registry.MustRegister(m.requests, m.decisions, m.findings, m.duration, m.inFlight, m.judged, m.repeats, m.objects,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry is the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

func (m *Metrics) request(code int) { m.requests.WithLabelValues(strconv.Itoa(code)).Inc() }

func (m *Metrics) judgement(v Verdict) {
	scope := "neighbourhood"
	switch {
	case v.Global:
		scope = "cluster"
	case v.Unchanged:
		scope = "none"
	}
	m.judged.WithLabelValues(scope, strconv.FormatBool(v.Cached)).Inc()
	if v.Repeat {
		m.repeats.Inc()
	}
}

// setObjects records the state's object counts.
func (m *Metrics) setObjects(counts map[string]int) {
	for key, n := range counts {
		m.objects.WithLabelValues(key).Set(float64(n))
	}
}

// CountObjects records the state's object counts every interval until ctx
// ends.
func CountObjects(ctx context.Context, s *State, m *Metrics, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m.setObjects(s.Counts())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
