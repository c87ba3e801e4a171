package evaluate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/profile"
)

// Scope is the personal-data scope of an audit: the namespaces whose
// workloads the personal-data controls look at.
type Scope struct {
	Selector string `json:"selector"`
	// Default is true when no namespace matched the selector, so every
	// namespace except Excluded is treated as processing personal data.
	Default    bool     `json:"default"`
	Excluded   []string `json:"excluded,omitempty"`
	Namespaces []string `json:"namespaces"`
}

// Statement says in words how the scope was chosen, for the report.
func (s Scope) Statement() string {
	if s.Default {
		return fmt.Sprintf("No namespace matches the personal-data selector %q, so every namespace except %v is treated as processing personal data (conservative default).",
			s.Selector, s.Excluded)
	}
	return fmt.Sprintf("Namespaces matching the personal-data selector %q process personal data.", s.Selector)
}

// PersonalDataScope decides which namespaces process personal data: those
// matching the profile's selector or, when none does, every namespace but
// the system ones and the mesh control plane.
func PersonalDataScope(s *collect.Snapshot, p *profile.Profile, rootNamespace string) Scope {
	sc := Scope{Selector: p.Spec.PersonalData.NamespaceSelector, Namespaces: []string{}}
	sel := p.Selector()
	known := map[string]bool{}
	nsLabels := map[string]map[string]string{}
	for _, o := range s.Resources[collect.Namespaces] {
		m := collect.Meta(o)
		known[m.Name] = true
		nsLabels[m.Name] = m.Labels
	}
	for key, objs := range s.Resources {
		if t, _ := collect.TypeByKey(key); !t.Namespaced {
			continue
		}
		for _, o := range objs {
			if ns := collect.Str(o, "metadata", "namespace"); ns != "" {
				known[ns] = true
			}
		}
	}
	for ns := range known {
		if sel.Matches(labels.Set(nsLabels[ns])) {
			sc.Namespaces = append(sc.Namespaces, ns)
		}
	}
	if len(sc.Namespaces) == 0 {
		sc.Default = true
		excluded := map[string]bool{rootNamespace: true, mesh.DefaultRootNamespace: true}
		for _, n := range p.Spec.PersonalData.DefaultExcluded {
			excluded[n] = true
		}
		for n := range excluded {
			sc.Excluded = append(sc.Excluded, n)
		}
		sort.Strings(sc.Excluded)
		for ns := range known {
			if !excluded[ns] {
				sc.Namespaces = append(sc.Namespaces, ns)
			}
		}
	}
	sort.Strings(sc.Namespaces)
	return sc
}

// facts is what Go derives for the policies, under input.facts.
type facts struct {
	Mesh               meshFacts                  `json:"mesh"`
	Scope              scopeFacts                 `json:"scope"`
	Workloads          []*mesh.Workload           `json:"workloads"`
	MTLS               []mesh.Row                 `json:"mtls"`
	PeerAuthentication mesh.PeerAuthFacts         `json:"peerAuthentication"`
	DestinationRules   []mesh.DestinationRuleFact `json:"destinationRules"`
}

type meshFacts struct {
	mesh.Config
	Injector mesh.InjectorConfig `json:"injector"`
}

type scopeFacts struct {
	Scope
	// InScope maps every in-scope namespace to true, for lookups.
	InScope map[string]bool `json:"inScope"`
}

// buildInput assembles input for the policies and converts it to an OPA
// value once; every control evaluates against the same value.
//
//	input.resources.<type>  the snapshot's objects
//	input.other             objects of kinds tilsyn does not interpret
//	input.coverage.<type>   {status, count, reason}
//	input.meta              {now, source, cluster}
//	input.facts             derived facts (mesh config, scope, workloads,
//	                        mTLS inventory, PeerAuthentication and
//	                        DestinationRule facts)
func buildInput(s *collect.Snapshot, m *mesh.Result, scope Scope, now time.Time) (ast.Value, error) {
	resources := make(map[string]any, len(s.Resources))
	for key, objs := range s.Resources {
		l := make([]any, len(objs))
		for i, o := range objs {
			l[i] = o
		}
		resources[key] = l
	}
	other := make([]any, len(s.Other))
	for i, o := range s.Other {
		other[i] = o
	}
	coverage := make(map[string]any, len(s.Coverage))
	for _, c := range s.Coverage {
		coverage[c.Resource] = map[string]any{"status": string(c.Status), "count": c.Count, "reason": c.Reason}
	}
	meta := map[string]any{
		"now":    now.UTC().Format(time.RFC3339),
		"nowNs":  json.Number(fmt.Sprint(now.UnixNano())),
		"source": map[string]any{"type": s.Metadata.Source.Type},
	}
	if s.Metadata.Cluster != nil {
		meta["cluster"] = map[string]any{"uid": s.Metadata.Cluster.UID, "server": s.Metadata.Cluster.Server}
	}
	in := map[string]any{"resources": resources, "other": other, "coverage": coverage, "meta": meta}
	v, err := ast.InterfaceToValue(in)
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	f := facts{
		Mesh:               meshFacts{Config: m.Config, Injector: m.Injector},
		Scope:              scopeFacts{Scope: scope, InScope: map[string]bool{}},
		Workloads:          m.Workloads,
		MTLS:               m.Rows,
		PeerAuthentication: m.PeerAuthentication,
		DestinationRules:   m.DestinationRules,
	}
	for _, ns := range scope.Namespaces {
		f.Scope.InScope[ns] = true
	}
	js, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	fv, err := ast.ValueFromReader(bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("build policy input: %w", err)
	}
	obj := v.(ast.Object)
	obj.Insert(ast.StringTerm("facts"), ast.NewTerm(fv))
	return obj, nil
}
