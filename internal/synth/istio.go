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

	g.doc("v1", "ConfigMap")
	g.ln(0, "data:")
	g.ln(2, "mesh: |-")
	for _, l := range strings.Split(meshConfig, "\n") {
		g.ln(4, l)
	}
	g.ln(2, "meshNetworks: 'networks: {}'")
	g.ln(0, "metadata:")
	g.ln(2, "annotations:")
	g.kv(4, "meta.helm.sh/release-name", "istiod")
	g.kv(4, "meta.helm.sh/release-namespace", ns)
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "labels:")
	g.pairs(4, []pair{
		{"app.kubernetes.io/managed-by", "Helm"}, {"install.operator.istio.io/owning-resource", "unknown"},
		{"istio.io/rev", "default"}, {"operator.istio.io/component", "Pilot"}, {"release", "istiod"},
	})
	g.ln(2, "managedFields:")
	g.mfBegin(2, "v1")
	g.leaves(g.f(6, "data"), "mesh", "meshNetworks")
	g.mfEnd(2, "helm", "Update", "", created)
	g.tail("istio", ns, tagConfigMap, 0)
	g.end()

	g.doc("v1", "ConfigMap")
	g.ln(0, "data:")
	g.ln(2, "root-cert.pem: |")
	for _, l := range strings.Split(strings.TrimSuffix(rootCertPEM(), "\n"), "\n") {
		g.ln(4, l)
	}
	g.ln(0, "metadata:")
	g.kt(2, "creationTimestamp", created.Add(time.Minute))
	g.ln(2, "labels:")
	g.kv(4, "istio.io/config", "true")
	g.ln(2, "managedFields:")
	g.mfBegin(2, "v1")
	g.leaves(g.f(6, "data"), "root-cert.pem")
	g.mfEnd(2, "pilot-discovery", "Update", "", created.Add(time.Minute))
	g.tail("istio-ca-root-cert", ns, tagConfigMap, 1)
	g.end()

	g.doc("v1", "Secret")
	g.ln(0, "metadata:")
	g.kt(2, "creationTimestamp", created.Add(time.Minute))
	g.tail("istio-ca-secret", ns, tagConfigMap, 2)
	g.ln(0, "type: istio.io/ca-root")
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
		g.jraw(`"mtls":{"mode":"` + mode + `"}`)
		sep = ","
	}
	if len(ports) > 0 {
		g.jraw(sep + `"portLevelMtls":{`)
		for i, p := range ports {
			if i > 0 {
				g.jraw(",")
			}
			g.jraw(`"` + itoa(p.port) + `":{"mode":"` + p.mode + `"}`)
		}
		g.jraw("}")
		sep = ","
	}
	if selector != nil {
		g.jraw(sep + `"selector":{"matchLabels":{`)
		for i, p := range selector {
			if i > 0 {
				g.jraw(",")
			}
			g.jraw(`"` + p.k + `":"` + p.v + `"`)
		}
		g.jraw("}}")
	}
	g.jraw("}}")

	g.doc("security.istio.io/v1", "PeerAuthentication")
	g.ln(0, "metadata:")
	g.ln(2, "annotations:")
	g.lastApplied(4)
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "generation: 1")
	g.ln(2, "managedFields:")
	g.mfApplied(2, "security.istio.io/v1", nil)
	sp := g.f(6, "spec")
	g.fdot(sp)
	if mode != "" {
		g.leaves(g.f(sp, "mtls"), "mode")
	}
	if len(ports) > 0 {
		g.leaves(sp, "portLevelMtls")
	}
	if selector != nil {
		g.leaves(sp, "selector")
	}
	g.mfEnd(2, "kubectl-client-side-apply", "Update", "", created)
	g.tail(pa.name, ns.name, tagPA, pa.idx)
	if mode == "" && len(ports) == 0 && selector == nil {
		g.ln(0, "spec: {}")
		g.end()
		return
	}
	g.ln(0, "spec:")
	if mode != "" {
		g.ln(2, "mtls:")
		g.ln(4, "mode: "+mode)
	}
	if len(ports) > 0 {
		g.ln(2, "portLevelMtls:")
		for _, p := range ports {
			g.ln(4, `"`+itoa(p.port)+`":`)
			g.ln(6, "mode: "+p.mode)
		}
	}
	if selector != nil {
		g.ln(2, "selector:")
		g.ln(4, "matchLabels:")
		g.pairs(6, selector)
	}
	g.end()
}

