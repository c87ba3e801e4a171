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
}

const collectUsage = `Usage: tilsyn collect [flags] [MANIFEST_PATH...]

Read cluster state into a snapshot: a JSON file that 'tilsyn audit
--snapshot' audits later, so the evidence can be re-checked against exactly
the state it was built from. Without manifests, the live cluster of the
current kubeconfig context (or of the pod's ServiceAccount in a pod) is
read. managedFields, last-applied annotations and Secret contents are
never kept; from a live cluster, Secrets are read as metadata only.`

const collectExamples = `  tilsyn collect -f testdata/examples/nordic-fintech -o snapshot.json
  kubectl get deploy,pod,svc,peerauthentication -A -o yaml | tilsyn collect -f - -o snapshot.json
  tilsyn collect --context prod-oslo -o prod-oslo.json`

func parseCollectFlags(args []string, out io.Writer) (collectConfig, error) {
	var c collectConfig
	fs := newFlagSet("collect", collectUsage, collectExamples, out)
	fs.StringArrayVarP(&c.Manifests, "manifests", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	fs.StringVar(&c.DefaultNamespace, "default-namespace", "default", "namespace of manifest objects that name none")
	fs.StringVarP(&c.Output, "output", "o", "-", "snapshot file to write, or - for standard output")
	fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print nothing but errors")
	addLiveFlags(fs, &c.LiveConfig)
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	c.Manifests = append(c.Manifests, fs.Args()...)
	c.Live = len(c.Manifests) == 0
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
	if c.Live {
		snap, err := collectLiveEncoded(ctx, c.LiveConfig, s, c.Quiet)
		if err != nil {
			return err
		}
		encode, coverage = snap.Encode, snap.Coverage()
	} else {
		snap, err := collect.FromManifests(collect.ManifestOptions{
			Paths: c.Manifests, Stdin: s.In, DefaultNamespace: c.DefaultNamespace,
			Now: time.Now().UTC().Truncate(time.Second),
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
