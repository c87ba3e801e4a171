// Command benchlive measures a live collection against kubectl on a real
// API server: it starts etcd and kube-apiserver (internal/testcluster),
// loads a synthetic cluster (internal/synth) of about -objects objects,
// then times `tilsyn collect` and `kubectl get -A -o json` of every
// resource type tilsyn collects, run one after another, and reports wall
// time and peak RSS (from /usr/bin/time) of each, with the machine's load.
//
//	make bench-live
//	go run ./hack/benchlive -tilsyn bin/tilsyn -kubectl bin/tools/kubectl -objects 20000 -runs 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/synth"
	"github.com/tilsyn/tilsyn/internal/testcluster"
)

// referenceObjects is the size of synth.Scaled(1).
const referenceObjects = 70000

func main() {
	tilsyn := flag.String("tilsyn", "bin/tilsyn", "tilsyn binary to measure")
	kubectl := flag.String("kubectl", os.Getenv("KUBECTL"), "kubectl binary to compare with (default $KUBECTL)")
	objects := flag.Int("objects", 20000, "approximate number of objects to load")
	runs := flag.Int("runs", 3, "measured runs of each side (after one warm-up)")
	hold := flag.Bool("hold", false, "load the cluster, print its kubeconfig and wait for Ctrl-C instead of measuring")
	flag.Parse()
	if err := run(*tilsyn, *kubectl, *objects, *runs, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "benchlive:", err)
		os.Exit(1)
	}
}

