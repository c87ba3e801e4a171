package mesh

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
)

// TestResolveShared: remembering what is decoded by object identity
// changes nothing in the results, the first time or the next.
func TestResolveShared(t *testing.T) {
	for _, name := range []string{"nordic-fintech", "compliant"} {
		s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{filepath.Join("..", "testdata", "examples", name)},
			Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		want := resultJSON(t, Resolve)(s)
		for i := 0; i < 2; i++ {
			if diff := cmp.Diff(want, resultJSON(t, ResolveShared)(s)); diff != "" {
				t.Errorf("%s, pass %d: ResolveShared differs from Resolve (-want +got):\n%s", name, i, diff)
			}
		}
	}
}

func resultJSON(t *testing.T, f func(*collect.Snapshot) (*Result, error)) func(*collect.Snapshot) string {
	return func(s *collect.Snapshot) string {
		t.Helper()
		r, err := f(s)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.MarshalIndent(struct {
			Workloads, Rows, PeerAuthentication, DestinationRules any
		}{r.Workloads, r.Rows, r.PeerAuthentication, r.DestinationRules}, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(js)
	}
}
