package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeProfile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuiltinsLoad(t *testing.T) {
	if diff := cmp.Diff([]string{"eea", "norway"}, Names()); diff != "" {
		t.Fatalf("built-in profiles (-want +got):\n%s", diff)
	}
	for _, n := range Names() {
		p, js, err := Load(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if p.Metadata.Name != n || len(js) == 0 {
			t.Errorf("%s: name %q", n, p.Metadata.Name)
		}
	}
}

// The eea profile holds the facts of controls.md as data.
func TestEEAFacts(t *testing.T) {
	p, _, err := Load("eea")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.Location.AllowedCountries) != 30 {
		t.Errorf("allowedCountries has %d entries, want EU27 + NO, IS, LI = 30", len(p.Spec.Location.AllowedCountries))
	}
	for _, c := range []string{"NO", "IS", "LI", "SE", "DE", "IE"} {
		if !p.AllowsCountry(c) {
			t.Errorf("eea does not allow %s", c)
		}
	}
	for _, c := range []string{"GB", "CH", "IL", "US", ""} {
		if p.AllowsCountry(c) {
			t.Errorf("eea allows %q", c)
		}
	}
	regions := map[string]string{}
	for _, g := range p.Spec.Location.Regions {
		for n, c := range g {
			regions[n] = c
		}
	}
	for name, want := range map[string]string{
		"eu-west-2": "GB", "eu-central-2": "CH", "europe-west2": "GB", "europe-west6": "CH",
		"uksouth": "GB", "switzerlandnorth": "CH", "eu-north-1": "SE", "europe-north1": "FI", "norwayeast": "NO",
	} {
		if regions[name] != want {
			t.Errorf("region %s maps to %q, want %s", name, regions[name], want)
		}
	}
	if p.Provider("aws").Headquarters != "US" || p.Provider("hcloud").Headquarters != "DE" {
		t.Error("provider jurisdictions are wrong")
	}
}

func TestNorwayExtendsEEA(t *testing.T) {
	p, _, err := Load("norway")
	if err != nil {
		t.Fatal(err)
	}
	if !p.AllowsCountry("NO") || p.AllowsCountry("SE") {
		t.Errorf("norway allows %v", p.Spec.Location.AllowedCountries)
	}
	if p.Spec.Location.Regions["aws"]["eu-north-1"] != "SE" || p.Spec.Certificates.MinRSABits != 3072 {
		t.Error("norway did not inherit the eea tables")
	}
}

func TestUserProfileExtends(t *testing.T) {
	path := writeProfile(t, `apiVersion: tilsyn.io/v1
kind: Profile
metadata:
  name: acme
spec:
  extends: norway
  location:
    regions:
      onprem:
        oslo-1: "NO"
      scaleway: null
  providers:
    on-premises: {name: Acme data centre, headquarters: "NO"}
  tracing:
    maxSamplingPercent: 1
`)
	p, js, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Metadata.Name != "acme" || p.Metadata.Description != "" {
		t.Errorf("metadata %+v: a derived profile names itself", p.Metadata)
	}
	if p.Spec.Location.Regions["onprem"]["oslo-1"] != "NO" || p.Spec.Location.Regions["aws"]["eu-west-2"] != "GB" {
		t.Error("custom regions were not merged onto the base's")
	}
	if _, ok := p.Spec.Location.Regions["scaleway"]; ok {
		t.Error("a null value did not remove the key")
	}
	if !p.AllowsCountry("NO") || p.AllowsCountry("SE") {
		t.Error("the norway base's countries were not kept")
	}
	if p.Spec.Tracing.MaxSamplingPercent != 1 || p.Provider("on-premises").Name != "Acme data centre" {
		t.Error("overrides not applied")
	}
	if !strings.Contains(string(js), `"oslo-1":"NO"`) {
		t.Errorf("canonical JSON lacks the custom region: %s", js)
	}
}

