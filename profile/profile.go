// Package profile holds audit profiles: the jurisdiction facts and limits a
// set of controls is judged against (which namespaces hold personal data,
// which regions are allowed, ...). Profiles are YAML; two are embedded and
// a user profile may extend one of them or stand alone. Rego policies see
// the effective profile as data.tilsyn.profile.
package profile

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

//go:embed profiles/*.yaml
var builtin embed.FS

// Default is the profile used when none is given.
const Default = "eea"

// Profile is an audit profile.
type Profile struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata names a profile.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Spec is what policies read.
type Spec struct {
	// Extends names a built-in profile this one starts from; fields set
	// here replace the base's (maps merge key by key, lists are replaced).
	Extends      string       `json:"extends,omitempty"`
	PersonalData PersonalData `json:"personalData"`
}

// PersonalData scopes the controls that apply to personal data.
type PersonalData struct {
	// NamespaceSelector is a Kubernetes label selector; namespaces it
	// matches process personal data.
	NamespaceSelector string `json:"namespaceSelector"`
	// DefaultExcluded are left out of the conservative default scope
	// (every namespace) used when no namespace matches the selector.
	DefaultExcluded []string `json:"defaultExcluded"`
}

// Names lists the embedded profiles.
func Names() []string {
	entries, _ := builtin.ReadDir("profiles")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Builtin returns the source of an embedded profile.
func Builtin(name string) ([]byte, bool) {
	data, err := builtin.ReadFile(path.Join("profiles", name+".yaml"))
	return data, err == nil
}

// Load returns the effective profile for a name or file: an embedded
// profile by name, or a YAML file (which may extend an embedded one).
func Load(nameOrFile string) (*Profile, []byte, error) {
	if nameOrFile == "" {
		nameOrFile = Default
	}
	if data, ok := Builtin(nameOrFile); ok {
		return parse(nameOrFile, data)
	}
	data, err := os.ReadFile(nameOrFile)
	if err != nil {
		if os.IsNotExist(err) && !strings.ContainsAny(nameOrFile, "/.") {
			return nil, nil, fmt.Errorf("profile %q: no such built-in profile (have %s) and no such file", nameOrFile, strings.Join(Names(), ", "))
		}
		return nil, nil, fmt.Errorf("profile: %w", err)
	}
	return parse(nameOrFile, data)
}

// parse decodes a profile, applies its base, and validates the result. It
// returns the profile and its canonical JSON (what policies see, and what
// the report's profile digest covers).
func parse(source string, data []byte) (*Profile, []byte, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %s: invalid YAML: %w", source, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil || doc == nil {
		return nil, nil, fmt.Errorf("profile %s: expected a mapping with apiVersion, kind, metadata and spec", source)
	}
	spec, _ := doc["spec"].(map[string]any)
	if base, _ := spec["extends"].(string); base != "" {
		baseData, ok := Builtin(base)
		if !ok {
			return nil, nil, fmt.Errorf("profile %s: spec.extends: no built-in profile %q (have %s)", source, base, strings.Join(Names(), ", "))
		}
		baseJS, err := yaml.YAMLToJSON(baseData)
		if err != nil {
			return nil, nil, fmt.Errorf("built-in profile %s: %w", base, err)
		}
		var baseDoc map[string]any
		if err := json.Unmarshal(baseJS, &baseDoc); err != nil {
			return nil, nil, fmt.Errorf("built-in profile %s: %w", base, err)
		}
		doc = merge(baseDoc, doc).(map[string]any)
		js, _ = json.Marshal(doc)
	}
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, nil, fmt.Errorf("profile %s: %w", source, err)
	}
	if err := p.validate(); err != nil {
		return nil, nil, fmt.Errorf("profile %s: %w", source, err)
	}
	canonical, err := json.Marshal(p)
	if err != nil {
		return nil, nil, err
	}
	return &p, canonical, nil
}

// merge overlays b on a: maps merge recursively, everything else in b
// replaces a.
func merge(a, b any) any {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		return b
	}
	out := make(map[string]any, len(am)+len(bm))
	for k, v := range am {
		out[k] = v
	}
	for k, v := range bm {
		if cur, ok := out[k]; ok {
			out[k] = merge(cur, v)
		} else {
			out[k] = v
		}
	}
	return out
}

func (p *Profile) validate() error {
	if p.APIVersion != "tilsyn.io/v1" || p.Kind != "Profile" {
		return fmt.Errorf("apiVersion %q kind %q, want tilsyn.io/v1 Profile", p.APIVersion, p.Kind)
	}
	if p.Metadata.Name == "" {
		return fmt.Errorf("metadata.name is required")
	}
	if _, err := labels.Parse(p.Spec.PersonalData.NamespaceSelector); err != nil {
		return fmt.Errorf("spec.personalData.namespaceSelector: %w", err)
	}
	if strings.TrimSpace(p.Spec.PersonalData.NamespaceSelector) == "" {
		return fmt.Errorf("spec.personalData.namespaceSelector is required (a label selector such as tilsyn.io/personal-data=true)")
	}
	return nil
}

// Selector returns the parsed personal-data namespace selector.
func (p *Profile) Selector() labels.Selector {
	sel, err := labels.Parse(p.Spec.PersonalData.NamespaceSelector)
	if err != nil {
		return labels.Nothing() // validate rejects this; keep the zero case safe
	}
	return sel
}
