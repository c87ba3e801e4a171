package cli

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/version"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/report"
	"github.com/tilsyn/tilsyn/waiver"
)

// ReportName is the base name of report files in --out.
const ReportName = "tilsyn-report"

// auditConfig is everything `tilsyn audit` is asked to do.
type auditConfig struct {
	Manifests        []string
	Snapshot         string
	DefaultNamespace string
	PolicyDirs       []string
	Profile          string
	Waivers          string
	Formats          []string
	Out              string
	FailOn           string
	Force            bool
	Now              time.Time
	Quiet            bool
	// Sign is the private key file that signs the evidence files.
	Sign string
	// SaveSnapshot writes the audited snapshot beside the report.
	SaveSnapshot bool
	// Keep > 0 writes each audit into its own folder of Out and keeps the
	// last Keep of them.
	Keep int
	// Live is set when neither manifests nor a snapshot are given.
	Live       bool
	LiveConfig liveConfig
	// Stats prints how long each fact family and control took to stderr;
	// timings never enter the report.
	Stats bool
}

// fileFormats are written as files into --out; text goes to the terminal.
var fileFormats = map[string]string{"json": ".json", "pdf": ".pdf"}

var allFormats = []string{"json", "pdf", "text"}

const auditUsage = `Usage: tilsyn audit [flags] [MANIFEST_PATH...]

Audit Kubernetes manifests (files, directories, or - for stdin), a saved
snapshot, or — when neither is given — the live cluster of the current
kubeconfig context (or of the pod's ServiceAccount when run in a pod)
against the controls, and write the evidence.

With --out DIR, the report files (tilsyn-report.json, tilsyn-report.pdf and,
when asked, their signatures and the snapshot) are written there atomically
and a summary is printed; with --keep N, each audit goes into a folder of
its own, DIR/<UTC time>, DIR/latest points at the newest, and only the last
N are kept. With --out - (the default) one format is written to standard
output: text on a terminal, JSON otherwise.

What a live audit could not read (RBAC, API not served, timeout) is listed
in the report's coverage, and the controls that need it are not assessed.`

const auditExamples = `  # Audit the bundled sample cluster and keep the evidence
  tilsyn audit -f testdata/examples/nordic-fintech --out out/

  # Audit Helm output from stdin, failing only on high and critical findings
  helm template payments ./chart | tilsyn audit -f - --fail-on high

  # Keep the snapshot and sign the evidence, for 'tilsyn verify'
  tilsyn audit -f k8s/ --out evidence/ --save-snapshot --sign tilsyn.key

  # Re-audit a saved snapshot as of a fixed time, with extra policies
  tilsyn audit --snapshot snapshot.json --policy ./our-policies --now 2026-01-31T00:00:00Z --format json

  # Audit the live cluster of a kubeconfig context, two namespaces only
  tilsyn audit --context prod-oslo -n payments,ledger --out evidence/

  # In a CronJob: the pod's ServiceAccount, one folder per run, last 30 kept
  tilsyn audit --in-cluster --out /evidence --keep 30

  # Your own profile and the waivers your DPO approved; show the slowest rules
  tilsyn audit -f k8s/ --profile our-profile.yaml --waivers waivers.yaml --stats`

