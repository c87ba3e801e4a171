// Package transfer inventories where data can leave the cluster: every
// host of a MESH_EXTERNAL ServiceEntry (with its ports, protocol, whether
// TLS protects it, the country serving it and the transfer basis its owner
// declares) and every telemetry sink of the mesh configuration. This is the
// record of transfers of GDPR Art. 30(1)(e); whether a transfer is
// acceptable is decided by the policies.
package transfer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/profile"
)

// Annotations a resource owner sets on a ServiceEntry.
const (
	// BasisAnnotation declares the legal basis of a transfer (adequacy,
	// dpf, scc, bcr, derogation).
	BasisAnnotation = "tilsyn.io/transfer-basis"
	// CountryAnnotation declares the country serving the hosts.
	CountryAnnotation = "tilsyn.io/destination-country"
)

// Resource names the object that declares a destination.
type Resource struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// Destination is one external host and port: a row of the report's
// inventory.transfers.
type Destination struct {
	// Source declares the destination; Field is where within it.
	Source Resource `json:"source"`
	Field  string   `json:"field"`
	Host   string   `json:"host"`
	// Port is 0 when the source names no port; PortField is its path.
	Port      int    `json:"port"`
	PortName  string `json:"portName,omitempty"`
	PortField string `json:"portField,omitempty"`
	// Protocol is the declared protocol (HTTP, HTTPS, TLS, TCP, GRPC, ...).
	Protocol string `json:"protocol"`
	// TLS is what callers in the source's namespace send toward the host:
	// the DestinationRule istiod applies and its mode; TLSOrigination is
	// true when that mode is SIMPLE or MUTUAL.
	TLS            mesh.ClientTLS `json:"tls"`
	TLSOrigination bool           `json:"tlsOrigination"`
	// Encrypted: the protocol is itself TLS (HTTPS, TLS) or the mesh
	// originates TLS.
	Encrypted bool `json:"encrypted"`
	// Country serves the host: a code or "unknown". CountrySource is the
	// evidence: the profile's destinations table (established by the
	// auditor) or the owner's annotation.
	Country       string `json:"country"`
	CountrySource string `json:"countrySource,omitempty"`
	// Allowed: personal data may be in Country. Adequacy: Country has an
	// adequacy decision.
	Allowed  bool `json:"allowed"`
	Adequacy bool `json:"adequacy"`
	// Basis is the transfer basis declared by the resource owner, nil
	// when none is declared. It is not an auditor's approval (that is a
	// waiver).
	Basis *Basis `json:"basis"`
	// PersonalData: workloads in a personal-data namespace can reach the
	// destination (the source is exported to them).
	PersonalData bool `json:"personalData"`
}

// Basis is a transfer basis declared on a resource.
type Basis struct {
	Value string `json:"value"`
	// Valid: Value is one of the profile's accepted bases.
	Valid bool `json:"valid"`
	// DeclaredBy says who asserts it: always the resource owner.
	DeclaredBy string `json:"declaredBy"`
	Field      string `json:"field"`
}

// DeclaredByOwner is Basis.DeclaredBy.
const DeclaredByOwner = "the resource owner"

// Options are what the inventory is computed with.
type Options struct {
	Resolver *geo.Resolver
	// InScope reports whether a namespace processes personal data;
	// Namespaces lists every namespace, for exportTo "*".
	InScope    func(ns string) bool
	Namespaces []string
}

