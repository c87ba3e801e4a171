package collect

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/internal/synth"
)

// compareYAML decodes data on both paths. When the fast path accepts the
// document, its value must be the reference's, and the reference must not
// fail. It reports whether the fast path accepted.
func compareYAML(t testing.TB, data []byte) bool {
	t.Helper()
	want, wantErr := decodeYAMLReference(data)
	got, ok := decodeYAMLFast(data)
	if !ok {
		return false
	}
	if wantErr != nil {
		t.Fatalf("fast path accepted a document the reference rejects (%v):\n%s", wantErr, data)
	}
	if reflect.DeepEqual(want, got) {
		return true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fast path differs from the reference (-reference +fast):\n%s\ninput:\n%s", diff, data)
	}
	return true
}

// yamlCases are documents the fast path must read (fast) or leave to the
// reference path.
var yamlCases = []struct {
	name string
	in   string
	fast bool
}{
	{"empty", "", true},
	{"blank lines", "\n  \n\n", true},
	{"comment only", "# nothing\n  # here\n", true},
	{"null document", "~\n", true},
	{"top-level scalar", "hello\n", true},
	{"top-level quoted", "'hello'", true},
	{"top-level number", "42", true},
	{"simple mapping", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", true},
	{"no final newline", "a: b", true},
	{"indented document", "  a: 1\n  b: 2\n", true},
	{"nested", "a:\n  b:\n    c: d\n  e: f\ng: h\n", true},
	{"sequence at key column", "a:\n- x\n- y\nb: z\n", true},
	{"sequence indented", "a:\n  - x\n  - y\nb: z\n", true},
	{"compact nested mappings", "containers:\n- name: app\n  image: nginx\n  ports:\n  - containerPort: 80\n    protocol: TCP\n- name: sidecar\n", true},
	{"sequence of sequences", "- - a\n  - b\n- - c\n", true},
	{"deep compact", "- - - a: 1\n      b: 2\n", true},
	{"empty items", "- \n-\n- # c\n-   x\n", true},
	{"item on next line", "-\n  a: 1\n-\n  - b\n", true},
	{"extra spaces after dash", "-   a: 1\n    b: 2\n-  c\n", true},
	{"null values", "a:\nb: ~\nc: null\nd: Null\ne: NULL\nf:   \n", true},
	{"null then key", "a:\n  b:\n  c: 1\n", true},
	{"comments everywhere", "# head\na: 1 # one\n# between\nb: # nested\n  # inside\n  c: 2\n  #  odd\n#\n", true},
	{"hash inside plain", "a: b#c\nd: 'e # f'\nurl: http://x/#frag\n", true},
	{"colons inside plain", "f:metadata:\n  f:name: {}\n  .: {}\nip: ::1\ntime: 12:30:00\nurl: http://example.com:8080/a\n", true},
	{"trailing spaces", "a: b   \nc:   'd'   \n", true},
	{"space before colon", "a  : b\n'c' : d\n", true},
	{"booleans", "a: y\nb: Y\nc: yes\nd: Yes\ne: YES\nf: n\ng: N\nh: no\ni: No\nj: NO\nk: true\nl: True\nm: TRUE\nn2: false\no: False\np: FALSE\nq: on\nr: On\ns: ON\nt: off\nu: Off\nv: OFF\nw: tRUE\nx: yEs\n", true},
	{"integers", "a: 0\nb: -17\nc: +5\nd: 0x1F\ne: 0X1f\nf: 0b101\ng: 017\nh: 0o17\ni: 1_000_000\nj: 09\nk: -0x10\nl: 9223372036854775807\nm: 9223372036854775808\nn: 18446744073709551616\no: -9223372036854775809\np: 0b\nq: 0x\nr: 1__0\ns: _1\nt: '-0'\nu: -0\n", true},
	{"floats", "a: 1.5\nb: -0.0\nc: .5\nd: 1e3\ne: 1E-7\nf: 1.0\ng: 6.02e+23\nh: 1e400\ni: 1.\nj: +.5\nk: 1_0.5\nl: 0.000001\nm: 1e21\nn: 123456789012345678901234567890\no: .e5\np: 1.2.3\nq: 1e\n", true},
	{"special floats as strings", "a: '.inf'\nb: \".nan\"\nc: .iNf\nd: inf\ne: nan\n", true},
	{"infinity value", "a: .inf\n", false},
	{"negative infinity value", "a: -.Inf\n", false},
	{"nan value", "a: .NaN\n", false},
	{"timestamps stay strings", "a: 2025-01-06T08:00:00Z\nb: 2025-01-06\nc: 2001-12-14 21:59:43.10\nd: 2025-13-45\ne: 1234-\n", true},
	{"version-like strings", "a: 1.2.3\nb: 10.0.16.4\nc: 100m\nd: 1Gi\ne: v1\nf: 0.5Gi\ng: 1e3x\nh: 0x1G\n", true},
	{"non-string keys", "9090: a\ntrue: b\nno: c\n1.5: d\n0x10: e\n-1: f\n1e3: g\n.inf: h\n-.inf: i\n.nan: j\n3.14159265358979: k\n", true},
	{"float key beyond float32", "1e100: a\n", true},
	{"keys colliding after conversion", "1e100: a\n.inf: b\n", false},
	{"portLevelMtls", "spec:\n  portLevelMtls:\n    9090:\n      mode: DISABLE\n    8080:\n      mode: STRICT\n", true},
	{"timestamp key", "2025-01-01: a\n", true},
	{"null key", "~: a\n", false},
	{"uint key", "18446744073709551615: a\n", false},
	{"empty key", ": a\n", false},
	{"merge key", "a: &x {b: 1}\nc:\n  <<: *x\n", false},
	{"plain merge key", "<<: a\n", false},
	{"quoted merge key", "'<<': a\n", true},
	{"merge as value", "a: <<\n", true},
	{"duplicate keys", "a: 1\nb: 2\na: 3\n", true},
	{"duplicate quoted and plain", "a: 1\n'a': 2\n", true},
	{"duplicate int and string", "1: a\n'1': b\n", false},
	{"duplicate int forms", "1: a\n0x1: b\n", false},
	{"single quotes", "a: 'it''s'\nb: ''\nc: '  x  '\nd: 'a\"b\\n'\ne: '#x'\n", true},
	{"escaped slash", "a: \"tab\\there\"\nb: \"\\x41\\u00e9\\U0001F600\"\nc: \"\\0\\a\\b\\v\\f\\r\\e\\ \\/\"\nd: \"q\\\"q\\\\\"\ne: \"\\N\\_\\L\\P\"\nf: \"\"\n", false},
	{"double quote escapes", "a: \"tab\\there\"\nb: \"\\x41\\u00e9\\U0001F600\"\nc: \"\\0\\a\\b\\v\\f\\r\\e\\ \"\nd: \"q\\\"q\\\\\"\ne: \"\\N\\_\\L\\P\"\nf: \"\"\ng: \"\\\tx\"\n", true},
	{"json annotation", "a: \"{\\\"k\\\":[\\\"v\\\"],\\\"n\\\":null}\"\n", true},
	{"bad escape", "a: \"\\q\"\n", false},
	{"surrogate escape", "a: \"\\ud800\"\n", false},
	{"quoted keys", "\"a b\": 1\n'c:d': 2\n\"\": 3\n", true},
	{"tab in quoted", "a: \"x\ty\"\nb: 'x\ty'\n", true},
	{"tab in comment", "a: 1 #\tc\n#\tx\n", true},
	{"unicode", "name: café\nemoji: \"😀\"\nk😀: v\n", true},
	{"literal", "a: |\n  line 1\n  line 2\nb: x\n", true},
	{"literal strip", "a: |-\n  line 1\n\n  line 2\n\n\nb: x\n", true},
	{"literal keep", "a: |+\n  line 1\n\n\nb: x\n", true},
	{"literal keep at end", "a: |+\n  line 1\n\n\n", true},
	{"literal more indented", "a: |\n  x\n    y\n  z\n\n   \n  w\n", true},
	{"literal leading blank lines", "a: |\n\n\n  x\n", true},
	{"literal indicator", "a: |2\n    x\n  y\n", true},
	{"literal indicator and chomp", "a: |2-\n   x\n  y\nb: |-1\n  z\n", true},
	{"literal zero indicator", "a: |0\n  x\n", false},
	{"literal with comment", "a: | # text\n  x\n  # not a comment\n# a comment\nb: 1\n", true},
	{"literal in sequence", "- |\n  x\n- >-\n  y\n  z\n- a: |\n    w\n  b: 1\n", true},
	{"literal empty", "a: |\nb: |-\nc: |+\n", true},
	{"literal at end", "a: |\n  x", true},
	{"literal top level", "|\n  x\n  y\n", true},
	{"literal json", "annotations:\n  kubectl.kubernetes.io/last-applied-configuration: |\n    {\"apiVersion\":\"v1\",\"kind\":\"Namespace\"}\n  x: y\n", true},
	{"folded", "a: >\n  one\n  two\n\n  three\n    indented\n  four\nb: >-\n  x\n  y\n", true},
	{"folded keep", "a: >+\n  x\n\n", true},
	{"folded more indented", "a: >\n  x\n   y\n  z\n\n   w\n  v\n", true},
	{"folded first line indented", "a: >\n   x\n  y\n", false},
	{"block scalar bad indent", "a: |\n    x\n  y\n", false},
	{"block scalar on own line", "a:\n  |\n  x\n", true},
	{"tab in block scalar", "a: |\n  x\ty\n  \tz\n", true},
	{"tab indenting block scalar", "a: |\n\tx\n", false},
	{"flow empty", "a: {}\nb: []\nc: { }\nd: [ ]\n- x\n", false},
	{"flow empty ok", "a: {}\nb: []\nc: { }\nd: [ ]\n", true},
	{"flow sequence", "a: [a, b, \"c d\", 'e', 1, 0x10, true, ~, 1.5, -1, a b]\nb: [ x ]\nc: [\"*\"] # c\n", true},
	{"flow sequence in sequence", "- [a, b]\n- []\n", true},
	{"flow nested", "a: [[a], b]\n", false},
	{"flow mapping", "a: {b: c}\n", false},
	{"flow trailing comma", "a: [a, b,]\n", false},
	{"flow multi-line", "a: [a,\n  b]\n", false},
	{"flow colon", "a: [a:b]\n", false},
	{"anchor", "a: &x 1\nb: *x\n", false},
	{"tag", "a: !!str 1\n", false},
	{"complex key", "? a\n: b\n", false},
	{"multi-line plain", "a: b\n  c\n", false},
	{"multi-line plain top", "a\nb\n", false},
	{"multi-line plain after comment", "a: b\n  # c\n  d\n", false},
	{"multi-line quoted", "a: \"b\n  c\"\n", false},
	{"escaped newline", "a: \"b\\\n  c\"\n", false},
	{"tab indentation", "a:\n\tb: c\n", false},
	{"tab after colon", "a:\tb\n", false},
	{"tab in plain", "a: b\tc\n", false},
	{"directive", "%YAML 1.1\n---\na: b\n", false},
	{"document end", "a: b\n...\n", false},
	{"second document", "a: b\n---\nc: d\n", false},
	{"crlf", "a: b\r\nc: d\r\n", false},
	{"bom", "\ufeffa: b\n", false},
	{"control character", "a: \x01\n", false},
	{"nel", "a: b\u0085c\n", false},
	{"invalid utf-8", "a: \xff\n", false},
	{"mapping in value", "a: b: c\n", false},
	{"colon at end of value", "a: b:\n", false},
	{"sequence in value", "a: - b\n", false},
	{"bad indentation", "a:\n    b: 1\n  c: 2\n", false},
	{"bad sequence indentation", "a:\n  - b\n  c: 1\n", false},
	{"sequence after mapping", "a: 1\n- b\n", false},
	{"under-indented sequence", "  - a\n- b\n", false},
	{"scalar then mapping", "a\nb: c\n", false},
	{"unclosed quote", "a: 'b\n", false},
	{"quote then text", "a: 'b' c\n", false},
	{"quote then comment without space", "a: 'b'# c\n", false},
	{"alias key", "*a: b\n", false},
	{"long key", strings.Repeat("k", 1100) + ": v\n", false},
	{"deep nesting", strings.Repeat("- ", 600) + "x\n", false},
	{"reserved indicator", "a: @b\n", false},
	{"backquote", "a: `b`\n", false},
	{"percent value", "a: %b\n", false},
	{"dash values", "a: -\n", false},
	{"dash plain", "a: -b\nb: --flag\nc: '-'\nd: ---\n", true},
	{"question plain", "a: ?b\n?c: d\n", true},
	{"list kind", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n", true},
}

func TestDecodeYAML(t *testing.T) {
	for _, tc := range yamlCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			fast := compareYAML(t, in)
			_, wantErr := decodeYAMLReference(in)
			if fast != tc.fast {
				t.Errorf("fast path accepted = %v, want %v (reference error: %v)", fast, tc.fast, wantErr)
			}
			// decodeYAML fails exactly when, and as, the reference does.
			if _, err := decodeYAML(in); (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("error = %v, want %v", err, wantErr)
			}
		})
	}
}