// parseAuditFlags turns arguments into an auditConfig. stdoutTTY decides
// the default format.
func parseAuditFlags(args []string, out io.Writer, stdoutTTY bool) (auditConfig, error) {
	var c auditConfig
	var formats, now string
	fs := newFlagSet("audit", auditUsage, auditExamples, out)
	fs.StringArrayVarP(&c.Manifests, "manifests", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	fs.StringVar(&c.Snapshot, "snapshot", "", "audit a snapshot saved by 'tilsyn collect'")
	fs.StringVar(&c.DefaultNamespace, "default-namespace", "default", "namespace of manifest objects that name none")
	fs.StringArrayVar(&c.PolicyDirs, "policy", nil, "directory of extra Rego policies (same METADATA convention); repeatable")
	fs.StringVar(&c.Profile, "profile", profile.Default, "built-in profile name ("+strings.Join(profile.Names(), ", ")+") or profile YAML file")
	fs.StringVar(&c.Waivers, "waivers", "", "YAML file of auditor-approved waivers (kind WaiverList)")
	fs.StringVar(&formats, "format", "", "comma-separated output formats: "+strings.Join(allFormats, ", ")+" (default: json,pdf,text with --out DIR; text on a terminal, else json)")
	fs.StringVarP(&c.Out, "out", "o", "-", "output directory, or - for standard output")
	fs.StringVar(&c.FailOn, "fail-on", "low", "exit 1 when a finding has this severity or higher: "+strings.Join(evaluate.Severities, ", "))
	fs.BoolVar(&c.Force, "force", false, "replace existing report files in --out")
	fs.StringVar(&now, "now", "", "evaluate as of this RFC 3339 time instead of the current time (reproducible reports)")
	fs.IntVar(&c.Keep, "keep", 0, "with --out DIR: write each audit into DIR/<UTC time>/, point DIR/latest at it, keep the last N")
	fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print nothing but errors")
	fs.StringVar(&c.Sign, "sign", "", "Ed25519 private key (from 'tilsyn keygen'): write a detached signature beside each report file")
	fs.BoolVar(&c.SaveSnapshot, "save-snapshot", false, "also write the audited snapshot ("+SnapshotName+") into --out, for 'tilsyn verify'")
	fs.BoolVar(&c.Stats, "stats", false, "print the time each fact family and control took to standard error, slowest first")
	addLiveFlags(fs, &c.LiveConfig)
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	c.Manifests = append(c.Manifests, fs.Args()...)
	if len(c.Manifests) > 0 && c.Snapshot != "" {
		return c, usagef("give either manifests or --snapshot, not both")
	}
	c.Live = len(c.Manifests) == 0 && c.Snapshot == ""
	if err := checkLive(fs, c.LiveConfig, c.Live); err != nil {
		return c, err
	}
	switch {
	case c.Keep < 0:
		return c, usagef("--keep %d: want the number of audits to keep, 1 or more", c.Keep)
	case c.Keep > 0 && c.Out == "-":
		return c, usagef("--keep needs --out DIR: it keeps audit folders in a directory")
	}
	if evaluate.SeverityRank(c.FailOn) < 0 {
		return c, usagef("--fail-on %q: want one of %s", c.FailOn, strings.Join(evaluate.Severities, ", "))
	}
	c.Now = time.Now().UTC().Truncate(time.Second)
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return c, usagef("--now %q: want an RFC 3339 time such as 2026-01-31T12:00:00Z", now)
		}
		c.Now = t.UTC()
	}
	switch {
	case formats != "":
		for _, f := range strings.Split(formats, ",") {
			f = strings.TrimSpace(f)
			if !slices.Contains(allFormats, f) {
				return c, usagef("--format %q: want one or more of %s", f, strings.Join(allFormats, ", "))
			}
			if !slices.Contains(c.Formats, f) {
				c.Formats = append(c.Formats, f)
			}
		}
	case c.Out != "-":
		c.Formats = []string{"json", "pdf", "text"}
	case stdoutTTY:
		c.Formats = []string{"text"}
	default:
		c.Formats = []string{"json"}
	}
	if c.Out == "-" && len(c.Formats) > 1 {
		return c, usagef("--out - writes one format to standard output; use --out DIR for %s", strings.Join(c.Formats, ","))
	}
	if err := checkEvidenceFlags(c, stdoutTTY); err != nil {
		return c, err
	}
	return c, nil
}

func runAudit(ctx context.Context, s Streams, args []string) error {
	tty := isTerminal(s.Out)
	c, err := parseAuditFlags(args, s.Out, tty)
	if err != nil {
		return err
	}
	key, err := loadSigningKey(c)
	if err != nil {
		return err
	}
	snap, rep, err := audit(ctx, c, s)
	if err != nil {
		return err
	}
	if err := writeReport(c, snap, rep, key, s, tty); err != nil {
		return err
	}
	return verdictExit(rep, c.FailOn)
}

