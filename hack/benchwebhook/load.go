package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// result is one measured run.
type result struct {
	server, label string
	sent          int
	errors        int
	firstError    string
	elapsed       time.Duration
	latencies     []time.Duration
	// late is, in an open loop, how late each request left the load
	// generator: part of its latency that is not the server's.
	late []time.Duration
	// slow holds the uids of an open loop's requests answered after
	// more than slowRequest; share, what tilsyn's decision log says of them.
	slow          map[string]bool
	share         *slowShare
	before, after machine
	// cpu is the server's CPU time during the run; loadgen the load
	// generator's own (this process), on the same cores.
	cpu, loadgen time.Duration
	// count and fixed stand for latencies when only their percentiles
	// are known (wrk's runs): how many answered, and the latency at
	// each of 0.50, 0.90, 0.99 and 1.
	count int
	fixed map[float64]time.Duration
}

// answered is how many requests were answered without error.
func (r result) answered() int {
	if r.fixed != nil {
		return r.count
	}
	return len(r.latencies)
}

func (r result) percentile(p float64) time.Duration {
	if r.fixed != nil {
		return r.fixed[p]
	}
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p)
	return r.latencies[i]
}

func (r result) rate() float64 { return float64(r.answered()) / r.elapsed.Seconds() }

func header() string {
	return fmt.Sprintf("%-18s %-22s %9s %9s %9s %9s %9s %7s %11s %13s  %s", "server", "run", "reviews/s", "p50", "p90", "p99", "max", "errors",
		"cpu/review", "loadgen cpu", "load before → after")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func (r result) line() string {
	perReview := func(cpu time.Duration) string {
		if n := r.answered() + r.errors; n > 0 && cpu > 0 {
			return fmt.Sprintf("%.0fµs", float64(cpu.Microseconds())/float64(n))
		}
		return "?"
	}
	s := fmt.Sprintf("%-18s %-22s %9.0f %9s %9s %9s %9s %7d %11s %13s  %s → %s", r.server, r.label, r.rate(),
		ms(r.percentile(0.50)), ms(r.percentile(0.90)), ms(r.percentile(0.99)), ms(r.percentile(1)), r.errors,
		perReview(r.cpu), perReview(r.loadgen), r.before.load, r.after.load)
	if steal := r.after.steal - r.before.steal; steal > 0 {
		s += fmt.Sprintf("\n    CPU time taken by the host from this machine (steal): %s, %.1f%% of the run", steal.Round(time.Millisecond),
			100*steal.Seconds()/(float64(runtime.NumCPU())*r.elapsed.Seconds()))
	}
	if n := len(r.late); n > 0 {
		// A request sent that late is a slow one (slowRequest) whatever
		// the server does.
		onTime, _ := slices.BinarySearch(r.late, slowRequest+1)
		s += fmt.Sprintf("\n    requests sent late by p50 %s, p99 %s, max %s, more than %s late %d (counted in the latencies: "+
			"with no errors, their p99 is at least this p99)", ms(r.late[n/2]), ms(r.late[(n-1)*99/100]), ms(r.late[n-1]), slowRequest, n-onTime)
	}
	if r.share != nil {
		s += "\n    " + r.share.String()
	}
	if r.firstError != "" {
		s += "\n    first error: " + r.firstError
	}
	return s
}

func (r result) short() string {
	return fmt.Sprintf("%.0f reviews/s, p99 %s, %d errors", r.rate(), ms(r.percentile(0.99)), r.errors)
}

// newH2Client is an HTTP/2 client over TLS: one connection carrying every
// request, as the API server calls a webhook serving HTTP/2 (tilsyn
// webhook --http2).
func newH2Client(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
		MaxConnsPerHost:   1,
	}}
}

// apiServerIdleConns is how many idle connections the API server's client
// keeps to a host (k8s.io/client-go/transport): it opens more when all are
// busy, up to as many as requests it has in flight, which its own limits
// bound (--max-requests-inflight 400 and --max-mutating-requests-inflight
// 200 by default): apiServerMaxConns.
const (
	apiServerIdleConns = 25
	apiServerMaxConns  = 600
)

// sender sends a request and reads its answer, returning an error for
// anything but HTTP 200.
type sender interface {
	post(ctx context.Context, path string, body []byte) error
}

// newAPIServerConns sends over HTTP/1.1 as the API server calls a webhook
// serving HTTP/1.1 only: as many connections as requests in flight (at
// most apiServerMaxConns), apiServerIdleConns of them kept open between
// requests.
func newAPIServerConns(s *server, pool *x509.CertPool) *conns {
	return newConns(s.url, pool, apiServerIdleConns, apiServerMaxConns)
}

// newClient is net/http's HTTP/1.1 client over TLS keeping up to conns
// connections (for the servers' readiness and metrics).
func newClient(pool *x509.CertPool, conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1
		DisableCompression:  true,
	}}
}