// TestDecodeYAMLErrorsAreYAMLs checks that malformed documents keep yaml's
// messages, line numbers included.
func TestDecodeYAMLErrorsAreYAMLs(t *testing.T) {
	_, err := decodeYAML([]byte("a: 1\nb: 2\nc: 3\nd: 4\ne: [\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "yaml: line ") {
		t.Fatalf("error = %v, want yaml's own", err)
	}
}

// synthDocuments returns the documents of a synthetic cluster.
func synthDocuments(tb testing.TB, factor float64) ([]document, int) {
	tb.Helper()
	var buf bytes.Buffer
	if _, err := synth.Write(&buf, synth.Scaled(factor)); err != nil {
		tb.Fatal(err)
	}
	return splitDocuments("synth", buf.Bytes()), buf.Len()
}

// exampleDocuments returns the YAML documents of testdata/examples.
func exampleDocuments(tb testing.TB) []document {
	tb.Helper()
	files, err := filepath.Glob("../testdata/examples/*/*.yaml")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no examples: %v", err)
	}
	var docs []document
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, splitDocuments(f, data)...)
	}
	return docs
}

// TestDecodeYAMLCoverage checks that the fast path reads every synthetic
// and example document, with the reference's result.
func TestDecodeYAMLCoverage(t *testing.T) {
	docs, _ := synthDocuments(t, 0.01)
	docs = append(docs, exampleDocuments(t)...)
	for _, d := range docs {
		if !compareYAML(t, d.data) {
			t.Errorf("%s document %d (line %d) took the reference path", d.file, d.index, d.line)
		}
	}
}

