package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrkScript makes wrk send the pool's requests in turn, each thread from
// its own place in it, and print what benchwebhook reads when done. The
// requests are read from a file of records "<path>\n<length>\n<body>",
// formatted once per thread.
const wrkScript = `
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  reqs = {}
  while true do
    local path = f:read("*l")
    if not path then break end
    local n = tonumber(f:read("*l"))
    local body = f:read(n)
    reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
  end
  f:close()
  i = (id * 7919) % #reqs
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("benchwebhook requests=%d duration=%d p50=%d p90=%d p99=%d max=%d status=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
`

// writeWrkRequests writes the pool's requests for a server as wrkScript
// reads them.
func writeWrkRequests(file string, s *server, pool *reviewPool) error {
	var b bytes.Buffer
	for _, rv := range pool.reviews {
		path, body := s.request(rv)
		fmt.Fprintf(&b, "%s\n%d\n", path, len(body))
		b.Write(body)
	}
	return os.WriteFile(file, b.Bytes(), 0o600)
}

// wrkLoop runs wrk's closed loop against a server: conns connections over
// as many threads as there are CPUs, each connection sending its next
// request when the last is answered. wrk (Debian's package) costs the
// shared cores far less per request than Go's HTTP client, so more of them
// are left to the server.
func wrkLoop(ctx context.Context, wrk string, s *server, pool *reviewPool, conns int, d time.Duration, dir string) (result, error) {
	script := filepath.Join(dir, "wrk.lua")
	reqs := filepath.Join(dir, "wrk-"+s.name+".requests")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return result{}, err
	}
	if err := writeWrkRequests(reqs, s, pool); err != nil {
		return result{}, err
	}
	defer os.Remove(reqs)
	threads := min(runtime.NumCPU(), conns)
	cmd := exec.CommandContext(ctx, wrk, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--timeout", "30s", "-s", script, s.url, "--", reqs)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	r := result{before: machineNow()}
	cpu := s.cpu()
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	r.cpu = s.cpu() - cpu
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.loadgen = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	r.after = machineNow()
	if err := parseWrk(out.String(), &r); err != nil {
		return r, fmt.Errorf("wrk: %w\n%s", err, out.String())
	}
	return r, nil
}

// parseWrk reads the line wrkScript's done prints.
func parseWrk(out string, r *result) error {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "benchwebhook ")
		if !ok {
			continue
		}
		v := map[string]int64{}
		for _, f := range strings.Fields(rest) {
			k, n, _ := strings.Cut(f, "=")
			x, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return fmt.Errorf("%q: %w", f, err)
			}
			v[k] = x
		}
		us := func(k string) time.Duration { return time.Duration(v[k]) * time.Microsecond }
		r.elapsed = us("duration")
		r.errors = int(v["status"] + v["connect"] + v["read"] + v["write"] + v["timeout"])
		if r.errors > 0 {
			r.firstError = fmt.Sprintf("wrk: %d answers with HTTP 4xx/5xx, socket errors: connect %d, read %d, write %d, timeout %d",
				v["status"], v["connect"], v["read"], v["write"], v["timeout"])
		}
		r.count = int(v["requests"] - v["status"])
		r.fixed = map[float64]time.Duration{0.50: us("p50"), 0.90: us("p90"), 0.99: us("p99"), 1: us("max")}
		return nil
	}
	return fmt.Errorf("no summary in its output")
}
