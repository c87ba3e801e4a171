package profile

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/language"
	"k8s.io/apimachinery/pkg/labels"
)

// TLS protocol versions a profile may require of the mesh.
var meshTLSVersions = []string{"TLSV1_2", "TLSV1_3"}

// validate checks a decoded profile, naming the field at fault.
func (p *Profile) validate() error {
	if p.APIVersion != "tilsyn.io/v1" || p.Kind != "Profile" {
		return fmt.Errorf("apiVersion %q kind %q, want tilsyn.io/v1 Profile", p.APIVersion, p.Kind)
	}
	if p.Metadata.Name == "" {
		return fmt.Errorf("metadata.name is required")
	}
	s := &p.Spec
	if strings.TrimSpace(s.PersonalData.NamespaceSelector) == "" {
		return fmt.Errorf("spec.personalData.namespaceSelector is required (a label selector such as tilsyn.io/personal-data=true)")
	}
	if _, err := labels.Parse(s.PersonalData.NamespaceSelector); err != nil {
		return fmt.Errorf("spec.personalData.namespaceSelector: %w", err)
	}
	for _, check := range []func() error{s.validateLocation, s.validateProviders, s.validateTransfers, s.validateLimits, s.validateNodeBaseline} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 country code
// in upper case.
func ValidCountry(code string) bool {
	if len(code) != 2 || strings.ToUpper(code) != code {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry()
}

// country checks an ISO 3166-1 alpha-2 code.
func country(field, code string) error {
	if ValidCountry(code) {
		return nil
	}
	return fmt.Errorf("%s: %q is not an ISO 3166-1 alpha-2 country code (such as NO, SE, DE)", field, code)
}

func countries(field string, codes []string) error {
	for i, c := range codes {
		if err := country(fmt.Sprintf("%s[%d]", field, i), c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spec) validateLocation() error {
	l := s.Location
	if len(l.AllowedCountries) == 0 {
		return fmt.Errorf("spec.location.allowedCountries is required (the countries personal data may be in)")
	}
	if err := countries("spec.location.allowedCountries", l.AllowedCountries); err != nil {
		return err
	}
	if err := countries("spec.location.allowedJurisdictions", l.AllowedJurisdictions); err != nil {
		return err
	}
	groups := make([]string, 0, len(l.Regions))
	for g := range l.Regions {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	seen := map[string]string{} // region -> "group:country"
	for _, g := range groups {
		if strings.TrimSpace(g) == "" {
			return fmt.Errorf("spec.location.regions: a group has an empty name")
		}
		names := make([]string, 0, len(l.Regions[g]))
		for n := range l.Regions[g] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := l.Regions[g][n]
			field := fmt.Sprintf("spec.location.regions.%s[%q]", g, n)
			if strings.TrimSpace(n) == "" || n != strings.TrimSpace(n) {
				return fmt.Errorf("spec.location.regions.%s: region name %q is empty or has surrounding spaces", g, n)
			}
			if err := country(field, c); err != nil {
				return err
			}
			if prev, ok := seen[n]; ok && !strings.HasSuffix(prev, ":"+c) {
				return fmt.Errorf("%s: %s, but regions.%s says %s; a region name must mean one country", field, c,
					strings.SplitN(prev, ":", 2)[0], strings.SplitN(prev, ":", 2)[1])
			}
			seen[n] = g + ":" + c
		}
	}
	return nil
}

func (s *Spec) validateProviders() error {
	keys := make([]string, 0, len(s.Providers))
	for k := range s.Providers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pr := s.Providers[k]
		field := fmt.Sprintf("spec.providers[%q]", k)
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("spec.providers: a provider has an empty key (use the providerID scheme, or on-premises)")
		}
		if pr.Name == "" {
			return fmt.Errorf("%s.name is required", field)
		}
		if err := country(field+".headquarters", pr.Headquarters); err != nil {
			return err
		}
		for i, d := range pr.Domains {
			if d == "" || strings.ContainsAny(d, "*/: ") {
				return fmt.Errorf("%s.domains[%d]: %q is not a DNS suffix (such as amazonaws.com)", field, i, d)
			}
		}
	}
	return nil
}

func (s *Spec) validateTransfers() error {
	t := s.Transfers
	for host, c := range t.Destinations {
		field := fmt.Sprintf("spec.transfers.destinations[%q]", host)
		rest := strings.TrimPrefix(host, "*.")
		if rest == "" || strings.ContainsAny(rest, "*/: ") {
			return fmt.Errorf("%s: want a host name, or *.suffix", field)
		}
		if err := country(field, c); err != nil {
			return err
		}
	}
	if err := countries("spec.transfers.adequacy", t.Adequacy); err != nil {
		return err
	}
	if len(t.Bases) == 0 {
		return fmt.Errorf("spec.transfers.bases is required (the accepted values of tilsyn.io/transfer-basis)")
	}
	for i, b := range t.Bases {
		if b == "" || b != strings.ToLower(strings.TrimSpace(b)) {
			return fmt.Errorf("spec.transfers.bases[%d]: %q must be a lower-case word (adequacy, dpf, scc, bcr, derogation)", i, b)
		}
	}
	return nil
}

func (s *Spec) validateLimits() error {
	v := s.TLS.MeshMinProtocolVersion
	found := false
	for _, ok := range meshTLSVersions {
		found = found || v == ok
	}
	if !found {
		return fmt.Errorf("spec.tls.meshMinProtocolVersion: %q, want one of %s", v, strings.Join(meshTLSVersions, ", "))
	}
	c := s.Certificates
	for _, f := range []struct {
		name string
		v    int
	}{{"minDaysRemaining", c.MinDaysRemaining}, {"minRSABits", c.MinRSABits}, {"minECBits", c.MinECBits}, {"maxValidityDays", c.MaxValidityDays}} {
		if f.v <= 0 {
			return fmt.Errorf("spec.certificates.%s: %d, want a positive number", f.name, f.v)
		}
	}
	if m := s.Tracing.MaxSamplingPercent; m < 0 || m > 100 {
		return fmt.Errorf("spec.tracing.maxSamplingPercent: %g, want 0 to 100", m)
	}
	return nil
}

func (s *Spec) validateNodeBaseline() error {
	b := s.NodeBaseline
	if u := b.ConntrackUsageMaxPercent; u <= 0 || u > 100 {
		return fmt.Errorf("spec.nodeBaseline.conntrackUsageMaxPercent: %g, want more than 0 and at most 100", u)
	}
	for name, r := range b.Sysctls {
		field := fmt.Sprintf("spec.nodeBaseline.sysctls[%q]", name)
		set := 0
		for _, isSet := range []bool{r.Min != nil, r.Max != nil, r.Equals != nil, r.CoversRange != nil} {
			if isSet {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("%s: set exactly one of min, max, equals, coversRange", field)
		}
		if r.CoversRange != nil {
			if cr := *r.CoversRange; len(cr) != 2 || cr[0] > cr[1] {
				return fmt.Errorf("%s.coversRange: want [low, high] with low <= high", field)
			}
		}
	}
	return nil
}
