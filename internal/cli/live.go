package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/version"
)

// liveConfig is how `audit` and `collect` reach a live cluster.
type liveConfig struct {
	Kubeconfig string
	Context    string
	InCluster  bool
	Namespaces []string
	Timeout    time.Duration
	QPS        float32
}

// Defaults of the live flags.
const (
	defaultTimeout = 5 * time.Minute
	defaultQPS     = collect.DefaultQPS
)

// serviceAccountDir is where --in-cluster finds the pod's credentials;
// tests point it elsewhere.
var serviceAccountDir = collect.DefaultServiceAccountDir

var liveFlagNames = []string{"kubeconfig", "context", "in-cluster", "namespace", "timeout", "qps"}

func addLiveFlags(fs *pflag.FlagSet, l *liveConfig) {
	fs.StringVar(&l.Kubeconfig, "kubeconfig", "", "kubeconfig file of the live cluster (default $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&l.Context, "context", "", "kubeconfig context to use (default the current context)")
	fs.BoolVar(&l.InCluster, "in-cluster", false, "use the pod's ServiceAccount (chosen by itself in a pod without a kubeconfig)")
	fs.StringSliceVarP(&l.Namespaces, "namespace", "n", nil, "collect only these namespaces (and istio-system, which holds mesh-wide policy); repeatable or comma-separated")
	fs.DurationVar(&l.Timeout, "timeout", defaultTimeout, "give up on what is not collected after this long (recorded as an error in coverage)")
	fs.Float32Var(&l.QPS, "qps", defaultQPS, "at most this many API requests a second (bursts of twice as many)")
}

// checkLive validates the live flags; live says whether the command reads
// a live cluster.
func checkLive(fs *pflag.FlagSet, l liveConfig, live bool) error {
	if !live {
		for _, n := range liveFlagNames {
			if fs.Changed(n) {
				return usagef("--%s reads a live cluster; it does not go with -f or --snapshot", n)
			}
		}
		return nil
	}
	if l.Timeout <= 0 {
		return usagef("--timeout %v: want a positive duration such as 2m", l.Timeout)
	}
	if l.QPS <= 0 {
		return usagef("--qps %g: want a positive number", l.QPS)
	}
	if fs.Changed("namespace") && len(l.Namespaces) == 0 {
		return usagef("--namespace: empty namespace name")
	}
	for _, ns := range l.Namespaces {
		if ns == "" {
			return usagef("--namespace: empty namespace name")
		}
	}
	return nil
}

// collectLive reads a snapshot from the live cluster, reporting progress on
// stderr when it is a terminal and quiet is not set.
func collectLive(ctx context.Context, l liveConfig, maxAge time.Duration, s Streams, quiet bool) (*collect.Snapshot, error) {
	opts, p, err := liveOptions(l, maxAge, s, quiet)
	if err != nil {
		return nil, err
	}
	snap, err := collect.FromCluster(ctx, opts)
	if err != nil {
		return nil, err
	}
	p.end(snap.Coverage)
	return snap, nil
}

// collectLiveEncoded is collectLive for a snapshot that is only written
// out: objects are kept encoded, which takes far less memory.
func collectLiveEncoded(ctx context.Context, l liveConfig, maxAge time.Duration, s Streams, quiet bool) (*collect.EncodedSnapshot, error) {
	opts, p, err := liveOptions(l, maxAge, s, quiet)
	if err != nil {
		return nil, err
	}
	snap, err := collect.FromClusterEncoded(ctx, opts)
	if err != nil {
		return nil, err
	}
	p.end(snap.Coverage())
	return snap, nil
}

// liveOptions connects and sets up progress reporting (nil when silent);
// maxAge is how old a node agent record may be.
func liveOptions(l liveConfig, maxAge time.Duration, s Streams, quiet bool) (collect.LiveOptions, *progress, error) {
	conn, err := collect.Connect(collect.ConnectOptions{
		Kubeconfig: l.Kubeconfig, Context: l.Context, InCluster: l.InCluster,
		ServiceAccountDir: serviceAccountDir, UserAgent: "tilsyn/" + version.Version,
	})
	if err != nil {
		return collect.LiveOptions{}, nil, err
	}
	opts := collect.LiveOptions{
		Connection: conn, Namespaces: l.Namespaces, QPS: l.QPS, Timeout: l.Timeout,
		Now: time.Now().UTC().Truncate(time.Second), NodeRecordMaxAge: maxAge,
	}
	var p *progress
	if !quiet && isTerminal(s.Err) {
		p = &progress{w: s.Err, start: time.Now()}
		p.begin(conn, l.Namespaces)
		opts.Progress = p.update
	}
	return opts, p, nil
}

// progress prints one line per resource type as it finishes.
type progress struct {
	w     io.Writer
	start time.Time
}

func (p *progress) begin(conn *collect.Connection, namespaces []string) {
	where := conn.Config.Host
	switch {
	case conn.InCluster:
		where += " (in-cluster)"
	case conn.Context != "":
		where += " (context " + conn.Context + ")"
	}
	scope := "all namespaces"
	if len(namespaces) > 0 {
		scope = "namespaces " + strings.Join(collect.ScopeNamespaces(namespaces), ", ")
	}
	fmt.Fprintf(p.w, "Collecting from %s, %s\n", where, scope)
}

func (p *progress) update(ev collect.Progress) {
	if !ev.Done {
		return
	}
	c := ev.Coverage
	switch c.Status {
	case collect.Collected:
		fmt.Fprintf(p.w, "  %-24s %8d\n", c.Resource, c.Count)
	default:
		fmt.Fprintf(p.w, "  %-24s %8s  %s\n", c.Resource, c.Status, c.Reason)
	}
}

func (p *progress) end(coverage []collect.Coverage) {
	if p == nil {
		return
	}
	total, missing := 0, 0
	for _, c := range coverage {
		total += c.Count
		if c.Status != collect.Collected {
			missing++
		}
	}
	fmt.Fprintf(p.w, "Collected %d objects from %d of %d resource types in %v\n", total, len(coverage)-missing, len(coverage),
		time.Since(p.start).Round(10*time.Millisecond))
}
