package geo

import "strings"

// ProviderID is a node's spec.providerID taken apart.
type ProviderID struct {
	// Raw is the value as written.
	Raw string `json:"raw"`
	// Scheme is the part before "://" ("aws", "gce", "azure", "hcloud",
	// ...), "" for an empty or unparseable value.
	Scheme string `json:"scheme"`
	// Zone is the zone named inside, for the formats that carry one:
	// aws:///<zone>/<instance> and gce://<project>/<zone>/<name>.
	Zone string `json:"zone,omitempty"`
}

// ParseProviderID takes a providerID apart. Formats that name no zone
// (azure:///subscriptions/..., hcloud://<id>, openstack:///<uuid>, ...)
// give only the scheme.
func ParseProviderID(id string) ProviderID {
	out := ProviderID{Raw: id}
	scheme, rest, ok := strings.Cut(id, "://")
	if !ok || scheme == "" {
		return out
	}
	out.Scheme = strings.ToLower(scheme)
	parts := strings.Split(rest, "/")
	switch out.Scheme {
	case "aws":
		// aws:///eu-north-1a/i-0123: parts "", zone, instance. Fargate
		// and some older nodes have aws:////i-0123 (no zone).
		if len(parts) >= 3 && parts[0] == "" {
			out.Zone = parts[1]
		}
	case "gce":
		// gce://project/zone/name
		if len(parts) == 3 && parts[0] != "" {
			out.Zone = parts[1]
		}
	}
	return out
}

// OnPremises is the provider key for nodes without a providerID.
const OnPremises = "on-premises"

// ProviderKey is the key of the profile's provider table for a
// providerID: its scheme, or "on-premises" when it is empty.
func (p ProviderID) ProviderKey() string {
	if strings.TrimSpace(p.Raw) == "" {
		return OnPremises
	}
	return p.Scheme
}
