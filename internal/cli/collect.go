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
}

const collectUsage = `Usage: tilsyn collect [flags] [MANIFEST_PATH...]

Read cluster state into a snapshot: a JSON file that 'tilsyn audit
--snapshot' audits later, so the evidence can be re-checked against exactly
the state it was built from. managedFields, last-applied annotations and
Secret data are never kept.`

const collectExamples = `  tilsyn collect -f testdata/examples/nordic-fintech -o snapshot.json
  kubectl get deploy,pod,svc,peerauthentication -A -o yaml | tilsyn collect -f - -o snapshot.json`

func parseCollectFlags(args []string, out io.Writer) (collectConfig, error) {
	var c collectConfig
	fs := newFlagSet("collect", collectUsage, collectExamples, out)
	fs.StringArrayVarP(&c.Manifests, "manifests", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	fs.StringVar(&c.DefaultNamespace, "default-namespace", "default", "namespace of manifest objects that name none")
	fs.StringVarP(&c.Output, "output", "o", "-", "snapshot file to write, or - for standard output")
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	c.Manifests = append(c.Manifests, fs.Args()...)
	if len(c.Manifests) == 0 {
		return c, usagef("nothing to collect: give manifests (-f PATH)")
	}
	return c, nil
}

func runCollect(ctx context.Context, s Streams, args []string) error {
	c, err := parseCollectFlags(args, s.Out)
	if err != nil {
		return err
	}
	snap, err := collect.FromManifests(collect.ManifestOptions{
		Paths: c.Manifests, Stdin: s.In, DefaultNamespace: c.DefaultNamespace,
		Now: time.Now().UTC().Truncate(time.Second),
	})
	if err != nil {
		return err
	}
	if c.Output == "-" {
		return snap.Encode(s.Out)
	}
	if err := report.WriteFile(c.Output, snap.Encode, true); err != nil {
		return err
	}
	total := 0
	for _, cov := range snap.Coverage {
		total += cov.Count
	}
	fmt.Fprintf(s.Err, "snapshot written to %s (%d objects)\n", c.Output, total+len(snap.Other))
	return nil
}
