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
	"slices"
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
	doc, err = withBase(source, doc, 0)
	if err != nil {
		return nil, nil, err
	}
	js, _ = json.Marshal(doc)
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		hint := ""
		if strings.Contains(err.Error(), "unmarshal bool") {
			hint = ` (YAML reads unquoted NO, YES, ON and OFF as booleans: quote country codes, "NO")`
		}
		return nil, nil, fmt.Errorf("profile %s: %w%s", source, err, hint)
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

// withBase merges doc onto the built-in profile named by its spec.extends,
// itself resolved first (a built-in may extend another).
func withBase(source string, doc map[string]any, depth int) (map[string]any, error) {
	spec, _ := doc["spec"].(map[string]any)
	base, _ := spec["extends"].(string)
	if base == "" {
		return doc, nil
	}
	if depth > 3 {
		return nil, fmt.Errorf("profile %s: spec.extends: chain of bases too long (a cycle?)", source)
	}
	baseData, ok := Builtin(base)
	if !ok {
		return nil, fmt.Errorf("profile %s: spec.extends: no built-in profile %q (have %s)", source, base, strings.Join(Names(), ", "))
	}
	baseJS, err := yaml.YAMLToJSON(baseData)
	if err != nil {
		return nil, fmt.Errorf("built-in profile %s: %w", base, err)
	}
	var baseDoc map[string]any
	if err := json.Unmarshal(baseJS, &baseDoc); err != nil {
		return nil, fmt.Errorf("built-in profile %s: %w", base, err)
	}
	if baseDoc, err = withBase(base, baseDoc, depth+1); err != nil {
		return nil, err
	}
	// Metadata names each profile: a derived profile names itself.
	delete(baseDoc, "metadata")
	return merge(baseDoc, doc).(map[string]any), nil
}

// merge overlays b on a as a JSON merge patch (RFC 7386): maps merge
// recursively, a null in b removes the key, everything else in b replaces
// a.
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
		switch cur, ok := out[k]; {
		case v == nil:
			delete(out, k)
		case ok:
			out[k] = merge(cur, v)
		default:
			out[k] = v
		}
	}
	return out
}

// AllowsCountry reports whether personal data may be in a country. An
// empty (unknown) country is never allowed.
func (p *Profile) AllowsCountry(country string) bool {
	return country != "" && slices.Contains(p.Spec.Location.AllowedCountries, country)
}

// AllowsJurisdiction reports whether a provider headquartered in country
// is free of third-country-law exposure. Unknown is never allowed.
func (p *Profile) AllowsJurisdiction(country string) bool {
	return country != "" && slices.Contains(p.Spec.Location.AllowedJurisdictions, country)
}

// Provider returns the provider table entry for key (zero when absent).
func (p *Profile) Provider(key string) Provider { return p.Spec.Providers[key] }

// HasAdequacy reports whether a country has an adequacy decision.
func (p *Profile) HasAdequacy(country string) bool {
	return country != "" && slices.Contains(p.Spec.Transfers.Adequacy, country)
}

// Selector returns the parsed personal-data namespace selector.
func (p *Profile) Selector() labels.Selector {
	sel, err := labels.Parse(p.Spec.PersonalData.NamespaceSelector)
	if err != nil {
		return labels.Nothing() // validate rejects this; keep the zero case safe
	}
	return sel
}
