package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/version"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/report"
	"github.com/tilsyn/tilsyn/signature"
	"github.com/tilsyn/tilsyn/waiver"
)

const verifyUsage = `Usage: tilsyn verify REPORT.json [flags]

Check that audit evidence is intact and reproducible:
  - the report's own digest (integrity.reportSHA256) matches its bytes;
  - with --key, REPORT.json.sig and the PDF's .sig are valid signatures by
    that key (without --key, signatures are not checked);
  - the PDF beside the report (same name, .pdf) is the rendering of the
    report, byte for byte (when made by this version of tilsyn);
  - with the snapshot (--snapshot, or tilsyn-snapshot.json beside the
    report), its digest matches, the policies and profile in use have the
    digests the report records, and evaluating the snapshot again at the
    report's audit time gives the same report, byte for byte.

Re-evaluation uses the built-in policies plus the --policy directories and
the --profile given (default: the report's profile, when it is built in),
and the --waivers file given (default: the file the report names); they
must reproduce the policy, profile and waiver digests the report records.
Exit code 0 when every check passes, 1 when one fails, 2 on bad input.`

const verifyExamples = `  tilsyn verify evidence/tilsyn-report.json --key audit.pub
  tilsyn verify evidence/tilsyn-report.json --key audit.pub --snapshot evidence/tilsyn-snapshot.json --policy ./our-policies`

type verifyConfig struct {
	Report     string
	Key        string
	Snapshot   string
	PDF        string
	PolicyDirs []string
	Profile    string
	Waivers    string
}

func parseVerifyFlags(args []string, out io.Writer) (verifyConfig, error) {
	var c verifyConfig
	fs := newFlagSet("verify", verifyUsage, verifyExamples, out)
	fs.StringVar(&c.Key, "key", "", "public key (from 'tilsyn keygen') that must have signed the report and the PDF")
	fs.StringVar(&c.Snapshot, "snapshot", "", "the audited snapshot (default: "+SnapshotName+" beside the report, if present)")
	fs.StringVar(&c.PDF, "pdf", "", "the PDF to check (default: the report's name with .pdf, if present)")
	fs.StringArrayVar(&c.PolicyDirs, "policy", nil, "a --policy directory the audit used; repeatable, in the same order")
	fs.StringVar(&c.Profile, "profile", "", "the profile the audit used, name or file (default: the report's profile)")
	fs.StringVar(&c.Waivers, "waivers", "", "the waiver file the audit used (default: the file the report names, metadata.waivers)")
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if fs.NArg() != 1 {
		return c, usagef("verify: want one report, REPORT.json")
	}
	c.Report = fs.Arg(0)
	return c, nil
}

// verifier prints one line per check and counts the failures.
type verifier struct {
	out     io.Writer
	failed  []string
	skipped int
}

func (v *verifier) ok(format string, args ...any) {
	fmt.Fprintf(v.out, "ok    %s\n", fmt.Sprintf(format, args...))
}

func (v *verifier) skip(format string, args ...any) {
	v.skipped++
	fmt.Fprintf(v.out, "skip  %s\n", fmt.Sprintf(format, args...))
}

func (v *verifier) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	v.failed = append(v.failed, msg)
	fmt.Fprintf(v.out, "FAIL  %s\n", msg)
}

func runVerify(ctx context.Context, s Streams, args []string) error {
	c, err := parseVerifyFlags(args, s.Out)
	if err != nil {
		return err
	}
	var key ed25519.PublicKey
	if c.Key != "" {
		if key, err = signature.ReadPublicKey(c.Key); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(c.Report)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	v := &verifier{out: s.Out}

	recorded, computed, err := report.BodyDigest(data)
	switch {
	case err != nil:
		if ierr := report.Identify(c.Report, data); ierr != nil {
			return ierr // not a report at all
		}
		v.fail("report digest: %s: %v", c.Report, err)
	case recorded == computed:
		v.ok("report digest: %s matches integrity.reportSHA256", computed)
	default:
		v.fail("report digest: %s records %s but its bytes hash to %s: the report was modified after it was written", c.Report, recorded, computed)
	}
	v.checkSignature(c.Report, data, key)
	if err := report.Identify(c.Report, data); err != nil {
		if len(v.failed) == 0 {
			return err
		}
		v.fail("%v", err) // modified so much it no longer reads as a report
		return v.result()
	}

	// The other checks need the report decoded, which for a large report
	// costs more than everything above: only decode it when they run.
	pdf, snap := v.pdfPath(c), v.snapshotPath(c)
	if pdf == "" && snap == "" {
		return v.result()
	}
	rep, err := report.DecodeJSON(c.Report, data)
	if err != nil {
		if len(v.failed) > 0 {
			return v.result()
		}
		return err
	}
	if pdf != "" {
		if err := v.checkPDF(c, pdf, rep, key); err != nil {
			return err
		}
	}
	if snap != "" {
		if err := v.checkSnapshot(ctx, c, snap, rep, data); err != nil {
			return err
		}
	}
	return v.result()
}

// pdfPath is the PDF to check: --pdf, or the one beside the report.
func (v *verifier) pdfPath(c verifyConfig) string {
	if c.PDF != "" {
		return c.PDF
	}
	path := strings.TrimSuffix(c.Report, filepath.Ext(c.Report)) + ".pdf"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		v.skip("PDF: none beside the report (%s)", path)
		return ""
	}
	return path
}