// helmMeta writes the metadata of a Helm-managed Istio resource up to and
// including managedFields' f:metadata; the caller adds f:spec leaves and
// calls mfEnd.
func (g *gen) helmMeta(apiVersion, release string, extra []pair, created time.Time) {
	g.ln(0, "metadata:")
	g.ln(2, "annotations:")
	ann := append([]pair{{"meta.helm.sh/release-name", release}, {"meta.helm.sh/release-namespace", release}}, extra...)
	g.pairs(4, ann)
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "generation: 1")
	g.ln(2, "labels:")
	g.kv(4, "app.kubernetes.io/managed-by", "Helm")
	g.ln(2, "managedFields:")
	g.mfBegin(2, apiVersion)
	md := g.f(6, "metadata")
	g.mfMapKeys(md, "annotations", ann)
	g.mfMapKeys(md, "labels", []pair{{"app.kubernetes.io/managed-by", ""}})
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
	g.helmMeta("networking.istio.io/v1", ns.name, nil, created)
	sp := g.f(6, "spec")
	g.fdot(sp)
	if exportLocal {
		g.leaves(sp, "exportTo")
	}
	g.leaves(sp, "host")
	if subsets {
		g.leaves(sp, "subsets")
	}
	if tls != "" || pool || outlier || portTLS != "" {
		g.leaves(sp, "trafficPolicy")
	}
	g.mfEnd(2, "helm", "Update", "", created)
	g.tail(name, ns.name, tagDR, gi)
	g.ln(0, "spec:")
	if exportLocal {
		g.ln(2, "exportTo:")
		g.ln(2, `- "."`)
	}
	g.kv(2, "host", host)
	if subsets {
		g.ln(2, "subsets:")
		for _, v := range []string{"v1", "v2"} {
			g.ln(2, "- labels:")
			g.ln(6, "version: "+v)
			g.ln(4, "name: "+v)
			if v == "v2" && subsetDisable {
				g.ln(4, "trafficPolicy:")
				g.ln(6, "tls:")
				g.ln(8, "mode: DISABLE")
			}
		}
	}
	if tls == "" && !pool && !outlier && portTLS == "" {
		g.end()
		return
	}
	g.ln(2, "trafficPolicy:")
	if pool {
		g.raw(connectionPool)
	}
	if outlier {
		g.raw(outlierDetection)
	}
	if portTLS != "" {
		g.ln(4, "portLevelSettings:")
		g.ln(4, "- port:")
		g.ki(8, "number", ctl.svcPort)
		g.ln(6, "tls:")
		g.ln(8, "mode: "+portTLS)
	}
	if tls != "" {
		g.ln(4, "tls:")
		g.ln(6, "mode: "+tls)
		if sni != "" {
			g.kv(6, "sni", sni)
		}
	}
	g.end()
}

const connectionPool = `    connectionPool:
      http:
        http2MaxRequests: 1000
        maxRequestsPerConnection: 100
      tcp:
        maxConnections: 100
`

const outlierDetection = `    outlierDetection:
      baseEjectionTime: 30s
      consecutive5xxErrors: 5
      interval: 30s
`

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
	g.helmMeta("networking.istio.io/v1", ns.name, extra, created)
	sp := g.f(6, "spec")
	g.fdot(sp)
	if exportLocal {
		g.leaves(sp, "exportTo")
	}
	g.leaves(sp, "hosts", "location", "ports", "resolution")
	g.mfEnd(2, "helm", "Update", "", created)
	g.tail("external-api-"+itoa(gi), ns.name, tagSE, gi)
	g.ln(0, "spec:")
	if exportLocal {
		g.ln(2, "exportTo:")
		g.ln(2, `- "."`)
	}
	g.ln(2, "hosts:")
	for _, h := range hosts {
		g.ln(2, "- "+h)
	}
	g.ln(2, "location: MESH_EXTERNAL")
	g.ln(2, "ports:")
	for _, p := range ports {
		g.kv(2, "- name", p.name)
		g.ki(4, "number", p.number)
		g.kv(4, "protocol", p.protocol)
	}
	g.ln(2, "resolution: DNS")
	g.end()
}
