package cli

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/report"
	"github.com/tilsyn/tilsyn/signature"
)

// SnapshotName is the file --save-snapshot writes into --out.
const SnapshotName = "tilsyn-snapshot.json"

// evidenceNames are every file an audit may write into --out; they are
// one set: a file of the set that a run does not write is removed (with
// --force), so that a signature or snapshot of an earlier audit never
// sits beside a newer report.
func evidenceNames() []string {
	var names []string
	for _, ext := range fileFormats {
		names = append(names, ReportName+ext, ReportName+ext+signature.Ext)
	}
	names = append(names, SnapshotName)
	sort.Strings(names)
	return names
}

// checkEvidenceFlags validates the flags about evidence files.
func checkEvidenceFlags(c auditConfig, stdoutTTY bool) error {
	if c.Out == "-" {
		if c.Sign != "" || c.SaveSnapshot {
			return usagef("--sign and --save-snapshot write files: give --out DIR")
		}
		if c.Formats[0] == "pdf" && stdoutTTY {
			return usagef("--format pdf is binary: redirect standard output to a file, or use --out DIR")
		}
		return nil
	}
	if c.Sign != "" && !slices.Contains(c.Formats, "json") && !slices.Contains(c.Formats, "pdf") {
		return usagef("--sign: nothing to sign; --format has neither json nor pdf")
	}
	return nil
}

// loadSigningKey reads the --sign key before anything is evaluated, so a
// bad key fails fast.
func loadSigningKey(c auditConfig) (ed25519.PrivateKey, error) {
	if c.Sign == "" {
		return nil, nil
	}
	return signature.ReadPrivateKey(c.Sign)
}

// writeEvidence writes the report files of c.Formats, their signatures
// (with a key) and the snapshot (with --save-snapshot) into c.Out, all at
// once and atomically; with --keep, into a new folder of c.Out (see
// report.WriteArchive). It returns the directory and the names written.
func writeEvidence(c auditConfig, snap *collect.Snapshot, rep *report.Report, key ed25519.PrivateKey) (string, []string, error) {
	files, err := evidenceFiles(c, snap, rep, key)
	if err != nil || len(files) == 0 {
		return c.Out, nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if c.Keep > 0 {
		dir, err := report.WriteArchive(c.Out, rep.Metadata.GeneratedAt, files, c.Keep)
		return dir, names, err
	}
	return c.Out, names, replaceEvidence(c, files)
}

// evidenceFiles renders the evidence files of an audit.
func evidenceFiles(c auditConfig, snap *collect.Snapshot, rep *report.Report, key ed25519.PrivateKey) (map[string]report.Renderer, error) {
	rendered := map[string][]byte{}
	if slices.Contains(c.Formats, "json") || slices.Contains(c.Formats, "pdf") {
		// Sealing sets integrity.reportSHA256, which the PDF shows.
		data, err := report.Marshal(rep)
		if err != nil {
			return nil, err
		}
		if slices.Contains(c.Formats, "json") {
			rendered[ReportName+".json"] = data
		}
	}
	if slices.Contains(c.Formats, "pdf") {
		var buf bytes.Buffer
		if err := report.WritePDF(&buf, rep, report.PDFOptions{}); err != nil {
			return nil, err
		}
		rendered[ReportName+".pdf"] = buf.Bytes()
	}
	files := map[string]report.Renderer{}
	for name, data := range rendered {
		files[name] = bytesRenderer(data)
		if key != nil {
			sig, err := signature.Sign(key, name, data)
			if err != nil {
				return nil, fmt.Errorf("sign %s: %w", name, err)
			}
			files[name+signature.Ext] = bytesRenderer(sig)
		}
	}
	if c.SaveSnapshot {
		files[SnapshotName] = snap.Encode
	}
	return files, nil
}

// replaceEvidence writes files into c.Out, removing the files of an
// earlier audit's set that this one does not write.
func replaceEvidence(c auditConfig, files map[string]report.Renderer) error {
	var stale []string
	for _, n := range evidenceNames() {
		if _, ok := files[n]; ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(c.Out, n)); err == nil {
			stale = append(stale, filepath.Join(c.Out, n))
		}
	}
	if len(stale) > 0 && !c.Force {
		return fmt.Errorf("%s from an earlier audit would be left beside the new report; use --force to replace the evidence or choose another --out",
			strings.Join(stale, ", "))
	}
	if err := report.WriteFiles(c.Out, files, c.Force); err != nil {
		return err
	}
	for _, p := range stale {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s from an earlier audit: %w", p, err)
		}
	}
	return nil
}

func bytesRenderer(data []byte) report.Renderer {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}
