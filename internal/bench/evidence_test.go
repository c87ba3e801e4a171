package bench

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/report"
	"github.com/tilsyn/tilsyn/signature"
)

var (
	refOnce   sync.Once
	refReport *report.Report
	refErr    error
)

// referenceReport audits the 1x synthetic cluster once per process.
func referenceReport(b *testing.B) *report.Report {
	b.Helper()
	dir := clusterDir(b, 1)
	e := engine(b)
	refOnce.Do(func() {
		s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: now})
		if err != nil {
			refErr = err
			return
		}
		res, err := e.Evaluate(context.Background(), s, now)
		if err != nil {
			refErr = err
			return
		}
		refReport, refErr = report.Build(s, res, report.Options{ToolVersion: "bench"})
	})
	if refErr != nil {
		b.Fatal(refErr)
	}
	return refReport
}

// BenchmarkPDF renders the PDF of the reference cluster's report (the
// audit itself is not timed). B/op bounds the extra memory rendering takes.
func BenchmarkPDF(b *testing.B) {
	rep := referenceReport(b)
	if _, err := report.Marshal(rep); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := report.WritePDF(&buf, rep, report.PDFOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(buf.Len())/(1<<10), "pdf-KiB")
	}
}

// report50MiB is a sealed report of just over 50 MiB: the reference
// report with its mTLS inventory repeated.
func report50MiB(b *testing.B) *report.Report {
	b.Helper()
	rep := *referenceReport(b)
	rows := rep.Inventory.MTLS
	size := func(n int) int {
		r := rep
		r.Inventory.MTLS = grow(rows, n)
		data, err := report.Marshal(&r)
		if err != nil {
			b.Fatal(err)
		}
		return len(data)
	}
	s0, s1 := size(len(rows)), size(2*len(rows))
	perRow := float64(s1-s0) / float64(len(rows))
	rep.Inventory.MTLS = grow(rows, len(rows)+int(float64(50<<20-s0)/perRow)+100)
	return &rep
}

func grow(rows []mesh.Row, n int) []mesh.Row {
	out := make([]mesh.Row, 0, n)
	for len(out) < n {
		out = append(out, rows[:min(len(rows), n-len(out))]...)
	}
	return out
}

// BenchmarkSignVerify50MiB signs a 50 MiB report and verifies it: the
// signature, and the report's own digest.
func BenchmarkSignVerify50MiB(b *testing.B) {
	data, err := report.Marshal(report50MiB(b))
	if err != nil {
		b.Fatal(err)
	}
	if len(data) < 50<<20 {
		b.Fatalf("the report is %d bytes, want at least 50 MiB", len(data))
	}
	pub, priv, err := signature.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sig, err := signature.Sign(priv, "tilsyn-report.json", data)
		if err != nil {
			b.Fatal(err)
		}
		if err := signature.Verify(pub, sig, data); err != nil {
			b.Fatal(err)
		}
		recorded, computed, err := report.BodyDigest(data)
		if err != nil || recorded != computed {
			b.Fatalf("digest: %v %s %s", err, recorded, computed)
		}
	}
	b.ReportMetric(float64(len(data))/(1<<20), "report-MiB")
}

// BenchmarkSeal50MiB is the cost of writing (encoding and sealing) a
// 50 MiB report, for comparison.
func BenchmarkSeal50MiB(b *testing.B) {
	rep := report50MiB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := report.WriteJSON(io.Discard, rep); err != nil {
			b.Fatal(err)
		}
	}
}
