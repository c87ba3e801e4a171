// Command benchwebhook measures the admission webhook under load against
// OPA's own server answering the same policies and input. It generates a
// synthetic cluster (internal/synth) of about -objects objects, creates it
// on a real kube-apiserver and collects it back (-apiserver: the objects
// as the API server returns them, with its defaults, as the webhook's
// informers hold them), or reads a saved one (-snapshot), starts
// `tilsyn webhook --snapshot` on that and `opa run --server` with tilsyn's
// policies and profile, both over TLS on loopback, builds a pool of
// admission reviews (creates and updates of the cluster's kinds, each with
// a new name) and, for OPA, the input the webhook's policies see for the
// same change, then warms each server up with the closed loop until its
// peak memory settles (-warmup: a server that has run for a while, its
// caches full) and runs on it in turn:
//
//   - open loop: requests sent at a constant -rate per second whatever
//     the answers, over HTTP/1.1 connections kept open as the API server
//     keeps them to a webhook that does not serve HTTP/2 (-http2: over
//     one HTTP/2 connection); latency is counted from when each request
//     was due, so a stall shows in full, and how late the load generator
//     itself sent them is printed with it. The load generator shares the
//     cores with the server, so it writes each request and reads its
//     answer on the goroutine that sends it (conns), without net/http's
//     client and its hand-offs between goroutines;
//   - closed loop: -conns HTTP/1.1 connections, each sending its next
//     request as soon as the last is answered (throughput);
//   - the same closed loop sent by wrk (Debian's package): a load
//     generator written apart from the server, and cheaper still.
//
// First comes the floor (floor.go): a webhook that admits every review
// without judging it, measured the same way, which shows what the
// machine, the load generator, TLS and HTTP cost at that moment; what
// tilsyn adds is the difference. tilsyn is measured as deployed and again
// with --repeats 0: the pool is sent over and over, and a change judged
// again in the same state gets its earlier verdict, which a cluster's own
// traffic allows far less often. Every figure comes with the machine's
// load average before and after, and the runs with how promptly the
// machine at rest runs a thread that waits (-rest). Each open loop of
// tilsyn says for how many of its requests over 5 ms the handler itself
// took over 4 ms, by the server's decision log; -requests writes every
// request's latency with its uid.
//
//	make bench-webhook
//	go run ./hack/benchwebhook -tilsyn bin/tilsyn -opa bin/opa -objects 10000 -rate 1000 -conns 64
//	go run ./hack/benchwebhook -snapshot my-cluster.json -runs tilsyn -loops open
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/synth"
)

// referenceObjects is about the size of synth.Scaled(1), counted as
// collect.FromManifests reads it.
const referenceObjects = 113500

