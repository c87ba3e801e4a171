package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// ServerOptions configure the HTTPS server.
type ServerOptions struct {
	// Certificate is served to clients (and reloaded when it changes).
	Certificate *Certificate
	// Handler answers reviews at /validate (tilsyn's is a *Handler);
	// without one, /validate is not served.
	Handler http.Handler
	// Metrics are served at /metrics.
	Metrics *Metrics
	// Ready reports whether the cluster state is complete (the informers
	// synced); /readyz fails until then.
	Ready func() bool
	// ShutdownDelay is how long /readyz fails before the server stops
	// accepting connections when asked to stop, so that endpoints stop
	// sending it requests first; ShutdownTimeout bounds the wait for the
	// requests in progress.
	ShutdownDelay   time.Duration
	ShutdownTimeout time.Duration
	// HTTP2 serves HTTP/2 besides HTTP/1.1. Off, the API server calls the
	// webhook over HTTP/1.1 connections it keeps open, as it does for
	// most webhooks since HTTP/2's rapid reset and stream cancellation
	// attacks (CVE-2023-44487, CVE-2023-39325; kubernetes/kubernetes#121197);
	// a request then costs the server less.
	HTTP2 bool
	Log   *slog.Logger
}

// Paths served.
const (
	PathValidate = "/validate"
	PathHealthz  = "/healthz"
	PathReadyz   = "/readyz"
	PathMetrics  = "/metrics"
)

// Serve serves reviews, health, readiness and metrics over TLS on l until
// ctx ends, then shuts down gracefully: not ready at once, no new
// connections after ShutdownDelay, and the requests in progress answered.
func Serve(ctx context.Context, l net.Listener, opts ServerOptions) error {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	var stopping atomic.Bool
	mux := http.NewServeMux()
	if opts.Handler != nil {
		mux.Handle(PathValidate, opts.Handler)
	}
	mux.HandleFunc(PathHealthz, func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc(PathReadyz, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case stopping.Load():
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		case opts.Ready != nil && !opts.Ready():
			http.Error(w, "the cluster state is not complete yet: informers have not synced", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	if opts.Metrics != nil {
		mux.Handle(PathMetrics, opts.Metrics.Handler())
	}
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         opts.Certificate.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(opts.HTTP2)
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(l, "", "") }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stopping.Store(true)
	opts.Log.Info("shutting down: not ready, then no new connections", "delay", opts.ShutdownDelay)
	time.Sleep(opts.ShutdownDelay)
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	opts.Log.Info("stopped")
	return nil
}
