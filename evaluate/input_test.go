package evaluate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestInputUses(t *testing.T) {
	cases := map[string]struct {
		rego string
		want inputUse
	}{
		"constant keys": {"x if input.resources.pods[_].spec\ny if input.resources.nodes\nz if input.facts.mtls", inputUse{resources: map[string]bool{"pods": true, "nodes": true}}},
		"variable key":  {"x if { some k; input.resources[k] }", inputUse{all: true, resources: map[string]bool{}}},
		"whole input":   {"x := input", inputUse{all: true, resources: map[string]bool{}}},
		"variable root": {"x if { some k; input[k] }", inputUse{all: true, resources: map[string]bool{}}},
		"resources":     {"x := count(input.resources)", inputUse{all: true, resources: map[string]bool{}}},
		"other":         {"x if input.other[_].kind == \"Certificate\"", inputUse{other: true, resources: map[string]bool{}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			mods, err := parseModules([]Source{{Name: "p.rego", Text: "package p\n\nimport rego.v1\n\n" + c.rego + "\n"}})
			if err != nil {
				t.Fatal(err)
			}
			got := inputUses(mods)
			if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(inputUse{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
