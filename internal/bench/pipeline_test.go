package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/synth"
	"github.com/tilsyn/tilsyn/profile"
	"github.com/tilsyn/tilsyn/report"
)

var scales = []float64{1, 2, 4}

// clusters caches the generated clusters of this process by scale.
var clusters = map[float64]string{}

// clusterDir generates the synthetic cluster at a scale, once per process,
// in a fresh temporary directory (so a changed generator is never
// measured on stale files).
func clusterDir(b *testing.B, scale float64) string {
	b.Helper()
	if dir, ok := clusters[scale]; ok {
		return dir
	}
	dir, err := os.MkdirTemp("", fmt.Sprintf("tilsyn-bench-%gx-", scale))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := synth.WriteDir(dir, synth.Scaled(scale)); err != nil {
		b.Fatal(err)
	}
	clusters[scale] = dir
	return dir
}

func engine(b *testing.B) *evaluate.Engine {
	b.Helper()
	p, js, err := profile.Load(profile.Default)
	if err != nil {
		b.Fatal(err)
	}
	e, err := evaluate.New(context.Background(), evaluate.Options{Profile: p, ProfileJSON: js})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// BenchmarkPipeline is the whole audit: manifests on disk to the JSON
// report on disk.
func BenchmarkPipeline(b *testing.B) {
	for _, scale := range scales {
		b.Run(fmt.Sprintf("%gx", scale), func(b *testing.B) {
			dir := clusterDir(b, scale)
			e := engine(b)
			out := b.TempDir()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: now})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := report.Evaluate(context.Background(), e, s, now, report.Options{ToolVersion: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				err = report.WriteFiles(out, map[string]report.Renderer{"r.json": func(w io.Writer) error { return report.WriteJSON(w, rep) }}, true)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(len(rep.Inventory.MTLS)), "mtls-rows")
			}
		})
	}
}

// BenchmarkEvaluate is evaluation alone (facts, input conversion, every
// control), to show how it grows with cluster size.
func BenchmarkEvaluate(b *testing.B) {
	for _, scale := range scales {
		b.Run(fmt.Sprintf("%gx", scale), func(b *testing.B) {
			s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{clusterDir(b, scale)}, Now: now})
			if err != nil {
				b.Fatal(err)
			}
			e := engine(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(context.Background(), s, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range clusters {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
