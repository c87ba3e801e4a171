package transfer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
)

// Sink is a telemetry extension provider of the mesh configuration
// (meshConfig.extensionProviders): where traces, logs or metrics go.
type Sink struct {
	Name string `json:"name"`
	// Type is the provider's kind (opentelemetry, zipkin, datadog, ...).
	Type string `json:"type"`
	// Field is the path of the provider's service within meshConfig.
	Field   string `json:"field"`
	Service string `json:"service,omitempty"`
	Port    int    `json:"port,omitempty"`
	// InCluster: Service names a Service of this cluster.
	InCluster bool `json:"inCluster"`
	// ReferencedBy lists what sends data to the sink: the mesh's
	// defaultProviders and Telemetry resources ("Telemetry ns/name").
	// A sink nothing references receives nothing.
	ReferencedBy []string `json:"referencedBy"`
	// Destination describes a sink outside the cluster like any other
	// destination (country, basis); nil for sinks inside it.
	Destination *Destination `json:"destination,omitempty"`
}

// telemetryTypes are the extension provider kinds that export telemetry
// (ext-authz providers, also extension providers, do not).
var telemetryTypes = map[string]bool{
	"zipkin": true, "lightstep": true, "datadog": true, "stackdriver": true, "opencensus": true, "skywalking": true,
	"opentelemetry": true, "prometheus": true, "envoyFileAccessLog": true, "envoyHttpAls": true, "envoyTcpAls": true,
	"envoyOtelAls": true,
}

// Sinks lists the telemetry providers of the mesh configuration. Sinks
// outside the cluster get a Destination: when a MESH_EXTERNAL
// ServiceEntry declares the host, its country and basis are used.
func Sinks(s *collect.Snapshot, m *mesh.Result, dests []Destination, opts Options) []Sink {
	providers, _ := m.Config.Raw["extensionProviders"].([]any)
	refs := references(s, m)
	namespaces := map[string]bool{}
	for _, n := range opts.Namespaces {
		namespaces[n] = true
	}
	hosts := byHost(dests)
	cmNS, cmName, _ := strings.Cut(m.Config.Source, "/")
	out := []Sink{}
	for i, raw := range providers {
		pm, _ := raw.(map[string]any)
		name, _ := pm["name"].(string)
		for typ, cfg := range pm {
			if !telemetryTypes[typ] {
				continue
			}
			cm, _ := cfg.(map[string]any)
			sk := Sink{Name: name, Type: typ, Field: fmt.Sprintf("meshConfig.extensionProviders[%d].%s", i, typ),
				ReferencedBy: refs[name]}
			if sk.ReferencedBy == nil {
				sk.ReferencedBy = []string{}
			}
			sk.Service, _ = cm["service"].(string)
			if n, ok := collect.ToInt(cm["port"]); ok {
				sk.Port = int(n)
			}
			switch {
			case sk.Service != "":
				sk.Field += ".service"
				sk.InCluster = inCluster(sk.Service, m.Config.DomainSuffix, namespaces)
			case typ == "stackdriver":
				// Google Cloud Operations: outside the cluster, named by no host.
			default:
				sk.InCluster = true // file access logs and Prometheus stay on the node
			}
			if !sk.InCluster {
				d := external(sk, cmNS, cmName, dests, hosts, m, opts)
				sk.Destination = &d
			}
			out = append(out, sk)
		}
	}
	// The legacy tracer of the proxy configuration, used when tracing is
	// on and no Telemetry resource chooses a provider.
	if tr, ok := collect.Get(m.Config.Raw, "defaultConfig", "tracing").(map[string]any); ok {
		for _, typ := range []string{"zipkin", "datadog", "lightstep"} {
			addr := collect.Str(tr, typ, "address")
			if addr == "" {
				continue
			}
			host, port := splitHostPort(addr)
			sk := Sink{Name: "defaultConfig.tracing", Type: typ, Field: "meshConfig.defaultConfig.tracing." + typ + ".address",
				Service: host, Port: port, InCluster: inCluster(host, m.Config.DomainSuffix, namespaces),
				ReferencedBy: []string{"meshConfig.defaultConfig.tracing"}}
			if !sk.InCluster {
				d := external(sk, cmNS, cmName, dests, hosts, m, opts)
				sk.Destination = &d
			}
			out = append(out, sk)
		}
	}
	return out
}

// external describes a sink outside the cluster as a destination.
func external(sk Sink, cmNS, cmName string, dests []Destination, hosts map[string][]int, m *mesh.Result, opts Options) Destination {
	p := opts.Resolver.Profile()
	d := Destination{Source: Resource{Kind: "ConfigMap", Namespace: cmNS, Name: cmName}, Field: sk.Field,
		Host: sk.Service, Port: sk.Port, Protocol: sk.Type, Country: geo.Unknown, PersonalData: true}
	if idx := hosts[sk.Service]; len(idx) > 0 && sk.Service != "" {
		se := dests[idx[0]]
		d.Country, d.CountrySource, d.Basis = se.Country, se.CountrySource, se.Basis
		if d.CountrySource != "" {
			d.CountrySource += " on ServiceEntry " + se.Source.Namespace + "/" + se.Source.Name
		}
	} else if sk.Service != "" {
		d.Country, d.CountrySource = destinationCountry(sk.Service, nil, opts.Resolver)
	}
	d.TLS = m.ClientTLSFor(m.Config.RootNamespace, sk.Service, m.Config.RootNamespace, uint32(sk.Port), true)
	d.TLSOrigination = d.TLS.Mode == "SIMPLE" || d.TLS.Mode == "MUTUAL"
	d.Encrypted = d.TLSOrigination
	d.Allowed, d.Adequacy = p.AllowsCountry(d.Country), p.HasAdequacy(d.Country)
	return d
}

func splitHostPort(addr string) (string, int) {
	host, port, ok := strings.Cut(addr, ":")
	if !ok {
		return addr, 0
	}
	n, _ := collect.ToInt(port)
	return host, int(n)
}

// references maps provider names to what uses them.
func references(s *collect.Snapshot, m *mesh.Result) map[string][]string {
	out := map[string][]string{}
	add := func(name, by string) {
		for _, x := range out[name] {
			if x == by {
				return
			}
		}
		out[name] = append(out[name], by)
	}
	if dp, ok := m.Config.Raw["defaultProviders"].(map[string]any); ok {
		for _, k := range []string{"tracing", "metrics", "accessLogging"} {
			for _, n := range stringList(dp[k]) {
				add(n, "meshConfig.defaultProviders."+k)
			}
		}
	}
	for _, o := range s.Resources[collect.Telemetries] {
		md := collect.Meta(o)
		for _, k := range []string{"tracing", "metrics", "accessLogging"} {
			for _, e := range collect.List(o, "spec", k) {
				em, _ := e.(map[string]any)
				for _, pr := range collect.List(em, "providers") {
					prm, _ := pr.(map[string]any)
					if n := collect.Str(prm, "name"); n != "" {
						add(n, "Telemetry "+md.Namespace+"/"+md.Name)
					}
				}
			}
		}
	}
	for _, l := range out {
		sort.Strings(l)
	}
	return out
}

// inCluster reports whether a service name is a Service of the cluster:
// a short name, name.namespace, or a name under .svc.
func inCluster(host, domain string, namespaces map[string]bool) bool {
	if !strings.Contains(host, ".") || strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".svc."+domain) {
		return true
	}
	parts := strings.Split(host, ".")
	return len(parts) == 2 && namespaces[parts[1]]
}
