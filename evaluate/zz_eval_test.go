package evaluate

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/tilsyn/tilsyn/profile"
)

func BenchmarkZZEval(b *testing.B) {
	p, js, _ := profile.Load(profile.Default)
	e, err := New(context.Background(), Options{Profile: p, ProfileJSON: js})
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := os.ReadFile(os.Getenv("ZZIN"))
	v, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	q, err := rego.New(rego.Compiler(e.compiler), rego.Store(e.store), rego.Query(os.Getenv("ZZQ"))).PrepareForEval(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := q.Eval(context.Background(), rego.EvalParsedInput(v)); err != nil {
			b.Fatal(err)
		}
	}
}
