package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// decodeYAML parses a YAML stream document by document, strictly (a
// duplicate key is an error), as the collector's YAML path would.
func decodeYAML(t testing.TB, data []byte) []any {
	t.Helper()
	var out []any
	for i, text := range strings.Split(strings.TrimPrefix(string(data), "---\n"), "\n---\n") {
		var v any
		if err := yaml.UnmarshalStrict([]byte(text), &v); err != nil {
			t.Fatalf("YAML document %d: %v\n%s", i+1, err, text)
		}
		out = append(out, v)
	}
	return out
}

// decodeJSON parses a stream of JSON objects, one per line.
func decodeJSON(t testing.TB, data []byte) []any {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatal("JSON stream does not end with a newline")
	}
	var out []any
	for i, line := range bytes.Split(data[:len(data)-1], []byte("\n")) {
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("JSON line %d: %v\n%s", i+1, err, line)
		}
		out = append(out, v)
	}
	return out
}

func generateFormat(t testing.TB, c Config, format string) ([]byte, int) {
	t.Helper()
	c.Format = format
	return generate(t, c)
}

// TestFormatsAgree checks that YAML and JSON describe the same objects.
func TestFormatsAgree(t *testing.T) {
	for _, c := range []Config{
		small,
		{Namespaces: 1, PeerAuthentications: 1},
		{Namespaces: 3, Controllers: 2, Pods: 7, PersistentVolumes: 3, PeerAuthentications: 2, DestinationRules: 1, ServiceEntries: 1, Seed: 9},
	} {
		y, ny := generateFormat(t, c, FormatYAML)
		j, nj := generateFormat(t, c, FormatJSON)
		fromYAML, fromJSON := decodeYAML(t, y), decodeJSON(t, j)
		if ny != nj || ny != len(fromYAML) || nj != len(fromJSON) {
			t.Fatalf("%+v: %d YAML documents (%d reported), %d JSON lines (%d reported)", c, len(fromYAML), ny, len(fromJSON), nj)
		}
		if diff := cmp.Diff(fromYAML, fromJSON); diff != "" {
			t.Errorf("%+v: YAML and JSON differ (-yaml +json):\n%s", c, diff)
		}
	}
	def, _ := generateFormat(t, small, "")
	if y, _ := generateFormat(t, small, FormatYAML); !bytes.Equal(def, y) {
		t.Error("the default format is not YAML")
	}
	if _, err := Write(io.Discard, Config{Format: "toml"}); err == nil {
		t.Error("an unknown format is accepted")
	}
}

// TestJSONKeyOrder checks that every JSON object has its keys in the order
// kubectl prints them (sorted) and none twice.
func TestJSONKeyOrder(t *testing.T) {
	data, _ := generateFormat(t, small, FormatJSON)
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if err := checkKeyOrder(json.NewDecoder(bytes.NewReader(line))); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
	}
}

// checkKeyOrder reads one JSON value from dec and reports an object whose
// keys are not strictly increasing.
func checkKeyOrder(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		prev := ""
		for n := 0; dec.More(); n++ {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			if key := k.(string); n > 0 && key <= prev {
				return fmt.Errorf("key %q after %q", key, prev)
			} else {
				prev = key
			}
			if err := checkKeyOrder(dec); err != nil {
				return fmt.Errorf("%s: %w", prev, err)
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if err := checkKeyOrder(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	return err
}

// trickyStrings need escaping or quoting in at least one of the formats.
var trickyStrings = []string{
	"", "plain", "true", "False", "null", "~", "y", "0x1f", "1e5", "8080", "1.5", "10.0.16.4", "2025-01-06",
	"1:20", "a:", "a: b", "- item", "? key", "#comment", "a #b", "*alias", "&anchor", "!tag", "%dir", "@at", "`tick",
	"{}", "[]", "{a: b}", "'single'", `"double"`, `back\slash`, " leading", "trailing ", "tab\there",
	"line\nbreak", "ends with newline\n", "two newlines\n\n", "\n", "cr\rlf", "nul\x00byte", "bell\a", "del\x7f",
	"\b\f", "<html> & co", "é ü ß", "日本語", "emoji 🎉", "line\u2028sep", "para\u2029sep", "nel\u0085", "bom\ufeff",
	"c1\u0080\u009f", "nonchar\uffff", "\ufffd", "bad\xffutf8", "trunc\xe2\x82", "surrogate\xed\xa0\x80",
	"--- marker", "...", "a\n---\nb", "key: value\nother: {}\n", "  indented\nlines\n",
}

// TestJSONString checks appendJSON against encoding/json (HTML escaping
// off), on fixed and random strings.
func TestJSONString(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := append([]string(nil), trickyStrings...)
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := string(appendJSON(nil, s)); got != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("appendJSON(%q) = %s, want %s", s, got, want.String())
		}
	}
}

// TestStringsRoundTrip writes every tricky string as a value, a key and a
// multi-line text in both formats, and checks both read back as what
// encoding/json makes of the string (invalid UTF-8 becomes U+FFFD).
func TestStringsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := append([]string(nil), trickyStrings...)
	const alphabet = " \n\t\"'\\:#-?{}[],&*!|>%@`a1é\x00\xff"
	for range 500 {
		b := make([]byte, 1+rng.IntN(10))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		var want any
		if err := json.Unmarshal(appendJSON(nil, s), &want); err != nil {
			t.Fatal(err)
		}
		var docs [2][]byte
		for k, asJSON := range []bool{false, true} {
			var buf bytes.Buffer
			g := &gen{json: asJSON, out: &buf}
			g.begin()
			g.m("key")
			g.str(s, "value")
			g.up()
			g.strs("list", s, s)
			g.str("string", s)
			g.text("text", s)
			g.end()
			docs[k] = buf.Bytes()
		}
		if err := checkYAML(strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(docs[0]), "---\n"), "\n"), "\n")); err != nil {
			t.Errorf("%q: %v\n%s", s, err, docs[0])
		}
		fromYAML, fromJSON := decodeYAML(t, docs[0]), decodeJSON(t, docs[1])
		w := want.(string)
		expect := []any{map[string]any{"key": map[string]any{w: "value"}, "list": []any{w, w}, "string": w, "text": w}}
		if diff := cmp.Diff(expect, fromYAML); diff != "" {
			t.Errorf("%q in YAML (-want +got):\n%s\n%s", s, diff, docs[0])
		}
		if diff := cmp.Diff(expect, fromJSON); diff != "" {
			t.Errorf("%q in JSON (-want +got):\n%s\n%s", s, diff, docs[1])
		}
	}
}

// TestEmptyCollections checks the {} and [] forms in both formats.
func TestEmptyCollections(t *testing.T) {
	want := map[string]any{"a": map[string]any{}, "b": []any{}, "c": []any{map[string]any{}}, "d": map[string]any{"e": map[string]any{"f": map[string]any{}}}}
	for _, asJSON := range []bool{false, true} {
		var buf bytes.Buffer
		g := &gen{json: asJSON, out: &buf}
		g.begin()
		g.empty("a")
		g.l("b")
		g.up()
		g.l("c")
		g.item()
		g.up()
		g.up()
		g.m("d")
		g.leaf("e", "f")
		g.up()
		g.end()
		var got []any
		if asJSON {
			got = decodeJSON(t, buf.Bytes())
		} else {
			got = decodeYAML(t, buf.Bytes())
		}
		if diff := cmp.Diff([]any{want}, got); diff != "" {
			t.Errorf("json %v (-want +got):\n%s\n%s", asJSON, diff, buf.Bytes())
		}
	}
}
