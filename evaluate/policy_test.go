package evaluate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every built-in control has metadata, a _test.rego file with passing and
// failing cases, and every Rego test passes; each test is a subtest.
func TestBuiltinPolicies(t *testing.T) {
	srcs, err := BuiltinSources()
	if err != nil {
		t.Fatal(err)
	}
	var policySrcs []Source
	tests := map[string]string{}
	for _, s := range srcs {
		if s.IsTest() {
			tests[strings.TrimSuffix(s.Name, "_test.rego")+".rego"] = s.Text
		} else {
			policySrcs = append(policySrcs, s)
		}
	}
	mods, err := parseModules(policySrcs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compile(mods); err != nil {
		t.Fatal(err)
	}
	controls, err := controlsOf(policySrcs, mods)
	if err != nil {
		t.Fatal(err)
	}
	if len(controls) == 0 {
		t.Fatal("no built-in controls")
	}
	for _, c := range controls {
		text, ok := tests[c.File]
		if !ok {
			t.Errorf("%s (%s) has no _test.rego", c.ID, c.File)
			continue
		}
		for _, want := range []string{"test_pass", "test_fail"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %s_test.rego has no %s* test", c.ID, strings.TrimSuffix(c.File, ".rego"), want)
			}
		}
		// Not assessed: a control that decides it in Rego tests it there;
		// one that relies on its requires is covered by
		// TestMissingInputIsNotAssessed.
		switch {
		case c.notAssessedRule && !strings.Contains(text, "test_not_assessed"):
			t.Errorf("%s defines not_assessed but has no test_not_assessed* test", c.ID)
		case !c.notAssessedRule && len(c.Requires) == 0 && c.Phase != PhaseWaivers:
			t.Errorf("%s can never be not assessed: it has no requires and no not_assessed rule", c.ID)
		}
		if c.Remediation == "" || c.Description == "" || len(c.References) == 0 {
			t.Errorf("%s: metadata lacks description, references or remediation", c.ID)
		}
	}
	results, err := RunTests(context.Background(), srcs)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests ran")
	}
	for _, r := range results {
		t.Run(r.Package+"/"+r.Name, func(t *testing.T) {
			if !r.Pass {
				t.Errorf("%s:%d: %s", r.File, r.Line, r.Error)
			}
		})
	}
}

// A broken user policy is an error with file and line, not a crash.
func TestBrokenUserPolicy(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"syntax":       {"package tilsyn.controls.x\n\nimport rego.v1\n\nfindings contains f if {\n  f := \n}\n", "broken.rego:7"},
		"unsafe":       {"# METADATA\n# title: t\n# custom:\n#   id: X-1\n#   severity: low\n#   articles: [\"5(2)\"]\npackage tilsyn.controls.x\n\nimport rego.v1\n\nfindings contains f if {\n  f := y\n}\n", "broken.rego:12"},
		"no metadata":  {"package tilsyn.controls.x\n\nimport rego.v1\n\nfindings contains 1 if false\n", "broken.rego:1: package tilsyn.controls.x: no METADATA"},
		"bad severity": {"# METADATA\n# title: t\n# custom:\n#   id: X-1\n#   severity: urgent\n#   articles: [\"5(2)\"]\npackage tilsyn.controls.x\n\nimport rego.v1\n\nfindings contains 1 if false\n", "custom.severity \"urgent\""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "broken.rego"), []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := New(context.Background(), Options{PolicyDirs: []string{dir}, Profile: testProfile(t), ProfileJSON: testProfileJSON(t)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}
