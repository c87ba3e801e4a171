package synth

import (
	"strings"
	"time"
)

// Istio's own objects in istio-system and the Istio resources of the mesh:
// PeerAuthentications, DestinationRules and ServiceEntries.

// meshConfig is the `mesh` key of ConfigMap istio-system/istio.
const meshConfig = `accessLogFile: /dev/stdout
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  tracing:
    sampling: 1
enableAutoMtls: true
enablePrometheusMerge: true
extensionProviders:
- name: otel
  opentelemetry:
    port: 4317
    service: otel-collector.observability.svc.cluster.local
meshMTLS:
  minProtocolVersion: TLSV1_2
outboundTrafficPolicy:
  mode: REGISTRY_ONLY
rootNamespace: istio-system
trustDomain: cluster.local`

// istioSystem writes the ConfigMaps istio and istio-ca-root-cert and the
// (data-less) Secret istio-ca-secret that marks istiod's self-signed CA.
func (g *gen) istioSystem() {
	ns := g.p.ns[rootNS].name
	created := base.Add(3 * time.Minute)

	g.begin()
	g.str("apiVersion", "v1")
	g.m("data")
	g.text("mesh", meshConfig)
	g.str("meshNetworks", "networks: {}")
	g.up()
	g.str("kind", "ConfigMap")
	g.m("metadata")
	g.m("annotations")
	g.str("meta.helm.sh/release-name", "istiod")
	g.str("meta.helm.sh/release-namespace", ns)
	g.up()
	g.ts("creationTimestamp", created)
	g.pairs("labels", []pair{
		{"app.kubernetes.io/managed-by", "Helm"}, {"install.operator.istio.io/owning-resource", "unknown"},
		{"istio.io/rev", "default"}, {"operator.istio.io/component", "Pilot"}, {"release", "istiod"},
	})
	g.managed("v1", "helm", "f:data")
	g.tail("istio", ns, tagConfigMap, 0)
	g.up()
	g.end()

	g.begin()
	g.str("apiVersion", "v1")
	g.m("data")
	g.text("root-cert.pem", rootCertPEM())
	g.up()
	g.str("kind", "ConfigMap")
	g.m("metadata")
	g.ts("creationTimestamp", created.Add(time.Minute))
	g.m("labels")
	g.str("istio.io/config", "true")
	g.up()
	g.managed("v1", "pilot-discovery", "f:data")
	g.tail("istio-ca-root-cert", ns, tagConfigMap, 1)
	g.up()
	g.end()

	g.doc("v1", "Secret")
	g.m("metadata")
	g.ts("creationTimestamp", created.Add(time.Minute))
	g.managed("v1", "pilot-discovery", "f:type")
	g.tail("istio-ca-secret", ns, tagConfigMap, 2)
	g.up()
	g.str("type", "istio.io/ca-root")
	g.end()
}

var mtlsModes = []string{"STRICT", "PERMISSIVE", "DISABLE", "UNSET"}

// pick returns an index chosen with the given percentage weights.
func (g *gen) pick(weights ...int) int {
	r := g.rng.IntN(100)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights)
}

type portMode struct {
	port int
	mode string
}

