package collect

import (
	"io"
	"testing"

	"github.com/tilsyn/tilsyn/internal/synth"
)

func BenchmarkEncode(b *testing.B) {
	dir := b.TempDir()
	if _, err := synth.WriteDir(dir, synth.Scaled(0.1)); err != nil {
		b.Fatal(err)
	}
	s, err := FromManifests(ManifestOptions{Paths: []string{dir}, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	var n countingWriter
	if err := s.Encode(&n); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Encode(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
