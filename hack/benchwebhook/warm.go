package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// warmStep is how long the warm-up runs between two readings of the
// server's peak memory.
const warmStep = 5 * time.Second

// warmth is how a warm-up ended.
type warmth struct {
	result
	took    time.Duration
	peak    int64 // the server's peak resident memory, bytes (0: unknown)
	settled bool
}

func (w warmth) String() string {
	switch {
	case w.took == 0:
		return "none"
	case w.peak == 0:
		return fmt.Sprintf("%s: %s", w.took.Round(time.Second), w.short())
	case w.settled:
		return fmt.Sprintf("%s, until the server's peak memory settled at %d MiB: %s", w.took.Round(time.Second), w.peak>>20, w.short())
	}
	return fmt.Sprintf("%s, the server's peak memory still growing (%d MiB): %s", w.took.Round(time.Second), w.peak>>20, w.short())
}

// settle brings a server to the state it serves in once it has run for a
// while: the closed loop, in steps of warmStep, until the server's peak
// resident memory grew by less than 1% in a step, for at most max.
//
// A server's heap grows until its caches are full and it has been through
// its busiest moments, and every page it takes for the first time is a
// page fault: a short warm-up leaves that growth inside the measured runs,
// which a server that has run for a while is past. The warm-up goes
// through the pool from its start; the open loop goes on from where it
// stopped, so that it does not begin with the reviews the warm-up has just
// sent (repeats of a change).
func settle(ctx context.Context, s *server, pool *reviewPool, conns int, max time.Duration, certs *x509.CertPool) warmth {
	var w warmth
	w.peak = s.peakMemory()
	for w.took < max && ctx.Err() == nil {
		step := min(warmStep, max-w.took)
		w.merge(closedLoop(ctx, s, pool, w.sent, conns, step, certs))
		w.took += step
		peak := s.peakMemory()
		if step == warmStep && w.peak > 0 && peak > 0 && peak-w.peak < w.peak/100 {
			w.peak, w.settled = peak, true
			return w
		}
		w.peak = peak
	}
	return w
}

// merge adds a later run's requests to w's.
func (w *warmth) merge(r result) {
	if w.elapsed == 0 {
		w.result = r
		return
	}
	w.sent += r.sent
	w.errors += r.errors
	if w.firstError == "" {
		w.firstError = r.firstError
	}
	w.elapsed += r.elapsed
	w.latencies = append(w.latencies, r.latencies...)
	slices.Sort(w.latencies)
}

// peakMemory is the server's peak resident memory (VmHWM), in bytes, or 0
// when it cannot be read.
func (s *server) peakMemory() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