// audit collects, evaluates and builds the report. Nothing is written.
func audit(ctx context.Context, c auditConfig, s Streams) (*collect.Snapshot, *report.Report, error) {
	prof, profJSON, err := profile.Load(c.Profile)
	if err != nil {
		return nil, nil, err
	}
	var waivers *waiver.Set
	if c.Waivers != "" {
		if waivers, err = waiver.Load(c.Waivers); err != nil {
			return nil, nil, err
		}
	}
	engine, err := evaluate.New(ctx, evaluate.Options{PolicyDirs: c.PolicyDirs, Profile: prof, ProfileJSON: profJSON, Waivers: waivers})
	if err != nil {
		return nil, nil, err
	}
	snap, err := loadSnapshot(ctx, c, s)
	if err != nil {
		return nil, nil, err
	}
	rep, err := evaluateSnapshot(ctx, engine, snap, c.Now, statsTo(c, s))
	return snap, rep, err
}

// evaluateSnapshot evaluates a snapshot at now and builds its report;
// stats, when not nil, is given the results first (timings never enter the
// report).
func evaluateSnapshot(ctx context.Context, engine *evaluate.Engine, snap *collect.Snapshot, now time.Time, stats func(*evaluate.Results)) (*report.Report, error) {
	return report.Evaluate(ctx, engine, snap, now, report.Options{ToolVersion: version.Version, Results: stats})
}

// statsTo returns the --stats printer, nil without --stats.
func statsTo(c auditConfig, s Streams) func(*evaluate.Results) {
	if !c.Stats {
		return nil
	}
	return func(res *evaluate.Results) { writeStats(s.Err, res) }
}

func loadSnapshot(ctx context.Context, c auditConfig, s Streams) (*collect.Snapshot, error) {
	if c.Live {
		return collectLive(ctx, c.LiveConfig, s, c.Quiet)
	}
	if c.Snapshot != "" {
		if c.Snapshot == "-" {
			data, err := io.ReadAll(s.In)
			if err != nil {
				return nil, err
			}
			return collect.DecodeSnapshot("<stdin>", data)
		}
		return collect.ReadSnapshot(c.Snapshot)
	}
	return collect.FromManifests(collect.ManifestOptions{
		Paths: c.Manifests, Stdin: s.In, DefaultNamespace: c.DefaultNamespace, Now: c.Now,
	})
}

// writeReport writes the requested formats: files into --out atomically
// (see writeEvidence), text to standard output.
func writeReport(c auditConfig, snap *collect.Snapshot, rep *report.Report, key ed25519.PrivateKey, s Streams, tty bool) error {
	textOpts := report.TextOptions{Color: tty && os.Getenv("NO_COLOR") == ""}
	if c.Out == "-" {
		switch c.Formats[0] {
		case "json":
			return report.WriteJSON(s.Out, rep)
		case "pdf":
			return report.WritePDF(s.Out, rep, report.PDFOptions{})
		default:
			return report.WriteText(s.Out, rep, textOpts)
		}
	}
	dir, written, err := writeEvidence(c, snap, rep, key)
	if err != nil {
		return err
	}
	if slices.Contains(c.Formats, "text") && !c.Quiet {
		if err := report.WriteText(s.Out, rep, textOpts); err != nil {
			return err
		}
		for _, name := range written {
			fmt.Fprintf(s.Out, "Evidence written to %s\n", filepath.Join(dir, name))
		}
	}
	return nil
}

// verdictExit decides the exit code of an audit: 1 when a control fails at
// or above the --fail-on severity, 3 when nothing does but something was
// not assessed, 0 otherwise.
func verdictExit(rep *report.Report, failOn string) error {
	switch {
	case rep.FailsAt(failOn):
		return &exitError{code: ExitFail}
	case rep.Summary.Controls.NotAssessed > 0:
		return &exitError{code: ExitNotAssessed}
	}
	return nil
}
