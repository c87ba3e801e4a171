package profile

// Spec is what policies read (as data.tilsyn.profile.spec) and what the Go
// facts are derived with. Country codes are ISO 3166-1 alpha-2 ("NO",
// "SE", "GB").
type Spec struct {
	// Extends names a built-in profile this one starts from; fields set
	// here replace the base's (maps merge key by key and a null value
	// removes a key; lists are replaced).
	Extends      string       `json:"extends,omitempty"`
	PersonalData PersonalData `json:"personalData"`
	Location     Location     `json:"location"`
	// Providers is the jurisdiction table of infrastructure providers,
	// keyed by the scheme of a node's spec.providerID ("aws", "gce",
	// "azure", "hcloud", ...). The key "on-premises" describes nodes
	// without a providerID. A provider missing here has an unknown
	// jurisdiction, never an allowed one.
	Providers    map[string]Provider `json:"providers"`
	Transfers    Transfers           `json:"transfers"`
	TLS          TLS                 `json:"tls"`
	Certificates Certificates        `json:"certificates"`
	Tracing      Tracing             `json:"tracing"`
	NodeBaseline NodeBaseline        `json:"nodeBaseline"`
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

// Location says where personal data may be, and holds the facts needed to
// tell where it is.
type Location struct {
	// AllowedCountries are the countries personal data may be stored and
	// processed in.
	AllowedCountries []string `json:"allowedCountries"`
	// AllowedJurisdictions are the countries whose law may govern a
	// provider holding the data without that being a third-country-law
	// exposure (a provider headquartered elsewhere can be compelled by
	// its home country's law wherever the data sits).
	AllowedJurisdictions []string `json:"allowedJurisdictions"`
	// Regions maps region names to countries, in groups: one per provider
	// (keyed like Providers: aws, gce, azure, ...) plus any groups of your
	// own for on-premises sites and regional hosters ("onprem": {"oslo-1":
	// "NO"}). Zones map back to their region (eu-north-1a → eu-north-1,
	// europe-north1-b → europe-north1, oslo-1-rack3 → oslo-1); a name
	// found in no group is unknown, never allowed.
	Regions map[string]map[string]string `json:"regions"`
}

// Provider is one infrastructure provider's identity and jurisdiction.
type Provider struct {
	Name string `json:"name"`
	// Headquarters is the country whose law governs the provider.
	Headquarters string `json:"headquarters"`
	// Domains are the DNS suffixes of the provider's own endpoints
	// (amazonaws.com): a backup URL under one of them is held by this
	// provider.
	Domains []string `json:"domains,omitempty"`
}

// Transfers holds the facts about destinations outside the cluster.
type Transfers struct {
	// Destinations maps external host names (exact, or "*.suffix") to the
	// country that serves them, as established by the auditor. Hosts not
	// listed have an unknown country unless the resource owner declares
	// one (annotation tilsyn.io/destination-country).
	Destinations map[string]string `json:"destinations"`
	// Adequacy lists the countries with an adequacy decision of the
	// European Commission (Art. 45): a basis that must still be declared.
	Adequacy []string `json:"adequacy"`
	// Bases are the accepted values of the annotation
	// tilsyn.io/transfer-basis.
	Bases []string `json:"bases"`
}

// TLS holds the transport security floor.
type TLS struct {
	// MeshMinProtocolVersion is the lowest mesh mTLS and TLS default
	// version accepted: TLSV1_2 or TLSV1_3. Unset (TLS_AUTO) means 1.2.
	MeshMinProtocolVersion string `json:"meshMinProtocolVersion"`
}

// Certificates are the limits the mesh root certificate is held to.
type Certificates struct {
	// MinDaysRemaining: a root expiring sooner is a finding.
	MinDaysRemaining int `json:"minDaysRemaining"`
	MinRSABits       int `json:"minRSABits"`
	// MinECBits applies to ECDSA and Ed25519 keys.
	MinECBits int `json:"minECBits"`
	// MaxValidityDays: a root valid longer (notAfter - notBefore, whole
	// days) is a finding.
	MaxValidityDays int `json:"maxValidityDays"`
}

// Tracing limits what the mesh records about requests.
type Tracing struct {
	// MaxSamplingPercent is the highest trace sampling accepted (0-100):
	// traces carry client IPs and headers.
	MaxSamplingPercent float64 `json:"maxSamplingPercent"`
}

// NodeBaseline is the kernel tuning expected of nodes under a sidecar mesh.
type NodeBaseline struct {
	// Sysctls maps a sysctl name to the rule its value must meet.
	Sysctls map[string]SysctlRule `json:"sysctls"`
	// ConntrackUsageMaxPercent: nf_conntrack_count at or above this share
	// of nf_conntrack_max is a high-severity finding.
	ConntrackUsageMaxPercent float64 `json:"conntrackUsageMaxPercent"`
}

// SysctlRule is exactly one of: a minimum, a maximum, an exact value, or a
// range ("low high") that must cover the given one.
type SysctlRule struct {
	Min         *int64   `json:"min,omitempty"`
	Max         *int64   `json:"max,omitempty"`
	Equals      *string  `json:"equals,omitempty"`
	CoversRange *[]int64 `json:"coversRange,omitempty"`
}
