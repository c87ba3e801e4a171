package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tilsyn/tilsyn/internal/version"
	"github.com/tilsyn/tilsyn/nodetuning"
)

// Defaults of the agent's flags.
const (
	DefaultInterval = 5 * time.Minute
	// MinInterval keeps a misconfigured agent from loading the API server.
	MinInterval = 10 * time.Second
	// NodeNameEnv is read when --node-name is not given; the DaemonSet
	// sets it from the pod's spec.nodeName (the downward API).
	NodeNameEnv = "NODE_NAME"
)

// Config is the agent's command line.
type Config struct {
	Proc       string
	NodeName   string
	Namespace  string
	Interval   time.Duration
	Once       bool
	Kubeconfig string
	Context    string
}

// UsageError is a command line the agent cannot run with.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

const usage = `Usage: tilsyn node-agent [flags]

Read this node's kernel settings of control RES-01 (fs.file-max, conntrack
table size and use, TIME_WAIT reuse, ephemeral port range, TCP keepalives),
its kernel release and CPU count, and publish them every --interval as the
ConfigMap tilsyn-node-<node> in the namespace --namespace, for 'tilsyn
audit' to read. A setting that cannot be read is recorded as absent, with
the reason.

Net settings belong to a network namespace: run the agent in the node's
(a hostNetwork pod, as deploy/node-agent-daemonset.yaml does), or it
records its own pod's values.`

const examples = `  # In the DaemonSet (the node name comes from NODE_NAME)
  tilsyn-node-agent --interval 5m

  # Once, by hand, on a node
  tilsyn node-agent --node-name "$(hostname)" --kubeconfig ~/.kube/config --once`

// ParseFlags reads the agent's command line; env looks up environment
// variables (os.Getenv in a real run).
func ParseFlags(args []string, out io.Writer, env func(string) string) (Config, error) {
	c := Config{}
	fs := pflag.NewFlagSet("tilsyn node-agent", pflag.ContinueOnError)
	fs.SetOutput(out)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(out, "%s\n\nFlags:\n%s\nExamples:\n%s\n", usage, fs.FlagUsages(), examples)
	}
	fs.StringVar(&c.Proc, "proc", nodetuning.DefaultProc, "proc tree to read the settings from")
	fs.StringVar(&c.NodeName, "node-name", "", "name of this node (default $"+NodeNameEnv+")")
	fs.StringVar(&c.Namespace, "namespace", nodetuning.Namespace, "namespace of the record ConfigMap")
	fs.DurationVar(&c.Interval, "interval", DefaultInterval, "time between two records")
	fs.BoolVar(&c.Once, "once", false, "publish one record and exit")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: the pod's ServiceAccount in a pod, else $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&c.Context, "context", "", "kubeconfig context (default the current context)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return c, err
		}
		return c, &UsageError{err}
	}
	if fs.NArg() > 0 {
		return c, &UsageError{fmt.Errorf("unexpected arguments %s", strings.Join(fs.Args(), " "))}
	}
	if c.NodeName == "" {
		c.NodeName = env(NodeNameEnv)
	}
	if c.NodeName == "" {
		return c, &UsageError{errors.New("no node name: give --node-name, or set " + NodeNameEnv + " (the DaemonSet sets it from spec.nodeName)")}
	}
	if err := nodetuning.CheckNodeName(c.NodeName); err != nil {
		return c, &UsageError{err}
	}
	if !c.Once && c.Interval < MinInterval {
		return c, &UsageError{fmt.Errorf("--interval %v: want at least %v", c.Interval, MinInterval)}
	}
	if c.Namespace == "" {
		return c, &UsageError{errors.New("--namespace: empty namespace name")}
	}
	return c, nil
}

// Connect returns the client configuration of a command line: the pod's
// ServiceAccount in a pod (when no kubeconfig is asked for), else the
// kubeconfig and context.
func Connect(c Config) (*rest.Config, error) {
	if c.Kubeconfig == "" && c.Context == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster configuration: %w", err)
		}
		return cfg, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}

// Start runs the agent of a parsed command line until ctx is done.
func Start(ctx context.Context, c Config, log io.Writer) error {
	cfg, err := Connect(c)
	if err != nil {
		return err
	}
	a, err := New(Options{Proc: c.Proc, NodeName: c.NodeName, Namespace: c.Namespace, Interval: c.Interval,
		Once: c.Once, Config: cfg, Version: version.Version, Log: log})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// Main is the whole of the small tilsyn-node-agent command: it runs the
// agent and returns the exit code, 0 when it stopped because ctx was done
// (or published once with --once), 2 when it could not run.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := ParseFlags(args, stdout, os.Getenv)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = Start(ctx, c, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "tilsyn-node-agent: "+err.Error())
		return 2
	}
	return 0
}