type config struct {
	tilsyn, opa string
	objects     int
	rate        int
	conns       int
	duration    time.Duration
	warmup      time.Duration
	pool        int
	cold        bool
	kinds       string
	runs        string
	keep        bool
	rest        time.Duration
	requests    string
	loops       string
	http2       bool
	wrk         string
	apiServer   bool
	snapshot    string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == floorCommand {
		err = serveFloor(ctx, os.Args[2:])
	} else {
		c := parseFlags()
		// The pool is built with the webhook's own judge, whose memos
		// stay behind: collect rarely, and before each measured load (see
		// measure), so that the load generator's collections do not land
		// in the figures.
		debug.SetGCPercent(400)
		err = run(ctx, c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchwebhook:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line.
func parseFlags() config {
	var c config
	flag.StringVar(&c.tilsyn, "tilsyn", "bin/tilsyn", "tilsyn binary to measure")
	flag.StringVar(&c.opa, "opa", "bin/opa", "OPA binary to compare with (built from the OPA module of go.mod)")
	flag.IntVar(&c.objects, "objects", 10000, "approximate number of objects of the cluster")
	flag.IntVar(&c.rate, "rate", 1000, "open loop: reviews per second")
	flag.IntVar(&c.conns, "conns", 64, "closed loop: concurrent connections")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "length of each measured run")
	flag.DurationVar(&c.warmup, "warmup", time.Minute, "before each server's runs, the closed loop until the server's peak memory settles (grows by less than 1% in 5s), for at most this long")
	flag.IntVar(&c.pool, "pool", 20000, "distinct reviews in the pool (each sent once per pass)")
	flag.BoolVar(&c.cold, "cold", false, "also measure tilsyn with its caches off (results without the change, verdicts of repeated changes)")
	flag.StringVar(&c.kinds, "kinds", "", "comma-separated types (plural, as in the snapshot) to keep from the review mix; empty keeps the whole mix")
	flag.StringVar(&c.runs, "runs", "floor,tilsyn,norepeats,opa", "comma-separated servers to measure, in this order: floor (a webhook that admits every review without judging it: what the machine, TLS and HTTP cost at the time), tilsyn (as deployed), norepeats (--repeats 0), opa")
	flag.StringVar(&c.loops, "loops", "open,closed,wrk", "comma-separated loads to measure: open (constant rate), closed (concurrent connections) and wrk (the same closed loop sent by wrk)")
	flag.StringVar(&c.wrk, "wrk", "wrk", "wrk binary for the wrk loop (Debian's package wrk)")
	flag.BoolVar(&c.http2, "http2", false, "run tilsyn with --http2 and send its open loop over one HTTP/2 connection, as the API server then does")
	flag.DurationVar(&c.rest, "rest", 10*time.Second, "before anything else, measure how promptly the machine at rest runs a thread that waits, for this long (0: not at all)")
	flag.StringVar(&c.requests, "requests", "", "write each open-loop request's due time, latency, kind, operation and uid to this file (to join with the server's decision log)")
	flag.BoolVar(&c.apiServer, "apiserver", true, "create the cluster on a real kube-apiserver (the pinned build of make tools) and judge what a live collection reads back, with the API server's defaults, as the webhook's informers hold it (false: the generated manifests as read offline)")
	flag.StringVar(&c.snapshot, "snapshot", "", "judge a snapshot saved by 'tilsyn collect' (your own cluster, or the one a run kept with -keep) instead of generating a cluster; the reviews change its objects")
	flag.BoolVar(&c.keep, "keep", false, "keep the working directory (servers' logs, snapshot, OPA bundle) and print its path")
	flag.Parse()
	return c
}

// choices reads a flag's comma-separated list of some of the known values.
func choices(flag, list string, known ...string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if !slices.Contains(known, v) {
			return nil, fmt.Errorf("%s: unknown value %q (want some of %s)", flag, v, strings.Join(known, ", "))
		}
		out[v] = true
	}
	return out, nil
}

func run(ctx context.Context, c config) error {
	runs, err := choices("-runs", c.runs, "floor", "tilsyn", "norepeats", "opa")
	if err != nil {
		return err
	}
	loops, err := choices("-loops", c.loops, "open", "closed", "wrk")
	if err != nil {
		return err
	}
	if loops["wrk"] {
		if _, err := exec.LookPath(c.wrk); err != nil {
			return fmt.Errorf("-loops wrk: %w (apt-get install wrk, or leave wrk out of -loops)", err)
		}
	}
	kinds, err := mixOf(c.kinds)
	if err != nil {
		return err
	}
	bins := []string{c.tilsyn}
	if runs["opa"] {
		bins = append(bins, c.opa)
	}
	for _, bin := range bins {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%w (make bench-webhook builds bin/tilsyn and bin/opa)", err)
		}
	}
	tmp, err := os.MkdirTemp("", "tilsyn-benchwebhook-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Printf("working directory (kept): %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	if c.rest > 0 {
		fmt.Printf("the machine at rest for %s: %s\n", c.rest, probeStalls(ctx, c.rest))
	}
	snap, source, err := cluster(ctx, c, tmp)
	if err != nil {
		return err
	}
	n := objectCount(snap)
	snapFile := filepath.Join(tmp, "snapshot.json")
	f, err := os.Create(snapFile)
	if err != nil {
		return err
	}
	if err := snap.Encode(f); err != nil {
		f.Close()
		return err
	}
	f.Close()
	fmt.Printf("cluster: %d objects (%s)\n", n, source)

	certs, err := writeCerts(tmp)
	if err != nil {
		return err
	}
	fmt.Printf("building %d reviews and their OPA inputs\n", c.pool)
	pool, err := buildPool(ctx, snap, c.pool, kinds, filepath.Join(tmp, "opa"))
	if err != nil {
		return err
	}
	fmt.Println(pool.describe())

	var requests *bufio.Writer
	if c.requests != "" {
		f, err := os.Create(c.requests)
		if err != nil {
			return err
		}
		defer f.Close()
		requests = bufio.NewWriter(f)
		fmt.Fprintln(requests, "# due (µs from the loop's start), latency (µs), kind, operation, uid")
	}
	var results []result
	measure := func(s *server, label string) error {
		defer s.stop()
		if err := s.wait(ctx, certs.pool); err != nil {
			return err
		}
		var client sender
		if c.http2 && s.name == "tilsyn" {
			client = clientSender{newH2Client(certs.pool), s.url}
		} else {
			apiServer := newAPIServerConns(s, certs.pool)
			defer apiServer.close()
			client = apiServer
		}
		warm := settle(ctx, s, pool, c.conns, c.warmup, certs.pool)
		fmt.Printf("%s: warm-up %s\n", label, warm)
		if loops["open"] {
			// Go on from where the warm-up stopped: the reviews after it
			// were sent the longest ago, none a repeat the server still
			// remembers.
			from := warm.sent + 1
			warmUp(ctx, client, s, pool, from, 8)
			runtime.GC()
			var perRequest io.Writer
			if requests != nil {
				fmt.Fprintf(requests, "# %s\n", label)
				perRequest = requests
			}
			offset := logSize(s.logFile)
			r := openLoop(ctx, s, pool, from, c.rate, c.duration, client, perRequest)
			r.server, r.label = label, fmt.Sprintf("open loop %d/s", c.rate)
			if s.name == "tilsyn" {
				share, err := handlerShare(s.logFile, offset, r.slow, r.sent, len(pool.reviews))
				if err != nil {
					return fmt.Errorf("%s's decision log: %w", label, err)
				}
				r.share = &share
			}
			results = append(results, r)
			fmt.Println(r.line())
		}
		if loops["closed"] {
			runtime.GC()
			r := closedLoop(ctx, s, pool, 0, c.conns, c.duration, certs.pool)
			r.server, r.label = label, fmt.Sprintf("closed loop %d conns", c.conns)
			results = append(results, r)
			fmt.Println(r.line())
		}
		if loops["wrk"] {
			runtime.GC()
			r, err := wrkLoop(ctx, c.wrk, s, pool, c.conns, c.duration, tmp)
			if err != nil {
				return err
			}
			r.server, r.label = label, fmt.Sprintf("wrk closed %d conns", c.conns)
			results = append(results, r)
			fmt.Println(r.line())
		}
		if stats := s.stats(ctx, certs.pool); stats != "" {
			fmt.Printf("%s: %s\n", label, stats)
		}
		return ctx.Err()
	}
	tilsynArgs := []string{"--snapshot", snapFile}
	if c.http2 {
		tilsynArgs = append(tilsynArgs, "--http2")
	}
	if runs["floor"] {
		f, err := startFloor(certs, tmp)
		if err != nil {
			return err
		}
		if err := measure(f, "floor"); err != nil {
			return err
		}
	}
	if runs["tilsyn"] {
		s, err := startTilsyn(c.tilsyn, certs, tmp, tilsynArgs)
		if err != nil {
			return err
		}
		if err := measure(s, "tilsyn"); err != nil {
			return err
		}
	}
	if runs["norepeats"] {
		// The pool is sent again and again; a cluster's traffic repeats
		// itself far less. Measure without the verdicts of repeated changes.
		s, err := startTilsyn(c.tilsyn, certs, tmp, append(tilsynArgs, "--repeats", "0"))
		if err != nil {
			return err
		}
		if err := measure(s, "tilsyn (no repeats)"); err != nil {
			return err
		}
	}
	if c.cold {
		s, err := startTilsyn(c.tilsyn, certs, tmp, append(tilsynArgs, "--cache-size", "0", "--repeats", "0"))
		if err != nil {
			return err
		}
		if err := measure(s, "tilsyn (no cache)"); err != nil {
			return err
		}
	}
	if runs["opa"] {
		o, err := startOPA(c.opa, certs, filepath.Join(tmp, "opa"), tmp)
		if err != nil {
			return err
		}
		if err := measure(o, "opa"); err != nil {
			return err
		}
	}
	if requests != nil {
		if err := requests.Flush(); err != nil {
			return fmt.Errorf("-requests: %w", err)
		}
	}
	fmt.Printf("\n%d objects (%s); reviews: %s\ntilsyn runs with %s (as deploy/webhook); OPA with its defaults\n", n, source, pool.describe(), strings.Join(tilsynEnv, " "))
	fmt.Println(header())
	for _, r := range results {
		fmt.Println(r.line())
	}
	return nil
}

// cluster is the cluster to judge against, and where it comes from: the
// -snapshot given, or a synthetic one of about -objects objects,
// generated and, with -apiserver, created on kube-apiserver and collected
// back.
func cluster(ctx context.Context, c config, tmp string) (*collect.Snapshot, string, error) {
	if c.snapshot != "" {
		snap, err := collect.ReadSnapshot(c.snapshot)
		if err != nil {
			return nil, "", fmt.Errorf("-snapshot: %w", err)
		}
		return snap, "from " + c.snapshot, nil
	}
	fmt.Printf("generating a cluster of about %d objects\n", c.objects)
	snap, err := generate(filepath.Join(tmp, "cluster"), c.objects)
	if err != nil || !c.apiServer {
		return snap, "as generated", err
	}
	snap, err = throughAPIServer(ctx, snap)
	return snap, "as collected from kube-apiserver", err
}

// generate writes a synthetic cluster of about n objects and reads it.
func generate(dir string, n int) (*collect.Snapshot, error) {
	cfg := synth.Scaled(float64(n) / referenceObjects)
	if _, err := synth.WriteDir(dir, cfg); err != nil {
		return nil, err
	}
	return collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: time.Now().UTC().Truncate(time.Second)})
}

// objectCount is how many objects a snapshot holds.
func objectCount(snap *collect.Snapshot) int {
	total := 0
	for _, l := range snap.Resources {
		total += len(l)
	}
	return total
}

// machine is what the machine was doing at some moment, as /proc tells.
type machine struct {
	load  string        // load average
	steal time.Duration // CPU time the host has taken from this virtual machine so far
}

func machineNow() machine { return machine{load: loadAverage(), steal: stealTime()} }

// stealTime is the steal column of /proc/stat's cpu line (in USER_HZ
// ticks, 100 a second): time the hypervisor ran something else while this
// machine had work to run. 0 when it cannot be read.
func stealTime() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	ticks, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
