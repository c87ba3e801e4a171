package cli

import (
	"context"

	"github.com/tilsyn/tilsyn/report"
)

const diffUsage = `Usage: tilsyn diff OLD.json NEW.json [flags]

List the controls and findings that appeared, disappeared or changed
between two audits. Controls are matched by id, findings by control,
resource and field. Exit code 0 when nothing changed, 1 when something
did, 2 on bad input.`

const diffExamples = `  tilsyn diff evidence/2026-10/tilsyn-report.json evidence/2026-11/tilsyn-report.json
  tilsyn diff old.json new.json --output json`

type diffConfig struct {
	Old, New string
	Output   string
}

func parseDiffFlags(args []string, s Streams) (diffConfig, error) {
	var c diffConfig
	fs := newFlagSet("diff", diffUsage, diffExamples, s.Out)
	fs.StringVarP(&c.Output, "output", "o", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if fs.NArg() != 2 {
		return c, usagef("diff: want two reports, OLD.json NEW.json")
	}
	c.Old, c.New = fs.Arg(0), fs.Arg(1)
	if c.Output != "text" && c.Output != "json" {
		return c, usagef("--output %q: want text or json", c.Output)
	}
	return c, nil
}

func runDiff(ctx context.Context, s Streams, args []string) error {
	c, err := parseDiffFlags(args, s)
	if err != nil {
		return err
	}
	old, err := report.ReadJSON(c.Old)
	if err != nil {
		return err
	}
	cur, err := report.ReadJSON(c.New)
	if err != nil {
		return err
	}
	d := report.Diff(old, cur)
	if c.Output == "json" {
		err = report.WriteDriftJSON(s.Out, d)
	} else {
		err = report.WriteDriftText(s.Out, d)
	}
	if err != nil {
		return err
	}
	if !d.Empty() {
		return &exitError{code: ExitFail}
	}
	return nil
}
