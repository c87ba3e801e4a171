package collect

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// FuzzDecodeYAML checks the fast path against the reference on arbitrary
// input: whenever the fast path accepts a document, the reference must
// accept it too and give the same value. The seed corpus in
// testdata/fuzz/FuzzDecodeYAML holds one synthetic document of each kind
// (internal/synth at scale 0.001) and the documents of testdata/examples;
// the table cases of TestDecodeYAML are added here.
//
//	go test ./collect -run '^$' -fuzz FuzzDecodeYAML -fuzztime 5m
func FuzzDecodeYAML(f *testing.F) {
	for _, tc := range yamlCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareYAML(t, data)
	})
}

// TestDecodeYAMLGenerated compares the two paths on random documents
// built from the constructs manifests use, with some noise: odd
// indentation, comments, blank lines, tabs and tricky scalars. Byte-level
// fuzzing rarely builds such documents from scratch.
func TestDecodeYAMLGenerated(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for range n {
		g := &yamlGen{rng: rng}
		g.node(0, 0, true)
		if compareYAML(t, g.b.Bytes()) {
			fast++
		}
	}
	t.Logf("fast path took %d of %d generated documents", fast, n)
	if fast < n/4 {
		t.Errorf("fast path took only %d of %d generated documents", fast, n)
	}
}

// yamlGen writes a random YAML document.
type yamlGen struct {
	rng *rand.Rand
	b   bytes.Buffer
}

var genKeys = []string{
	"a", "b", "name", "f:spec", "f:metadata", ".", "9090", "8080", "true", "y", "no",
	"1.5", "1e100", ".inf", "-1", "0x10", "010", "~", "null", "<<", "a b", "-x",
	"?x", ":x", "'q'", `"d"`, `"a:b"`, "''", "2025-01-01", "a#b", "k ", "x\ty",
	"'q' ", `"\u0041"`, "y ", "-", "a:", "- a", "#x", "[a]", "{}", "!x", "&x", "*x",
}

var genScalars = []string{
	"x", "hello world", "0", "-17", "+5", "0x1F", "0b101", "017", "0o17", "1_000",
	"9223372036854775808", "18446744073709551616", "1.5", "-0.0", ".5", "1e3", "1.",
	"1e400", ".inf", "-.inf", ".nan", "y", "n", "yes", "No", "on", "OFF", "true",
	"False", "~", "null", "NULL", "2025-01-06T08:00:00Z", "10.0.16.4", "100m",
	"v1.2.3", "a#b", "a #b", "a: b", "a:b", "::1", "-", "--x", "-1x", "?", "? x",
	"x\ty", "<<", "'it''s'", `"tab\there"`, `"\x41\u00e9"`, `"\q"`, `"a\"b"`, "''",
	`""`, "{}", "[]", "{ }", "[a, b, 1]", "[\"*\"]", "[a, [b]]", "{a: b}", "[a,]",
	"&x y", "*x", "!!str 1", "|", "|-", "|+", ">", ">-", "|2", "|1-", "|0", "> # c",
	"'multi", `"multi`, "café", "@x", "`x`", "%x", "x # comment", "x #", "'x' #c",
	"|-2", "|+1", ">2-", ">-1", "|9", "|#x", "| #x", "|- # c", "|\t", "--- x", "... x",
}

var genLines = []string{
	"line", "  more", "", " ", "   ", "\tx", "# hash", "a: b", "- item", "{\"k\":1}",
	"x\ty", "trailing  ", " \t", "---", "...",
}

func (g *yamlGen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *yamlGen) indent(n int) {
	if g.rng.IntN(40) == 0 {
		n += g.rng.IntN(3) - 1 // off by one
	}
	for range max(n, 0) {
		g.b.WriteByte(' ')
	}
}

func (g *yamlGen) eol() {
	switch g.rng.IntN(20) {
	case 0:
		g.b.WriteString(" # c")
	case 1:
		g.b.WriteString("  ")
	case 2:
		g.b.WriteString("\n\n")
	case 3:
		g.b.WriteString("\n# comment")
	case 4:
		g.b.WriteByte('\n')
		g.indent(g.rng.IntN(8))
		g.b.WriteString("# comment")
	case 5:
		g.b.WriteByte('\n')
		g.indent(g.rng.IntN(8))
	}
	g.b.WriteByte('\n')
}

// node writes a node at column col; inline means the current line
// already holds a "- " at col.
func (g *yamlGen) node(col, depth int, inline bool) {
	kind := g.rng.IntN(3)
	if depth > 4 {
		kind = 2
	}
	n := 1 + g.rng.IntN(3)
	for i := range n {
		if i > 0 || !inline {
			g.indent(col)
		}
		switch kind {
		case 0: // mapping
			g.b.WriteString(g.pick(genKeys))
			g.b.WriteString(":")
			g.value(col, depth)
		case 1: // sequence
			g.b.WriteString("-")
			if g.rng.IntN(3) == 0 {
				g.eol()
				g.node(col+1+g.rng.IntN(3), depth+1, false)
			} else {
				g.b.WriteString(" ")
				g.node(col+2, depth+1, true)
			}
		default:
			g.scalar(col)
			return
		}
	}
}

// value writes what follows a key's colon in a mapping at column col.
func (g *yamlGen) value(col, depth int) {
	switch g.rng.IntN(5) {
	case 0:
		g.eol()
		g.node(col+1+g.rng.IntN(3), depth+1, false)
	case 1:
		g.eol()
		g.indent(col)
		g.b.WriteString("- ")
		g.node(col+2, depth+1, true)
	case 2:
		g.eol()
	default:
		g.b.WriteString(" ")
		g.scalar(col)
	}
}

// scalar writes a scalar in a collection at column col, with the lines of
// a block scalar when it picks one.
func (g *yamlGen) scalar(col int) {
	s := g.pick(genScalars)
	g.b.WriteString(s)
	g.eol()
	if s[0] != '|' && s[0] != '>' {
		return
	}
	ind := col + 1 + g.rng.IntN(3)
	for range g.rng.IntN(4) {
		if l := g.pick(genLines); l != "" {
			g.indent(ind)
			g.b.WriteString(l)
		}
		g.b.WriteByte('\n')
	}
}