// clientSender sends with net/http's client (HTTP/2: newH2Client).
type clientSender struct {
	c   *http.Client
	url string
}

func (cs clientSender) post(ctx context.Context, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cs.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cs.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
	}
	return nil
}

// warmUp opens a sender's connections as a running API server has them:
// n requests at once, the reviews before the one at index from (sent
// already, so that the run beginning at from sends nothing new first).
func warmUp(ctx context.Context, c sender, s *server, pool *reviewPool, from, n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(ctx, c, s, pool.at(from-n+i))
		}()
	}
	wg.Wait()
}

// at is the pool's review at index i, counted round the pool.
func (p *reviewPool) at(i int) review {
	n := len(p.reviews)
	return p.reviews[(i%n+n)%n]
}

// send posts one request of the pool to a server.
func send(ctx context.Context, c sender, s *server, rv review) error {
	path, body := s.request(rv)
	return c.post(ctx, path, body)
}

// recorder gathers latencies and errors from concurrent senders.
type recorder struct {
	mu     sync.Mutex
	r      result
	failed atomic.Int64
}

func (rec *recorder) add(d time.Duration, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err != nil {
		rec.r.errors++
		if rec.r.firstError == "" {
			rec.r.firstError = err.Error()
		}
		return
	}
	rec.r.latencies = append(rec.r.latencies, d)
}

// slowOne records the uid of a request answered after more than
// slowRequest.
func (rec *recorder) slowOne(uid string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.r.slow == nil {
		rec.r.slow = map[string]bool{}
	}
	rec.r.slow[uid] = true
}

// late records how late the load generator was in sending a request.
func (rec *recorder) late(d time.Duration) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.r.late = append(rec.r.late, d)
}

func (rec *recorder) finish(start time.Time) result {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.r.elapsed = time.Since(start)
	slices.Sort(rec.r.latencies)
	slices.Sort(rec.r.late)
	rec.r.after = machineNow()
	return rec.r
}

// openLoop sends rate requests a second for d with a client, each at its
// due time whatever happened to the others; latency runs from
// the due time. The pacer sleeps on a thread of its own with nanosleep:
// Go's timers wake an idle process up to a millisecond late here, which
// would be counted against the server.
//
// With perRequest, each request gets a line there: its due time (µs from the
// start), its latency (µs, or "error"), its kind, operation and uid, which
// the server's decision log names too.
func openLoop(ctx context.Context, s *server, pool *reviewPool, from, rate int, d time.Duration, c sender, perRequest io.Writer) result {
	rec := &recorder{r: result{before: machineNow()}}
	cpu, own := s.cpu(), ownCPU()
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	var wg sync.WaitGroup
	var logMu sync.Mutex
	start := time.Now()
	paced := make(chan time.Time)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(paced)
		for i := 0; i < n && ctx.Err() == nil; i++ {
			due := start.Add(time.Duration(i) * interval)
			if wait := time.Until(due); wait > 0 {
				nanosleep(wait)
			}
			paced <- due
		}
	}()
	i := 0
	for due := range paced {
		rec.late(time.Since(due))
		rv := pool.at(from + i)
		i++
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := send(ctx, c, s, rv)
			lat := time.Since(due)
			rec.add(lat, err)
			if err == nil && lat > slowRequest {
				rec.slowOne(rv.uid)
			}
			if perRequest != nil {
				took := strconv.FormatInt(lat.Microseconds(), 10)
				if err != nil {
					took = "error"
				}
				logMu.Lock()
				fmt.Fprintf(perRequest, "%d %s %s %s %s\n", due.Sub(start).Microseconds(), took, rv.kind, rv.op, rv.uid)
				logMu.Unlock()
			}
		}()
	}
	wg.Wait()
	r := rec.finish(start)
	r.sent, r.cpu, r.loadgen = n, s.cpu()-cpu, ownCPU()-own
	return r
}

// closedLoop runs conns connections for d, each sending its next request
// when the last is answered: the pool's reviews in order, after the one
// at index from.
func closedLoop(ctx context.Context, s *server, pool *reviewPool, from, conns int, d time.Duration, certs *x509.CertPool) result {
	rec := &recorder{r: result{before: machineNow()}}
	cpu, own := s.cpu(), ownCPU()
	var next atomic.Int64
	next.Store(int64(from))
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		c := newConns(s.url, certs, 1, 1)
		defer c.close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				rv := pool.at(int(next.Add(1)))
				t := time.Now()
				err := send(ctx, c, s, rv)
				rec.add(time.Since(t), err)
			}
		}()
	}
	wg.Wait()
	r := rec.finish(start)
	r.sent, r.cpu, r.loadgen = int(next.Load())-from, s.cpu()-cpu, ownCPU()-own
	return r
}

// ownCPU is this process's CPU time (user and system) so far.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
