package evaluate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego unit test.
type TestResult struct {
	Package  string
	Name     string
	File     string
	Line     int
	Pass     bool
	Error    string
	Duration time.Duration
}

// RunTests runs the Rego unit tests (rules named test_*) of the given
// sources, policies and tests together. A source that does not parse or
// compile is an error naming file and line.
func RunTests(ctx context.Context, srcs []Source) ([]TestResult, error) {
	mods, err := parseModules(srcs)
	if err != nil {
		return nil, err
	}
	compiler, err := compile(mods)
	if err != nil {
		return nil, err
	}
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetModules(mods).
		SetTimeout(time.Minute).
		RaiseBuiltinErrors(true).
		Run(ctx, mods)
	if err != nil {
		return nil, fmt.Errorf("run policy tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		tr := TestResult{Package: strings.TrimPrefix(r.Package, "data."), Name: r.Name, Pass: r.Pass(), Duration: r.Duration}
		if r.Location != nil {
			tr.File, tr.Line = r.Location.File, r.Location.Row
		}
		switch {
		case r.Error != nil:
			tr.Error = r.Error.Error()
		case r.Fail:
			tr.Error = "test failed"
			if r.FailedAt != nil && r.FailedAt.Location != nil {
				tr.Error = fmt.Sprintf("failed at %s:%d: %s", r.FailedAt.Location.File, r.FailedAt.Location.Row, r.FailedAt.String())
			}
		}
		out = append(out, tr)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
