package cli

import (
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/version"
	"github.com/tilsyn/tilsyn/nodetuning"
)

// nodeConfig is how `audit` and `collect` treat the node agent's records.
type nodeConfig struct {
	// MaxAge is how old a record may be and still count.
	MaxAge time.Duration
	// LocalNode reads the machine tilsyn runs on instead of a cluster:
	// its proc tree Proc, recorded as node NodeName.
	LocalNode bool
	Proc      string
	NodeName  string
}

func addNodeFlags(fs *pflag.FlagSet, n *nodeConfig) {
	fs.DurationVar(&n.MaxAge, "max-age", collect.DefaultNodeRecordMaxAge, "node agent records older than this (at collection) are stale: RES-01 is not assessed for their nodes")
	fs.BoolVar(&n.LocalNode, "local-node", false, "read this machine's kernel settings instead of a cluster (an ad hoc RES-01 check on a node)")
	fs.StringVar(&n.Proc, "proc", nodetuning.DefaultProc, "with --local-node: the proc tree to read")
	fs.StringVar(&n.NodeName, "node-name", "", "with --local-node: the node's name (default the host name)")
}

// checkNodeFlags validates the node flags against the chosen source.
func checkNodeFlags(fs *pflag.FlagSet, n *nodeConfig, manifests bool, snapshot bool) error {
	if n.MaxAge <= 0 {
		return usagef("--max-age %v: want a positive duration such as 1h", n.MaxAge)
	}
	if !n.LocalNode {
		for _, name := range []string{"proc", "node-name"} {
			if fs.Changed(name) {
				return usagef("--%s goes with --local-node", name)
			}
		}
	}
	switch {
	case n.LocalNode && (manifests || snapshot):
		return usagef("--local-node reads this machine; it does not go with -f or --snapshot")
	case n.LocalNode && fs.Changed("max-age"):
		return usagef("--max-age applies to the node agent's records; --local-node reads the settings now")
	case snapshot && fs.Changed("max-age"):
		return usagef("--max-age applies when records are collected; the snapshot keeps the maximum age it was collected with")
	}
	if n.LocalNode {
		for _, name := range liveFlagNames {
			if fs.Changed(name) {
				return usagef("--%s reads a live cluster; it does not go with --local-node", name)
			}
		}
		if n.NodeName == "" {
			host, err := os.Hostname()
			if err != nil {
				return usagef("--local-node: no --node-name given and the host name is unknown: %v", err)
			}
			n.NodeName = host
		}
	}
	return nil
}

// localNode reads this machine into a snapshot.
func localNode(n nodeConfig, now time.Time) (*collect.Snapshot, error) {
	return collect.FromLocalNode(collect.LocalNodeOptions{Proc: n.Proc, NodeName: n.NodeName, Version: version.Version, Now: now})
}
