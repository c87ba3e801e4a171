package evaluate

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
)

// viaText is the reference: the value's JSON text, parsed.
func viaText(t *testing.T, v any) ast.Value {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	val, err := ast.ValueFromReader(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return val
}

func sameAsJSON(t *testing.T, name string, v any) {
	t.Helper()
	got, err := toValue(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if want := viaText(t, v); ast.Compare(want, got) != 0 {
		t.Errorf("%s: toValue differs from the JSON encoding:\n want %v\n  got %v", name, want, got)
	}
}

type inner struct {
	A string `json:"a"`
	B int    `json:"b,omitempty"`
}

type outer struct {
	inner
	*Scope
	Name     string            `json:"name"`
	Skip     string            `json:"-"`
	Empty    []string          `json:"empty,omitempty"`
	Nil      []string          `json:"nil"`
	NilMap   map[string]int    `json:"nilMap"`
	Ptr      *inner            `json:"ptr"`
	When     time.Time         `json:"when"`
	F        float64           `json:"f"`
	Small    float64           `json:"small"`
	Big      float64           `json:"big"`
	U        uint16            `json:"u"`
	Bytes    []byte            `json:"bytes"`
	Any      any               `json:"any"`
	Num      json.Number       `json:"num"`
	Labels   map[string]string `json:"labels"`
	NoTag    bool
	internal int
}

func TestToValueMatchesJSON(t *testing.T) {
	v := outer{
		inner: inner{A: "x"}, Name: "n", Skip: "s", Nil: nil, Ptr: &inner{A: "p", B: 2},
		When: time.Date(2026, 11, 21, 12, 0, 0, 123, time.UTC), F: 12.5, Small: 1e-9, Big: 3e21, U: 7,
		Bytes: []byte("hi"), Any: map[string]any{"k": []any{json.Number("1"), true, nil, "s"}}, Num: "42",
		Labels: map[string]string{"app": "api"}, NoTag: true, internal: 3,
	}
	sameAsJSON(t, "struct", v)
	v.Scope = &Scope{Selector: "a=b", Default: true, Namespaces: []string{"x"}}
	sameAsJSON(t, "embedded pointer", v)
	sameAsJSON(t, "nil", nil)
	sameAsJSON(t, "slice of pointers", []*inner{{A: "1"}, nil})
}

// Every fact of a sample cluster converts exactly as through JSON.
func TestFactsMatchJSON(t *testing.T) {
	for _, dir := range []string{"nordic-fintech", "compliant"} {
		s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{"../testdata/examples/" + dir}, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		m, err := mesh.Resolve(s)
		if err != nil {
			t.Fatal(err)
		}
		p := testProfile(t)
		scope := PersonalDataScope(s, p, m.Config.RootNamespace)
		var timings []Timing
		d := derive(s, m, scope, geo.New(p), &timings, nil, nil)
		for _, piece := range factPieces(m, scope, d) {
			sameAsJSON(t, dir+" "+piece.key, piece.value)
		}
	}
}

type upper string

func (u upper) MarshalText() ([]byte, error) { return []byte(strings.ToUpper(string(u))), nil }

// Types with their own encoding keep it.
func TestToValueHonoursMarshalers(t *testing.T) {
	sameAsJSON(t, "text marshaler", map[string]any{"a": upper("x"), "b": []upper{"y"}})
}
