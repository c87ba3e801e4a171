package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/profile"
)

const policiesUsage = `Usage: tilsyn policies list [--policy DIR]... [--output text|json]
       tilsyn policies test [DIR]...

list shows every control (built-in and from --policy directories) with its
severity, title and GDPR articles. test runs the Rego unit tests of the
built-in policies and of the given directories.`

const policiesExamples = `  tilsyn policies list
  tilsyn policies list --policy ./our-policies --output json
  tilsyn policies test ./our-policies`

func runPolicies(ctx context.Context, s Streams, args []string) error {
	var dirs []string
	var output string
	fs := newFlagSet("policies", policiesUsage, policiesExamples, s.Out)
	fs.StringArrayVar(&dirs, "policy", nil, "directory of extra Rego policies; repeatable")
	fs.StringVar(&output, "output", "text", "list output: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usagef("policies: want a subcommand: list or test")
	}
	switch rest[0] {
	case "list":
		if len(rest) > 1 {
			return usagef("policies list takes no arguments (use --policy DIR)")
		}
		return listPolicies(ctx, s.Out, dirs, output)
	case "test":
		return testPolicies(ctx, s.Out, append(dirs, rest[1:]...))
	default:
		return usagef("policies: unknown subcommand %q (want list or test)", rest[0])
	}
}

func listPolicies(ctx context.Context, w io.Writer, dirs []string, output string) error {
	prof, profJSON, err := profile.Load(profile.Default)
	if err != nil {
		return err
	}
	e, err := evaluate.New(ctx, evaluate.Options{PolicyDirs: dirs, Profile: prof, ProfileJSON: profJSON})
	if err != nil {
		return err
	}
	controls := e.Controls()
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(controls)
	case "text":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tGDPR ARTICLES")
		for _, c := range controls {
			title := c.Title
			if !c.Builtin {
				title += " (" + c.File + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Severity, title, strings.Join(c.Articles, ", "))
		}
		return tw.Flush()
	default:
		return usagef("--output %q: want text or json", output)
	}
}

func testPolicies(ctx context.Context, w io.Writer, dirs []string) error {
	srcs, err := evaluate.LoadSources(dirs)
	if err != nil {
		return err
	}
	results, err := evaluate.RunTests(ctx, srcs)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		status := "PASS"
		if !r.Pass {
			status = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "%s  %s.%s  (%s:%d)\n", status, r.Package, r.Name, r.File, r.Line)
		if r.Error != "" {
			fmt.Fprintf(w, "      %s\n", r.Error)
		}
	}
	fmt.Fprintf(w, "%d tests, %d passed, %d failed\n", len(results), len(results)-failed, failed)
	if failed > 0 {
		return &exitError{code: ExitFail, msg: fmt.Sprintf("tilsyn: %d policy tests failed", failed)}
	}
	return nil
}
