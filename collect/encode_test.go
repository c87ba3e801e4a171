package collect

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reference is what encoding/json writes for a snapshot (HTML escaping off).
func reference(t *testing.T, s *Snapshot) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func encoded(t *testing.T, s *Snapshot) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	s, err := FromManifests(ManifestOptions{Paths: []string{"../testdata/examples/nordic-fintech"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(reference(t, s), encoded(t, s)); diff != "" {
		t.Errorf("canonical encoding differs from encoding/json:\n%s", diff)
	}
}

func TestEncodeStrings(t *testing.T) {
	tricky := []string{"", "plain", `quote " and \ backslash`, "nl\nret\rtab\t", "\b\f\x00\x01\x1f\x7f",
		"<html> & 'x'", "æøå ÆØÅ é", "\u2028\u2029", "bad \xff utf8 \xc3", "emoji 🙂", strings.Repeat("x", 100000)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		b := make([]byte, r.IntN(40))
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		tricky = append(tricky, string(b))
	}
	for _, str := range tricky {
		s := New(Source{Type: "manifests"}, now)
		s.Resources[ConfigMaps] = []Object{{"kind": "ConfigMap", "metadata": map[string]any{"name": str, str: []any{str, json.Number("1.5e3"), true, nil}}}}
		if got, want := encoded(t, s), reference(t, s); got != want {
			t.Fatalf("string %q:\n got %s\nwant %s", str, got, want)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	s, err := FromManifests(ManifestOptions{Paths: []string{"../testdata/examples/nordic-fintech"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	first := encoded(t, s)
	back, err := DecodeSnapshot("x", []byte(first))
	if err != nil {
		t.Fatal(err)
	}
	if second := encoded(t, back); second != first {
		t.Error("decode then encode changes the bytes")
	}
}

// Objects kept as their encodings (a live collection for a file) are
// written exactly as the decoded objects.
func TestEncodeFromRaw(t *testing.T) {
	s, err := FromManifests(ManifestOptions{Paths: []string{"../testdata/examples/nordic-fintech"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s.Resources[ConfigMaps] = append(s.Resources[ConfigMaps], Object{"kind": "ConfigMap",
		"metadata": map[string]any{"name": "x <y> & \u2028"}, "data": map[string]any{"n": json.Number("1.50"), "l": []any{}, "m": map[string]any{}}})
	raw := map[string][]rawObject{}
	for k, objs := range s.Resources {
		raw[k] = []rawObject{}
		for _, o := range objs {
			r, err := toRaw(o)
			if err != nil {
				t.Fatal(err)
			}
			raw[k] = append(raw[k], r)
		}
	}
	var b bytes.Buffer
	if err := s.encode(&b, raw); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(encoded(t, s), b.String()); diff != "" {
		t.Errorf("encoding from raw objects differs (-decoded +raw):\n%s", diff)
	}
}