func run(tilsyn, kubectl string, objects, runs int, hold bool) error {
	if kubectl == "" && !hold {
		return fmt.Errorf("no kubectl: give -kubectl or set KUBECTL (make bench-live does)")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil && !hold {
		return fmt.Errorf("/usr/bin/time is needed to measure peak memory (Debian: apt-get install time): %w", err)
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "tilsyn-benchlive-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Printf("starting etcd and kube-apiserver\n")
	c, err := testcluster.New(ctx, testcluster.Options{})
	if err != nil {
		return err
	}
	defer c.Stop()
	if err := c.InstallCRDs(ctx, append(testcluster.IstioCRDs(), testcluster.VeleroCRDs()...)); err != nil {
		return err
	}

	snap, n, err := generate(filepath.Join(tmp, "cluster"), objects)
	if err != nil {
		return err
	}
	fmt.Printf("loading the %d objects generated\n", n)
	start := time.Now()
	// The synthetic cluster has the system namespaces the API server
	// creates by itself.
	loaded, err := c.CreateSnapshot(ctx, snap, testcluster.CreateOptions{AnyOrder: true, IgnoreExisting: true, Workers: 16})
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d objects in %v\n", loaded, time.Since(start).Round(time.Second))
	snap = nil
	runtime.GC()

	kc := filepath.Join(tmp, "kubeconfig")
	if err := c.WriteKubeconfig(kc, c.AdminToken, "bench"); err != nil {
		return err
	}
	if hold {
		fmt.Printf("kubeconfig: %s (Ctrl-C stops the cluster)\n", kc)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		return nil
	}
	cache := filepath.Join(tmp, "kubectl-cache")
	tilsynRun := func() (measure, error) {
		return timed(tilsyn, "collect", "--kubeconfig", kc, "-q", "-o", filepath.Join(tmp, "snapshot.json"))
	}
	kubectlRun := func() (measure, error) {
		var total measure
		for _, t := range collect.Registry {
			name := t.Key
			if t.Group != "" {
				name += "." + t.Group
			}
			m, err := timed(kubectl, "--kubeconfig", kc, "--cache-dir", cache, "get", name, "-A", "-o", "json")
			if err != nil {
				return total, err
			}
			total.wall += m.wall
			total.maxRSS = max(total.maxRSS, m.maxRSS)
		}
		return total, nil
	}

	fmt.Printf("warming up (discovery caches, page cache)\n")
	if _, err := tilsynRun(); err != nil {
		return err
	}
	if _, err := kubectlRun(); err != nil {
		return err
	}
	collected, err := countSnapshot(filepath.Join(tmp, "snapshot.json"))
	if err != nil {
		return err
	}
	loadBefore := loadavg()
	var ts, ks []measure
	for i := 0; i < runs; i++ {
		t, err := tilsynRun()
		if err != nil {
			return err
		}
		k, err := kubectlRun()
		if err != nil {
			return err
		}
		ts, ks = append(ts, t), append(ks, k)
	}
	loadAfter := loadavg()

	t, k := median(ts), median(ks)
	fmt.Printf("\n%d objects in the API server (%d resource types), %d CPUs, load average %s before, %s after\n",
		collected, len(collect.Registry), runtime.NumCPU(), loadBefore, loadAfter)
	fmt.Printf("median of %d runs:\n", runs)
	fmt.Printf("  %-58s %8s %10s\n", "", "wall", "peak RSS")
	fmt.Printf("  %-58s %8s %10s\n", "tilsyn collect (all types, concurrent)", t.wall.Round(10*time.Millisecond), mib(t.maxRSS))
	fmt.Printf("  %-58s %8s %10s\n", fmt.Sprintf("kubectl get -A -o json, %d types one after another", len(collect.Registry)), k.wall.Round(10*time.Millisecond), mib(k.maxRSS))
	fmt.Printf("  tilsyn is %.1fx faster (every run: tilsyn %s; kubectl %s)\n",
		k.wall.Seconds()/t.wall.Seconds(), walls(ts), walls(ks))
	return nil
}

// generate writes a synthetic cluster of about target objects into dir:
// the size of synth.Scaled(1) is not fixed, so the factor is corrected
// from a first try.
func generate(dir string, target int) (*collect.Snapshot, int, error) {
	factor := float64(target) / referenceObjects
	for try := 0; ; try++ {
		os.RemoveAll(dir)
		n, err := synth.WriteDir(dir, synth.Scaled(factor))
		if err != nil {
			return nil, 0, err
		}
		if try == 2 || abs(n-target) <= target/50 {
			snap, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}})
			return snap, n, err
		}
		factor *= float64(target) / float64(n)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// measure is the wall time and peak resident memory of a process.
type measure struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

// timed runs a command under /usr/bin/time, discarding its output, and
// measures it. The peak RSS is taken from time(1), a small process: the
// rusage of a child of this (large) process would count this process's
// memory, shared until the child's exec.
func timed(name string, args ...string) (measure, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return measure{}, err
	}
	defer devnull.Close()
	usage, err := os.CreateTemp("", "benchlive-time-")
	if err != nil {
		return measure{}, err
	}
	usage.Close()
	defer os.Remove(usage.Name())
	var stderr strings.Builder
	cmd := exec.Command("/usr/bin/time", append([]string{"-o", usage.Name(), "-f", "%M", name}, args...)...)
	cmd.Stdout, cmd.Stderr = devnull, &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measure{}, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	data, err := os.ReadFile(usage.Name())
	if err != nil {
		return measure{}, err
	}
	kib, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return measure{}, fmt.Errorf("time(1) output %q: %w", data, err)
	}
	return measure{wall: wall, maxRSS: kib << 10}, nil
}

func median(ms []measure) measure {
	s := append([]measure(nil), ms...)
	sort.Slice(s, func(i, j int) bool { return s[i].wall < s[j].wall })
	return s[len(s)/2]
}

func walls(ms []measure) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.wall.Round(10*time.Millisecond).String())
	}
	return strings.Join(out, ", ")
}

func mib(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:3], " ")
}

func countSnapshot(path string) (int, error) {
	s, err := collect.ReadSnapshot(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range s.Coverage {
		if c.Status != collect.Collected {
			return 0, fmt.Errorf("%s not collected: %s %s", c.Resource, c.Status, c.Reason)
		}
		n += c.Count
	}
	return n, nil
}