// BenchmarkDecodeYAML decodes a synthetic cluster of about 700 objects on
// the reference path and through decodeYAML, and reports the share of
// documents the fast path reads.
func BenchmarkDecodeYAML(b *testing.B) {
	docs, size := synthDocuments(b, 0.01)
	fast := 0
	for _, d := range docs {
		if _, ok := decodeYAMLFast(d.data); ok {
			fast++
		}
	}
	for _, path := range []struct {
		name   string
		decode func([]byte) (any, error)
	}{
		{"reference", decodeYAMLReference},
		{"fast", decodeYAML},
	} {
		b.Run(path.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				for _, d := range docs {
					if _, err := path.decode(d.data); err != nil {
						b.Fatal(err)
					}
				}
			}
			if path.name == "fast" {
				b.ReportMetric(100*float64(fast)/float64(len(docs)), "%fast")
			}
		})
	}
}

// TestYAMLCharsOK checks the word-at-a-time character check against a
// plain loop, with every byte value at every position of a run.
func TestYAMLCharsOK(t *testing.T) {
	simple := func(data []byte) bool {
		if !utf8.Valid(data) {
			return false
		}
		for _, r := range string(data) {
			switch {
			case r == '\t', r == '\n', r >= 0x20 && r < 0x7f:
			case r < 0xa0, r == 0x2028, r == 0x2029, r == 0xfeff, r == 0xfffe, r == 0xffff:
				return false
			}
		}
		return true
	}
	base := []byte("apiVersion: v1\nkind: Pod # é\n")
	for c := range 256 {
		for i := range base {
			data := bytes.Clone(base)
			data[i] = byte(c)
			if got, want := yamlCharsOK(data), simple(data); got != want {
				t.Errorf("yamlCharsOK(%q) = %v, want %v", data, got, want)
			}
		}
	}
	for _, s := range []string{"\u00a0\u0085", "x\u2028", "\ufeffa", "\U0001F600 ok", "\ufffd", "\ufffe", "a\xc3", "\xed\xa0\x80"} {
		if got, want := yamlCharsOK([]byte(s)), simple([]byte(s)); got != want {
			t.Errorf("yamlCharsOK(%q) = %v, want %v", s, got, want)
		}
	}
}
