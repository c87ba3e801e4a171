package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/report"
)

type collectConfig struct {
	Manifests        []string
	DefaultNamespace string
	Output           string
	Quiet            bool
	// Live is set when no manifests are given.
	Live       bool
	LiveConfig liveConfig
	Nodes      nodeConfig
}

const collectUsage = `Usage: tilsyn collect [flags] [MANIFEST_PATH...]

Read cluster state into a snapshot: a JSON file that 'tilsyn audit
--snapshot' audits later, so the evidence can be re-checked against exactly
the state it was built from. Without manifests, the live cluster of the
current kubeconfig context (or of the pod's ServiceAccount in a pod) is
read. managedFields, last-applied annotations and Secret contents are
never kept; from a live cluster, Secrets are read as metadata only. The
node agent's records (ConfigMaps tilsyn-node-* in namespace tilsyn) are
read too; with --local-node, this machine's kernel settings are read
instead of a cluster.`

const collectExamples = `  tilsyn collect -f testdata/examples/nordic-fintech -o snapshot.json
  kubectl get deploy,pod,svc,peerauthentication -A -o yaml | tilsyn collect -f - -o snapshot.json
  tilsyn collect --context prod-oslo -o prod-oslo.json
  tilsyn collect --local-node -o node.json     # on a node: its kernel settings only`

func parseCollectFlags(args []string, out io.Writer) (collectConfig, error) {
	var c collectConfig
	fs := newFlagSet("collect", collectUsage, collectExamples, out)
	fs.StringArrayVarP(&c.Manifests, "manifests", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	fs.StringVar(&c.DefaultNamespace, "default-namespace", "default", "namespace of manifest objects that name none")
	fs.StringVarP(&c.Output, "output", "o", "-", "snapshot file to write, or - for standard output")
	fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print nothing but errors")
	addLiveFlags(fs, &c.LiveConfig)
	addNodeFlags(fs, &c.Nodes)
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	c.Manifests = append(c.Manifests, fs.Args()...)
	if err := checkNodeFlags(fs, &c.Nodes, len(c.Manifests) > 0, false); err != nil {
		return c, err
	}
	c.Live = len(c.Manifests) == 0 && !c.Nodes.LocalNode
	if err := checkLive(fs, c.LiveConfig, c.Live); err != nil {
		return c, err
	}
	return c, nil
}

func runCollect(ctx context.Context, s Streams, args []string) error {
	c, err := parseCollectFlags(args, s.Out)
	if err != nil {
		return err
	}
	var (
		encode   func(io.Writer) error
		coverage []collect.Coverage
		other    int
	)
	now := time.Now().UTC().Truncate(time.Second)
	switch {
	case c.Live:
		snap, err := collectLiveEncoded(ctx, c.LiveConfig, c.Nodes.MaxAge, s, c.Quiet)
		if err != nil {
			return err
		}
		encode, coverage = snap.Encode, snap.Coverage()
	case c.Nodes.LocalNode:
		snap, err := localNode(c.Nodes, now)
		if err != nil {
			return err
		}
		encode, coverage = snap.Encode, snap.Coverage
	default:
		snap, err := collect.FromManifests(collect.ManifestOptions{
			Paths: c.Manifests, Stdin: s.In, DefaultNamespace: c.DefaultNamespace,
			Now: now, NodeRecordMaxAge: c.Nodes.MaxAge,
		})
		if err != nil {
			return err
		}
		encode, coverage, other = snap.Encode, snap.Coverage, len(snap.Other)
	}
	if c.Output == "-" {
		return encode(s.Out)
	}
	if err := report.WriteFile(c.Output, encode, true); err != nil {
		return err
	}
	if !c.Quiet {
		total := other
		for _, cov := range coverage {
			total += cov.Count
		}
		fmt.Fprintf(s.Err, "snapshot written to %s (%d objects)\n", c.Output, total)
	}
	return nil
}