// A profile without extends replaces the built-ins entirely.
func TestStandaloneProfile(t *testing.T) {
	path := writeProfile(t, `apiVersion: tilsyn.io/v1
kind: Profile
metadata: {name: lab}
spec:
  personalData: {namespaceSelector: pd=yes}
  location:
    allowedCountries: [IS]
    regions: {lab: {reykjavik-1: IS}}
  transfers: {bases: [scc]}
  tls: {meshMinProtocolVersion: TLSV1_3}
  certificates: {minDaysRemaining: 30, minRSABits: 2048, minECBits: 256, maxValidityDays: 365}
  tracing: {maxSamplingPercent: 0}
  nodeBaseline: {conntrackUsageMaxPercent: 90}
`)
	p, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.Location.Regions) != 1 || len(p.Spec.Providers) != 0 {
		t.Errorf("a standalone profile inherited tables: %+v", p.Spec.Location.Regions)
	}
}

func TestInvalidProfiles(t *testing.T) {
	head := "apiVersion: tilsyn.io/v1\nkind: Profile\nmetadata: {name: bad}\nspec:\n  extends: eea\n"
	cases := map[string]struct{ text, want string }{
		"unknown field":     {head + "  location: {allowedCountry: [NO]}\n", `unknown field "allowedCountry"`},
		"unquoted NO":       {head + "  location: {allowedCountries: [NO]}\n", `quote country codes`},
		"not a country":     {head + "  location: {allowedCountries: [Norway]}\n", `spec.location.allowedCountries[0]: "Norway" is not an ISO 3166-1 alpha-2`},
		"unknown code":      {head + "  location: {allowedCountries: [XX]}\n", `"XX" is not an ISO 3166-1`},
		"region conflict":   {head + "  location: {regions: {onprem: {eu-west-2: SE}}}\n", `a region name must mean one country`},
		"region country":    {head + "  location: {regions: {onprem: {oslo-1: Oslo}}}\n", `spec.location.regions.onprem["oslo-1"]`},
		"empty countries":   {head + "  location: {allowedCountries: []}\n", "spec.location.allowedCountries is required"},
		"provider hq":       {head + "  providers: {openstack: {name: Lab, headquarters: usa}}\n", `spec.providers["openstack"].headquarters`},
		"provider name":     {head + "  providers: {openstack: {headquarters: SE}}\n", `spec.providers["openstack"].name is required`},
		"destination host":  {head + "  transfers: {destinations: {\"https://x.com\": US}}\n", `want a host name`},
		"tls version":       {head + "  tls: {meshMinProtocolVersion: TLSV1_1}\n", "spec.tls.meshMinProtocolVersion"},
		"sampling":          {head + "  tracing: {maxSamplingPercent: 150}\n", "spec.tracing.maxSamplingPercent"},
		"certificate limit": {head + "  certificates: {minRSABits: 0}\n", "spec.certificates.minRSABits"},
		"sysctl rule":       {head + "  nodeBaseline: {sysctls: {fs.file-max: {min: 1, max: 2}}}\n", `sysctls["fs.file-max"]: set exactly one`},
		"sysctl range":      {head + "  nodeBaseline: {sysctls: {x: {coversRange: [2, 1]}}}\n", "coversRange"},
		"selector":          {head + "  personalData: {namespaceSelector: 'a in (b'}\n", "spec.personalData.namespaceSelector"},
		"no name":           {"apiVersion: tilsyn.io/v1\nkind: Profile\nspec: {extends: eea}\n", "metadata.name is required"},
		"bad base":          {"apiVersion: tilsyn.io/v1\nkind: Profile\nmetadata: {name: x}\nspec: {extends: mars}\n", `no built-in profile "mars"`},
		"wrong kind":        {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "want tilsyn.io/v1 Profile"},
		"not YAML":          {"spec: [unclosed\n", "invalid YAML"},
		"not a mapping":     {"- a\n- b\n", "expected a mapping"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := writeProfile(t, c.text)
			_, _, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v does not name the file", err)
			}
		})
	}
	if _, _, err := Load("mars"); err == nil || !strings.Contains(err.Error(), "no such built-in profile") {
		t.Errorf("unknown name: %v", err)
	}
}

func TestMergeIsJSONMergePatch(t *testing.T) {
	a := map[string]any{"x": map[string]any{"a": 1.0, "b": 2.0}, "l": []any{1.0, 2.0}, "k": "v"}
	b := map[string]any{"x": map[string]any{"b": nil, "c": 3.0}, "l": []any{9.0}}
	want := map[string]any{"x": map[string]any{"a": 1.0, "c": 3.0}, "l": []any{9.0}, "k": "v"}
	if diff := cmp.Diff(want, merge(a, b)); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
}