// peerAuthentication writes one PeerAuthentication. A mode of "" leaves the
// mtls block out entirely (inherits, like UNSET).
func (g *gen) peerAuthentication(ns *namespace, pa *peerAuth) {
	var (
		mode     string
		selector []pair
		ports    []portMode
		created  = base.Add(40*24*time.Hour + time.Duration(pa.idx)*17*time.Second)
	)
	switch {
	case pa.idx == 0:
		mode, created = "STRICT", base.Add(10*time.Minute)
	case pa.ctrl == paRootSel:
		mode, selector = "PERMISSIVE", []pair{{"app", "istiod"}}
	case pa.ctrl == paNamespace:
		if k := g.pick(55, 25, 5, 7); k < 4 {
			mode = mtlsModes[k]
		}
	default:
		ctl := &g.p.ctrl[pa.ctrl]
		if k := g.pick(40, 25, 10, 10); k < 4 {
			mode = mtlsModes[k]
		}
		selector = []pair{{"app", ctl.name}}
		if g.rng.IntN(5) == 0 {
			selector = append(selector, pair{"version", ctl.version})
		}
		if g.rng.IntN(4) == 0 {
			ports = append(ports, portMode{ctl.port, mtlsModes[[]int{2, 2, 1, 0, 3}[g.rng.IntN(5)]]})
			if ctl.metrics && g.rng.IntN(2) == 0 {
				ports = append(ports, portMode{9102, "DISABLE"})
			}
		}
	}

	g.jmeta("security.istio.io/v1", "PeerAuthentication")
	g.jname(pa.name, ns.name)
	g.jraw(`,"spec":{`)
	sep := ""
	if mode != "" {
		g.jraw(`"mtls":{"mode":`)
		g.js(mode)
		g.jraw("}")
		sep = ","
	}
	if len(ports) > 0 {
		g.jraw(sep + `"portLevelMtls":{`)
		for i, p := range ports {
			if i > 0 {
				g.jraw(",")
			}
			g.js(itoa(p.port))
			g.jraw(`:{"mode":`)
			g.js(p.mode)
			g.jraw("}")
		}
		g.jraw("}")
		sep = ","
	}
	if selector != nil {
		g.jraw(sep + `"selector":{"matchLabels":`)
		g.jobj(selector)
		g.jraw("}")
	}
	g.jraw("}}")

	g.doc("security.istio.io/v1", "PeerAuthentication")
	g.m("metadata")
	g.m("annotations")
	g.lastApplied()
	g.up()
	g.ts("creationTimestamp", created)
	g.num("generation", 1)
	g.managed("security.istio.io/v1", "kubectl-client-side-apply", "f:spec")
	g.tail(pa.name, ns.name, tagPA, pa.idx)
	g.up()
	g.m("spec")
	if mode != "" {
		g.m("mtls")
		g.str("mode", mode)
		g.up()
	}
	if len(ports) > 0 {
		g.m("portLevelMtls")
		for _, p := range ports {
			g.m(itoa(p.port))
			g.str("mode", p.mode)
			g.up()
		}
		g.up()
	}
	if selector != nil {
		g.m("selector")
		g.pairs("matchLabels", selector)
		g.up()
	}
	g.up()
	g.end()
}

// helmMeta writes the metadata of a Helm-managed Istio resource.
func (g *gen) helmMeta(apiVersion, release string, extra []pair, created time.Time, name, ns string, tag uint64, i int) {
	g.m("metadata")
	g.pairs("annotations", append([]pair{{"meta.helm.sh/release-name", release}, {"meta.helm.sh/release-namespace", release}}, extra...))
	g.ts("creationTimestamp", created)
	g.num("generation", 1)
	g.m("labels")
	g.str("app.kubernetes.io/managed-by", "Helm")
	g.up()
	g.managed(apiVersion, "helm", "f:spec")
	g.tail(name, ns, tag, i)
	g.up()
}

