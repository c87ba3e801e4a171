// Package geo says where things are: it maps region, zone and site names to
// countries with the profile's region tables, parses node providerIDs,
// names the jurisdiction of infrastructure providers, and derives the
// location facts of nodes, persistent volumes, storage classes, workload
// placement and Velero backup locations. It states facts; whether a place
// is acceptable is decided by the policies.
package geo

import (
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/profile"
)

// Unknown is the country or jurisdiction of a place the profile cannot
// name. It is never allowed.
const Unknown = "unknown"

// Place is a region, zone or site name and where it resolves to.
type Place struct {
	// Value is the name as found.
	Value string `json:"value"`
	// Region is the region it resolves to, "" when unknown.
	Region string `json:"region,omitempty"`
	// Group is the region table group that holds Region (aws, gce, ...).
	Group string `json:"group,omitempty"`
	// Country is an ISO 3166-1 alpha-2 code or "unknown".
	Country string `json:"country"`
}

// Known reports whether the place resolved to a country.
func (p Place) Known() bool { return p.Country != Unknown }

// Resolver resolves names with one profile's tables.
type Resolver struct {
	p       *profile.Profile
	regions map[string]Place // region name -> resolved place (first group in name order)
}

// New returns a resolver for a profile.
func New(p *profile.Profile) *Resolver {
	r := &Resolver{p: p, regions: map[string]Place{}}
	groups := make([]string, 0, len(p.Spec.Location.Regions))
	for g := range p.Spec.Location.Regions {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		for name, country := range p.Spec.Location.Regions[g] {
			if _, seen := r.regions[name]; !seen {
				r.regions[name] = Place{Value: name, Region: name, Group: g, Country: country}
			}
		}
	}
	return r
}

// Profile returns the profile the resolver uses.
func (r *Resolver) Profile() *profile.Profile { return r.p }

// Region resolves a region name. Only an exact entry of the region tables
// counts: "eu-west-2" is London whatever its prefix suggests. provider,
// when known, picks the group reported for names several groups share
// (the profile guarantees they agree on the country).
func (r *Resolver) Region(name, provider string) Place {
	name = strings.TrimSpace(name)
	if name == "" {
		return Place{Country: Unknown}
	}
	if c, ok := r.p.Spec.Location.Regions[provider][name]; ok {
		return Place{Value: name, Region: name, Group: provider, Country: c}
	}
	if pl, ok := r.regions[name]; ok {
		return pl
	}
	return Place{Value: name, Country: Unknown}
}

// Zone resolves a zone name to its region: the name itself when it is a
// region, else the name without a trailing zone letter (AWS eu-north-1a),
// else without its last dash-separated part (GCP europe-north1-b, Azure
// westeurope-1, Scaleway fr-par-1, Hetzner fsn1-dc14, a site's
// oslo-1-rack3). A candidate counts only when it is exactly a region of
// the tables.
func (r *Resolver) Zone(name, provider string) Place {
	name = strings.TrimSpace(name)
	for _, c := range zoneCandidates(name) {
		if pl := r.Region(c, provider); pl.Known() {
			pl.Value = name
			return pl
		}
	}
	return Place{Value: name, Country: Unknown}
}

func zoneCandidates(z string) []string {
	if z == "" {
		return nil
	}
	out := []string{z}
	// AWS zones are the region (which ends in "-<digits>") and one letter.
	if n := len(z); n >= 3 && z[n-1] >= 'a' && z[n-1] <= 'z' && endsInDashDigits(z[:n-1]) {
		out = append(out, z[:n-1])
	}
	if i := strings.LastIndexByte(z, '-'); i > 0 {
		out = append(out, z[:i])
	}
	return out
}

func endsInDashDigits(s string) bool {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	return i < len(s) && i > 0 && s[i-1] == '-'
}

// Allowed reports whether personal data may be in a country.
func (r *Resolver) Allowed(country string) bool { return r.p.AllowsCountry(country) }

// Jurisdiction is the provider that operates some infrastructure and the
// country whose law governs it.
type Jurisdiction struct {
	// Provider is the key of the profile's provider table ("aws",
	// "on-premises"), "" when it cannot be told.
	Provider string `json:"provider"`
	Name     string `json:"name,omitempty"`
	// Headquarters is a country code or "unknown".
	Headquarters string `json:"headquarters"`
	// Allowed: the headquarters is one of the profile's allowed
	// jurisdictions (no third-country-law exposure).
	Allowed bool `json:"allowed"`
}

// Jurisdiction looks a provider key up in the profile.
func (r *Resolver) Jurisdiction(key string) Jurisdiction {
	pr, ok := r.p.Spec.Providers[key]
	if !ok || key == "" {
		return Jurisdiction{Provider: key, Headquarters: Unknown}
	}
	return Jurisdiction{Provider: key, Name: pr.Name, Headquarters: pr.Headquarters, Allowed: r.p.AllowsJurisdiction(pr.Headquarters)}
}

// HostProvider returns the provider whose domains include host, "" when
// none does.
func (r *Resolver) HostProvider(host string) string {
	keys := make([]string, 0, len(r.p.Spec.Providers))
	for k := range r.p.Spec.Providers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, d := range r.p.Spec.Providers[k].Domains {
			if host == d || strings.HasSuffix(host, "."+d) {
				return k
			}
		}
	}
	return ""
}

// Destination returns the country the profile's transfer destinations
// give an external host, and the entry that matched (the exact name, or
// the longest "*.suffix"). ok is false when no entry matches.
func (r *Resolver) Destination(host string) (country, entry string, ok bool) {
	dests := r.p.Spec.Transfers.Destinations
	if c, found := dests[host]; found {
		return c, host, true
	}
	best := ""
	for pattern := range dests {
		if strings.HasPrefix(pattern, "*.") && strings.HasSuffix(host, pattern[1:]) && len(pattern) > len(best) {
			best = pattern
		}
	}
	if best == "" {
		return "", "", false
	}
	return dests[best], best, true
}

// RegionInHost finds a region named by one DNS label of host
// (s3.eu-north-1.amazonaws.com, fsn1.your-objectstorage.com). Labels are
// compared whole, never by prefix.
func (r *Resolver) RegionInHost(host, provider string) Place {
	for _, label := range strings.Split(host, ".") {
		if pl := r.Region(label, provider); pl.Known() {
			return pl
		}
	}
	return Place{Value: host, Country: Unknown}
}