// Destinations lists every host and port of the MESH_EXTERNAL
// ServiceEntries, in snapshot order.
func Destinations(s *collect.Snapshot, m *mesh.Result, opts Options) []Destination {
	p := opts.Resolver.Profile()
	defaultExport := stringList(m.Config.Raw["defaultServiceExportTo"])
	if len(defaultExport) == 0 {
		defaultExport = []string{"*"}
	}
	var out []Destination
	for _, o := range s.Resources[collect.ServiceEntries] {
		if loc := collect.Str(o, "spec", "location"); loc != "" && loc != "MESH_EXTERNAL" {
			continue
		}
		md := collect.Meta(o)
		src := Resource{Kind: "ServiceEntry", Namespace: md.Namespace, Name: md.Name}
		basis := declaredBasis(md.Annotations, p)
		exportTo := stringList(collect.Get(o, "spec", "exportTo"))
		if len(exportTo) == 0 {
			exportTo = defaultExport
		}
		pd := visibleToPersonalData(md.Namespace, exportTo, opts)
		ports := collect.List(o, "spec", "ports")
		for hi, h := range collect.List(o, "spec", "hosts") {
			host, _ := h.(string)
			country, source := destinationCountry(host, md.Annotations, opts.Resolver)
			add := func(port int, name, protocol, portField string) {
				d := Destination{Source: src, Field: fmt.Sprintf("spec.hosts[%d]", hi), Host: host, Port: port, PortName: name, PortField: portField,
					Protocol: protocol, Country: country, CountrySource: source, Allowed: p.AllowsCountry(country),
					Adequacy: p.HasAdequacy(country), Basis: basis, PersonalData: pd}
				d.TLS = m.ClientTLSFor(md.Namespace, host, md.Namespace, uint32(port), true)
				d.TLSOrigination = d.TLS.Mode == "SIMPLE" || d.TLS.Mode == "MUTUAL"
				d.Encrypted = d.TLSOrigination || tlsProtocol(protocol)
				out = append(out, d)
			}
			if len(ports) == 0 {
				add(0, "", "TCP", "")
			}
			for pi, pt := range ports {
				pm, _ := pt.(map[string]any)
				n, _ := collect.Int(pm, "number")
				add(int(n), collect.Str(pm, "name"), protocolOf(pm), fmt.Sprintf("spec.ports[%d]", pi))
			}
		}
	}
	return out
}

// protocolOf is a ServiceEntry port's protocol: as declared, else inferred
// from its name prefix as Istio does ("https-api"), else TCP.
func protocolOf(port map[string]any) string {
	if p := collect.Str(port, "protocol"); p != "" {
		return strings.ToUpper(p)
	}
	name := strings.ToLower(collect.Str(port, "name"))
	prefix, _, _ := strings.Cut(name, "-")
	switch prefix {
	case "http", "http2", "https", "grpc", "grpc-web", "tls", "mongo", "redis", "mysql", "tcp", "udp":
		return strings.ToUpper(prefix)
	}
	return "TCP"
}

// tlsProtocol reports whether a protocol is TLS on the wire.
func tlsProtocol(p string) bool { return p == "HTTPS" || p == "TLS" }

// destinationCountry finds the country serving a host: the profile's
// destinations first (the auditor's knowledge), then the owner's
// annotation, else unknown.
func destinationCountry(host string, annotations map[string]string, r *geo.Resolver) (string, string) {
	if c, entry, ok := r.Destination(host); ok {
		return c, "profile spec.transfers.destinations[" + entry + "]"
	}
	if c := strings.TrimSpace(annotations[CountryAnnotation]); c != "" {
		field := "metadata.annotations[" + CountryAnnotation + "]"
		if !profile.ValidCountry(c) {
			return geo.Unknown, field + " (declared by " + DeclaredByOwner + ", but " + fmt.Sprintf("%q", c) + " is not an ISO 3166-1 alpha-2 code)"
		}
		return c, field + " (declared by " + DeclaredByOwner + ")"
	}
	return geo.Unknown, ""
}

func declaredBasis(annotations map[string]string, p *profile.Profile) *Basis {
	v, ok := annotations[BasisAnnotation]
	if !ok {
		return nil
	}
	v = strings.ToLower(strings.TrimSpace(v))
	b := &Basis{Value: v, DeclaredBy: DeclaredByOwner, Field: "metadata.annotations[" + BasisAnnotation + "]"}
	for _, ok := range p.Spec.Transfers.Bases {
		b.Valid = b.Valid || v == ok
	}
	return b
}

// visibleToPersonalData reports whether a ServiceEntry exported to
// exportTo from namespace ns is visible to a personal-data namespace.
func visibleToPersonalData(ns string, exportTo []string, opts Options) bool {
	for _, e := range exportTo {
		switch e {
		case "*":
			for _, n := range opts.Namespaces {
				if opts.InScope(n) {
					return true
				}
			}
		case ".":
			if opts.InScope(ns) {
				return true
			}
		case "~":
		default:
			if opts.InScope(e) {
				return true
			}
		}
	}
	return false
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// byHost indexes destinations by host, for sinks declared by ServiceEntries.
func byHost(ds []Destination) map[string][]int {
	out := map[string][]int{}
	for i, d := range ds {
		out[d.Host] = append(out[d.Host], i)
	}
	for _, l := range out {
		sort.Ints(l)
	}
	return out
}