// destinationRule writes DestinationRule k of a namespace. In the root
// namespace the first one is the classic mesh-wide "*.local" ISTIO_MUTUAL
// rule. Elsewhere the host is a local service (short or FQDN), a service of
// another namespace, a namespace wildcard or an external ServiceEntry host.
func (g *gen) destinationRule(ns *namespace, k int) {
	gi := ns.dr0 + k
	created := base.Add(41*24*time.Hour + time.Duration(gi)*19*time.Second)
	var (
		host, name, tls, sni string
		ctl                  *controller
		external             bool
	)
	r := g.rng.IntN(100)
	switch {
	case ns == &g.p.ns[rootNS] && k == 0:
		host, name, tls = "*.local", "default", "ISTIO_MUTUAL"
	case r < 55 && ns.ctrlN > 0:
		ctl = &g.p.ctrl[ns.ctrl0+g.rng.IntN(ns.ctrlN)]
		host = ctl.name
		if g.rng.IntN(2) == 0 {
			host = ctl.name + "." + ns.name + ".svc.cluster.local"
		}
	case r < 70 && len(g.p.ctrl) > 0:
		ctl = &g.p.ctrl[g.rng.IntN(len(g.p.ctrl))]
		host = ctl.name + "." + g.p.ns[ctl.ns].name + ".svc.cluster.local"
	case r < 85 && g.c.ServiceEntries > 0:
		host, external = seHost(g.rng.IntN(g.c.ServiceEntries)), true
		name = "egress-" + strings.ReplaceAll(host, ".", "-")
	default:
		host, name = "*."+ns.name+".svc.cluster.local", "namespace-wide"
	}
	if ctl != nil {
		name = ctl.name
	}
	if name != "default" {
		name += "-" + itoa(k)
	}
	if tls == "" {
		if external {
			if g.rng.IntN(100) < 60 {
				tls, sni = "SIMPLE", host
			}
		} else if t := g.pick(40, 10); t < 2 {
			tls = []string{"ISTIO_MUTUAL", "DISABLE"}[t]
		}
	}
	exportLocal := g.rng.IntN(10) == 0 && k > 0
	pool := g.rng.IntN(10) < 3
	outlier := g.rng.IntN(10) < 2
	var portTLS string
	if ctl != nil && g.rng.IntN(5) == 0 {
		portTLS = []string{"ISTIO_MUTUAL", "DISABLE"}[g.rng.IntN(2)]
	}
	subsets, subsetDisable := ctl != nil && g.rng.IntN(10) < 3, g.rng.IntN(10) == 0

	g.doc("networking.istio.io/v1", "DestinationRule")
	g.helmMeta("networking.istio.io/v1", ns.name, nil, created, name, ns.name, tagDR, gi)
	g.m("spec")
	if exportLocal {
		g.strs("exportTo", ".")
	}
	g.str("host", host)
	if subsets {
		g.l("subsets")
		for _, v := range []string{"v1", "v2"} {
			g.item()
			g.m("labels")
			g.str("version", v)
			g.up()
			g.str("name", v)
			if v == "v2" && subsetDisable {
				g.m("trafficPolicy")
				g.m("tls")
				g.str("mode", "DISABLE")
				g.up()
				g.up()
			}
			g.up()
		}
		g.up()
	}
	if tls != "" || pool || outlier || portTLS != "" {
		g.m("trafficPolicy")
		if pool {
			g.m("connectionPool")
			g.m("http")
			g.num("http2MaxRequests", 1000)
			g.num("maxRequestsPerConnection", 100)
			g.up()
			g.m("tcp")
			g.num("maxConnections", 100)
			g.up()
			g.up()
		}
		if outlier {
			g.m("outlierDetection")
			g.str("baseEjectionTime", "30s")
			g.num("consecutive5xxErrors", 5)
			g.str("interval", "30s")
			g.up()
		}
		if portTLS != "" {
			g.l("portLevelSettings")
			g.item()
			g.m("port")
			g.num("number", ctl.svcPort)
			g.up()
			g.m("tls")
			g.str("mode", portTLS)
			g.up()
			g.up()
			g.up()
		}
		if tls != "" {
			g.m("tls")
			g.str("mode", tls)
			if sni != "" {
				g.str("sni", sni)
			}
			g.up()
		}
		g.up()
	}
	g.up()
	g.end()
}

func seHost(i int) string { return "api-" + itoa(i) + ".example.com" }

var transferBases = []string{"adequacy", "dpf", "scc", "bcr", "derogation"}

type sePort struct {
	number         int
	name, protocol string
}

var sePorts = []sePort{
	{443, "https", "HTTPS"}, {443, "tls", "TLS"}, {80, "http", "HTTP"},
	{5432, "tcp-postgres", "TCP"}, {9092, "tcp-kafka", "TCP"},
}

// serviceEntry writes ServiceEntry k of a namespace: an external API
// (api-<n>.example.com, n numbering ServiceEntries across the cluster),
// MESH_EXTERNAL, resolved by DNS; half declare a transfer basis.
func (g *gen) serviceEntry(ns *namespace, k int) {
	gi := ns.se0 + k
	created := base.Add(42*24*time.Hour + time.Duration(gi)*23*time.Second)
	hosts := []string{seHost(gi)}
	if g.rng.IntN(5) == 0 {
		hosts = append(hosts, "files-"+itoa(gi)+".example.net")
	}
	ports := []sePort{sePorts[g.pick(40, 15, 20, 15)]}
	if g.rng.IntN(4) == 0 {
		if p := sePorts[g.rng.IntN(len(sePorts))]; p.number != ports[0].number {
			ports = append(ports, p)
		}
	}
	var extra []pair
	if g.rng.IntN(2) == 0 {
		extra = append(extra, pair{"tilsyn.io/transfer-basis", transferBases[g.rng.IntN(len(transferBases))]})
	}
	exportLocal := g.rng.IntN(10) == 0

	g.doc("networking.istio.io/v1", "ServiceEntry")
	g.helmMeta("networking.istio.io/v1", ns.name, extra, created, "external-api-"+itoa(gi), ns.name, tagSE, gi)
	g.m("spec")
	if exportLocal {
		g.strs("exportTo", ".")
	}
	g.strs("hosts", hosts...)
	g.str("location", "MESH_EXTERNAL")
	g.l("ports")
	for _, p := range ports {
		g.item()
		g.str("name", p.name)
		g.num("number", p.number)
		g.str("protocol", p.protocol)
		g.up()
	}
	g.up()
	g.str("resolution", "DNS")
	g.up()
	g.end()
}
