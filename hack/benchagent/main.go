// Command benchagent measures the node agent's footprint on a real API
// server: it starts etcd and kube-apiserver (internal/testcluster), runs
// the agent binary (and, for comparison, `tilsyn node-agent`) against it
// on this machine's /proc, and reports each one's resident memory (now
// and peak) and CPU time per collection cycle — all threads, idle time
// between cycles included — with the machine's load.
//
//	make bench-agent
//	go run ./hack/benchagent -agent bin/tilsyn-node-agent -tilsyn bin/tilsyn -interval 10s -cycles 12
//
// With an -interval longer than the API server's idle connection timeout
// (90 s), every cycle opens a new connection and resumes a TLS session, as
// it does with the DaemonSet's five minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/nodetuning"
)

func main() {
	agent := flag.String("agent", "bin/tilsyn-node-agent", "the small agent binary")
	tilsyn := flag.String("tilsyn", "bin/tilsyn", "tilsyn, run as `tilsyn node-agent` for comparison (empty: skip)")
	interval := flag.Duration("interval", 10*time.Second, "the agents' --interval")
	cycles := flag.Int("cycles", 12, "cycles to measure, after the first")
	godebug := flag.String("godebug", "", "GODEBUG of the agents (gctrace=1 shows their garbage collections)")
	compare := flag.String("compare", "", "another agent binary to run alongside (a variant under test)")
	daemonSet := flag.String("daemonset", "deploy/node-agent-daemonset.yaml", "the agents get the environment of this DaemonSet's container (its plain values)")
	flag.Parse()
	if err := run(*agent, *tilsyn, *compare, *daemonSet, *interval, *cycles, *godebug); err != nil {
		fmt.Fprintln(os.Stderr, "benchagent:", err)
		os.Exit(1)
	}
}

// subject is one agent process being measured.
type subject struct {
	name string
	node string
	cmd  *exec.Cmd
	env  []string
	// cpu0 and rv0 are the CPU time and record version after the first
	// cycle; seen counts record versions since.
	cpu0 time.Duration
	rv   string
	seen int
	rss  []int64
}

func run(agent, tilsyn, compare, daemonSet string, interval time.Duration, cycles int, godebug string) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "tilsyn-benchagent-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Println("starting etcd and kube-apiserver")
	c, err := testcluster.New(ctx, testcluster.Options{})
	if err != nil {
		return err
	}
	defer c.Stop()
	if _, err := c.Admin().CoreV1().Namespaces().Create(ctx, namespace(nodetuning.Namespace), metav1.CreateOptions{}); err != nil {
		return err
	}
	kubeconfig := filepath.Join(tmp, "kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig, c.AdminToken, "bench"); err != nil {
		return err
	}
	env, err := daemonSetEnv(daemonSet)
	if err != nil {
		return err
	}
	fmt.Printf("the agent's environment (%s): %s\n", daemonSet, strings.Join(env, " "))
	subjects := []*subject{{name: filepath.Base(agent), node: "bench-small", cmd: exec.Command(agent), env: env}}
	if compare != "" {
		subjects = append(subjects, &subject{name: compare, node: "bench-compare", cmd: exec.Command(compare), env: env})
	}
	if tilsyn != "" {
		// tilsyn's own heap is far above the DaemonSet's memory limit for
		// the small agent: one thread, the runtime's defaults otherwise.
		subjects = append(subjects, &subject{name: filepath.Base(tilsyn) + " node-agent", node: "bench-tilsyn", cmd: exec.Command(tilsyn, "node-agent"),
			env: []string{"GOMAXPROCS=1"}})
	}
	for _, s := range subjects {
		s.cmd.Args = append(s.cmd.Args, "--kubeconfig", kubeconfig, "--node-name", s.node, "--interval", interval.String())
		s.cmd.Env = append(os.Environ(), s.env...)
		if godebug != "" {
			s.cmd.Env = append(s.cmd.Env, "GODEBUG="+godebug)
		}
		s.cmd.Stderr = os.Stderr
		if err := s.cmd.Start(); err != nil {
			return err
		}
		defer func() {
			s.cmd.Process.Signal(os.Interrupt)
			s.cmd.Wait()
		}()
	}
	fmt.Printf("running %d agents, --interval %v, measuring %d cycles after the first\n", len(subjects), interval, cycles)
	deadline := time.Now().Add(time.Duration(cycles+2)*interval + time.Minute)
	for {
		done := true
		for _, s := range subjects {
			cm, err := c.Admin().CoreV1().ConfigMaps(nodetuning.Namespace).Get(ctx, nodetuning.ConfigMapName(s.node), metav1.GetOptions{})
			if err != nil {
				done = false
				continue
			}
			if cm.ResourceVersion != s.rv {
				if s.rv == "" {
					// The first cycle (start-up) is not counted.
					s.cpu0, err = cpuTime(s.cmd.Process.Pid)
					if err != nil {
						return err
					}
				} else {
					s.seen++
				}
				s.rv = cm.ResourceVersion
			}
			if rss, err := status(s.cmd.Process.Pid, "VmRSS"); err == nil && s.rv != "" {
				s.rss = append(s.rss, rss)
			}
			if s.seen < cycles {
				done = false
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the agents did not publish %d records in time", cycles+1)
		}
		time.Sleep(200 * time.Millisecond)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\nload average: %s", load)
	fmt.Printf("%-28s %12s %12s %12s %14s\n", "agent", "RSS idle", "RSS peak", "cycles", "CPU per cycle")
	for _, s := range subjects {
		cpu, err := cpuTime(s.cmd.Process.Pid)
		if err != nil {
			return err
		}
		hwm, err := status(s.cmd.Process.Pid, "VmHWM")
		if err != nil {
			return err
		}
		fmt.Printf("%-28s %9.1f MiB %9.1f MiB %12d %11.0f µs\n", s.name, median(s.rss)/1024, float64(hwm)/1024, s.seen,
			float64((cpu-s.cpu0).Microseconds())/float64(s.seen))
	}
	return nil
}

// daemonSetEnv reads the environment variables with plain values of the
// first container of a DaemonSet manifest ("NAME=value").
func daemonSetEnv(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(data, &ds); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ds.Spec.Template.Spec.Containers) == 0 {
		return nil, fmt.Errorf("%s: no container", path)
	}
	var env []string
	for _, e := range ds.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom == nil {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	return env, nil
}

// cpuTime is the CPU time of every thread of a process, from
// /proc/PID/task/*/schedstat (nanoseconds, unlike the clock ticks of
// /proc/PID/stat).
func cpuTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("schedstat of %d: %v", pid, err)
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that ended
		}
		f := strings.Fields(string(data))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// status reads a kB value of /proc/PID/status.
func status(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", field, pid)
}

func median(xs []int64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return float64(s[len(s)/2])
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
