// Package cli is tilsyn's command line: a map of subcommands, each with its
// own flag set, a config struct parsed from flags, and one function that
// does the work. Exit codes are decided here and nowhere else.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// Exit codes.
const (
	ExitOK          = 0 // every assessed control passes
	ExitFail        = 1 // a control fails at or above --fail-on
	ExitError       = 2 // usage or input error
	ExitNotAssessed = 3 // no failure, but something was not assessed
)

// Streams are the standard streams of a command.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, s Streams, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"audit":      {"audit manifests, a saved snapshot or a live cluster and write evidence", runAudit},
		"collect":    {"collect cluster state into a snapshot file", runCollect},
		"diff":       {"list controls and findings that changed between two reports", runDiff},
		"keygen":     {"make an Ed25519 key pair for signing evidence", runKeygen},
		"node-agent": {"publish this node's kernel settings for RES-01 (run by the DaemonSet)", runNodeAgent},
		"policies":   {"list the controls or run the policies' unit tests", runPolicies},
		"profiles":   {"list the built-in profiles or show the effective one", runProfiles},
		"verify":     {"check a report's digests and signatures, and re-run its evaluation", runVerify},
		"version":    {"print the version", runVersion},
		"webhook":    {"serve an admission webhook that judges changes with the audit's controls", runWebhook},
	}
}

// exitError carries an exit code chosen by a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError marks errors in how tilsyn was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// Main runs tilsyn with arguments (without the program name) and returns
// the process exit code.
func Main(args []string, s Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := Run(ctx, s, args)
	return ExitCode(err, s.Err)
}

// ExitCode maps the error of Run to an exit code, printing it.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		return ee.code
	}
	if errors.Is(err, pflag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintln(stderr, "tilsyn: "+err.Error())
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'tilsyn --help' for usage.")
	}
	return ExitError
}

// Run dispatches to a subcommand.
func Run(ctx context.Context, s Streams, args []string) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			if c, ok := cmds[args[1]]; ok {
				return c.run(ctx, s, []string{"--help"})
			}
		}
		writeUsage(s.Out, cmds)
		if len(args) == 0 {
			return &exitError{code: ExitError}
		}
		return nil
	}
	if args[0] == "--version" {
		return runVersion(ctx, s, nil)
	}
	c, ok := cmds[args[0]]
	if !ok {
		return usagef("unknown command %q", args[0])
	}
	return c.run(ctx, s, args[1:])
}

func writeUsage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprint(w, `tilsyn produces GDPR and Schrems II audit evidence for Kubernetes clusters
running the Istio service mesh: whether personal data is encrypted in transit
and stays where the profile allows.

Usage:
  tilsyn <command> [flags]

Commands:
`)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprint(w, `
Examples:
  tilsyn audit -f testdata/examples/nordic-fintech --out out/
  tilsyn collect -f manifests/ -o snapshot.json && tilsyn audit --snapshot snapshot.json
  tilsyn audit --context prod-oslo --out evidence/    # the live cluster
  tilsyn policies list

Exit codes: 0 compliant, 1 a control fails at or above --fail-on,
2 usage or input error, 3 nothing failed but something was not assessed.
Run 'tilsyn <command> --help' for a command's flags.
`)
}

// newFlagSet returns a flag set whose usage shows the description, flags
// and examples of a command.
func newFlagSet(name, usage, examples string, out io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("tilsyn "+name, pflag.ContinueOnError)
	fs.SetOutput(out)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(out, "%s\n\nFlags:\n%s", strings.TrimSpace(usage), fs.FlagUsages())
		if examples != "" {
			fmt.Fprintf(out, "\nExamples:\n%s\n", strings.TrimRight(examples, "\n"))
		}
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return &usageError{err}
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