// snapshotPath is the snapshot to re-evaluate: --snapshot, or the one
// beside the report.
func (v *verifier) snapshotPath(c verifyConfig) string {
	if c.Snapshot != "" {
		return c.Snapshot
	}
	path := filepath.Join(filepath.Dir(c.Report), SnapshotName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		v.skip("snapshot: none given and no %s beside the report; the evaluation was not re-run", SnapshotName)
		return ""
	}
	return path
}

func (v *verifier) result() error {
	if len(v.failed) > 0 {
		return &exitError{code: ExitFail, msg: fmt.Sprintf("verification FAILED: %d check(s) failed", len(v.failed))}
	}
	if v.skipped > 0 {
		fmt.Fprintf(v.out, "verified: every check that ran passed; %d skipped (see above)\n", v.skipped)
	} else {
		fmt.Fprintln(v.out, "verified: every check passed")
	}
	return nil
}

// checkSignature checks path's detached signature.
func (v *verifier) checkSignature(path string, data []byte, key ed25519.PublicKey) {
	sigPath := path + signature.Ext
	sig, err := os.ReadFile(sigPath)
	switch {
	case errors.Is(err, os.ErrNotExist) && key == nil:
		v.skip("signature of %s: not signed (no %s)", path, sigPath)
	case errors.Is(err, os.ErrNotExist):
		v.fail("signature of %s: no signature file %s, but --key asks for one", path, sigPath)
	case err != nil:
		v.fail("signature of %s: %v", path, err)
	case key == nil:
		v.skip("signature of %s: %s present but not checked; give --key PUB to check who signed it", path, sigPath)
	default:
		if err := signature.Verify(key, sig, data); err != nil {
			v.fail("signature of %s: %v", path, err)
		} else {
			v.ok("signature of %s: valid, key %s", path, signature.KeyID(key))
		}
	}
}

// checkPDF checks the PDF's signature and that it renders from the report.
func (v *verifier) checkPDF(c verifyConfig, path string, rep *report.Report, key ed25519.PublicKey) error {
	pdf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("PDF: %w", err)
	}
	v.checkSignature(path, pdf, key)
	if rep.Metadata.ToolVersion != version.Version {
		v.skip("PDF content: the report was made by tilsyn %s, this is %s; only that version renders the same bytes", rep.Metadata.ToolVersion, version.Version)
		return nil
	}
	var again bytes.Buffer
	if err := report.WritePDF(&again, rep, report.PDFOptions{}); err != nil {
		return err
	}
	if bytes.Equal(again.Bytes(), pdf) {
		v.ok("PDF content: %s is the rendering of the report", path)
	} else {
		v.fail("PDF content: %s is not the rendering of %s: one of them was modified, or they come from different audits or tilsyn builds", path, c.Report)
	}
	return nil
}

// checkSnapshot checks the snapshot digest and re-runs the evaluation.
func (v *verifier) checkSnapshot(ctx context.Context, c verifyConfig, path string, rep *report.Report, data []byte) error {
	snapData, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	snap, err := collect.DecodeSnapshot(path, snapData)
	if err != nil {
		v.fail("%v", err)
		return nil
	}
	digest, err := report.SnapshotDigest(snap)
	if err != nil {
		return err
	}
	in := rep.Integrity
	if digest != in.SnapshotSHA256 {
		v.fail("snapshot digest: %s hashes to %s, the report records %s: it is not the audited state", path, digest, in.SnapshotSHA256)
		return nil
	}
	// The digest covers the canonical encoding, which is what tilsyn
	// writes; a file with the same content in other bytes was edited.
	if sum := sha256.Sum256(snapData); hex.EncodeToString(sum[:]) != digest {
		v.fail("snapshot bytes: %s holds the audited state but is not the file tilsyn wrote (it was re-formatted or edited)", path)
	} else {
		v.ok("snapshot digest: %s matches integrity.snapshotSHA256", path)
	}

	profName := c.Profile
	if profName == "" {
		profName = rep.Metadata.Profile
		if _, ok := profile.Builtin(profName); !ok {
			v.fail("re-evaluation: the report's profile %q is not built in; give the profile file with --profile", profName)
			return nil
		}
	}
	prof, profJSON, err := profile.Load(profName)
	if err != nil {
		return err
	}
	waivers, ok := verifyWaivers(v, c, rep)
	if !ok {
		return nil
	}
	engine, err := evaluate.New(ctx, evaluate.Options{PolicyDirs: c.PolicyDirs, Profile: prof, ProfileJSON: profJSON, Waivers: waivers})
	if err != nil {
		return err
	}
	mismatch := false
	if d := engine.PolicyDigest(); d != in.PolicySHA256 {
		v.fail("policy digest: the built-in policies%s hash to %s, the report records %s: give the --policy directories the audit used",
			policyDirsText(c.PolicyDirs), d, in.PolicySHA256)
		mismatch = true
	}
	if sum := sha256.Sum256(profJSON); hex.EncodeToString(sum[:]) != in.ProfileSHA256 {
		v.fail("profile digest: profile %s hashes to %s, the report records %s: give the profile the audit used with --profile",
			profName, hex.EncodeToString(sum[:]), in.ProfileSHA256)
		mismatch = true
	}
	if mismatch {
		return nil
	}
	v.ok("policy and profile digests: match the report (profile %s)", profName)
	res, err := engine.Evaluate(ctx, snap, rep.Metadata.GeneratedAt)
	if err != nil {
		return err
	}
	again, err := report.Build(snap, res, report.Options{ToolVersion: rep.Metadata.ToolVersion, SnapshotDigest: digest})
	if err != nil {
		return err
	}
	out, err := report.Marshal(again)
	if err != nil {
		return err
	}
	if bytes.Equal(out, data) {
		v.ok("re-evaluation: evaluating the snapshot at %s reproduces the report byte for byte", rep.Metadata.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"))
		if rep.Metadata.ToolVersion != version.Version {
			v.skip("re-evaluation ran with tilsyn %s; the report was made by %s", version.Version, rep.Metadata.ToolVersion)
		}
		return nil
	}
	d := report.Diff(rep, again)
	if d.Empty() {
		v.fail("re-evaluation: the controls and findings are the same, but other parts of the report differ (inventory, scope, coverage or metadata)")
	} else {
		var b strings.Builder
		if err := report.WriteDriftText(&b, d); err != nil {
			return err
		}
		v.fail("re-evaluation: evaluating the snapshot gives a different result:\n%s", indent(b.String()))
	}
	return nil
}

// verifyWaivers loads the waiver file an audit used and checks it against
// the digest the report records. The file is given the name the report
// records, so that the re-evaluated report names it the same way. ok is
// false when a check failed.
func verifyWaivers(v *verifier, c verifyConfig, rep *report.Report) (*waiver.Set, bool) {
	want := rep.Integrity.WaiversSHA256
	if want == "" {
		if c.Waivers != "" {
			v.fail("waivers: --waivers %s was given, but the report records that the audit used none", c.Waivers)
			return nil, false
		}
		return nil, true
	}
	path := c.Waivers
	if path == "" {
		path = rep.Metadata.Waivers
	}
	data, err := os.ReadFile(path)
	if err != nil {
		v.fail("waivers: the audit used waivers %s (SHA-256 %s); give that file with --waivers: %v", rep.Metadata.Waivers, want, err)
		return nil, false
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != want {
		v.fail("waivers: %s hashes to %s, the report records %s: give the waiver file the audit used with --waivers",
			path, hex.EncodeToString(sum[:]), want)
		return nil, false
	}
	set, err := waiver.Parse(rep.Metadata.Waivers, data)
	if err != nil {
		v.fail("waivers: %v", err)
		return nil, false
	}
	v.ok("waivers: %s matches integrity.waiversSHA256", path)
	return set, true
}

func policyDirsText(dirs []string) string {
	if len(dirs) == 0 {
		return " (no --policy)"
	}
	return " plus " + strings.Join(dirs, ", ")
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n      ")
}
