package transfer

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/profile"
)

const cluster = `
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |-
    defaultProviders:
      tracing: [otel]
    defaultConfig:
      tracing:
        zipkin: {address: "zipkin.istio-system:9411"}
    extensionProviders:
    - name: otel
      opentelemetry: {service: otel.tracing-saas.example, port: 4317}
    - name: local
      zipkin: {service: jaeger-collector.observability.svc.cluster.local, port: 9411}
    - name: authz
      envoyExtAuthzGrpc: {service: opa.auth.svc.cluster.local, port: 9191}
    - name: unused
      datadog: {service: intake.datadoghq.com, port: 443}
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: pay}
---
apiVersion: v1
kind: Namespace
metadata: {name: tools}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: card-api
  namespace: pay
  annotations: {tilsyn.io/transfer-basis: " SCC "}
spec:
  hosts: [api.stripe.com, files.stripe.com]
  location: MESH_EXTERNAL
  ports:
  - {number: 443, name: https, protocol: HTTPS}
  - {number: 80, name: http-plain}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: card-api, namespace: pay}
spec:
  host: files.stripe.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: partner
  namespace: tools
  annotations: {tilsyn.io/destination-country: "NO", tilsyn.io/transfer-basis: contract}
spec:
  hosts: [partner.example.no]
  exportTo: ["."]
  location: MESH_EXTERNAL
  ports: [{number: 5432, name: tcp-db, protocol: TCP}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: internal, namespace: pay}
spec:
  hosts: [vm.internal]
  location: MESH_INTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: saas-tracing
  namespace: istio-system
  annotations: {tilsyn.io/transfer-basis: dpf}
spec:
  hosts: [otel.tracing-saas.example]
  location: MESH_EXTERNAL
  ports: [{number: 4317, name: grpc, protocol: GRPC}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: local-traces, namespace: pay}
spec:
  tracing:
  - providers: [{name: local}]
    randomSamplingPercentage: 5
`

func setup(t *testing.T) (*collect.Snapshot, *mesh.Result, Options) {
	t.Helper()
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{"-"}, Stdin: strings.NewReader(cluster), Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mesh.Resolve(s)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := profile.Load("eea")
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.Transfers.Destinations = map[string]string{"*.stripe.com": "US"}
	return s, m, Options{Resolver: geo.New(p), InScope: func(ns string) bool { return ns == "pay" }, Namespaces: []string{"istio-system", "pay", "tools"}}
}

func TestDestinations(t *testing.T) {
	s, m, opts := setup(t)
	ds := Destinations(s, m, opts)
	type row struct {
		Host, Protocol, Mode, Country string
		Port                          int
		Encrypted, PD                 bool
	}
	var got []row
	for _, d := range ds {
		got = append(got, row{d.Host, d.Protocol, d.TLS.Mode, d.Country, d.Port, d.Encrypted, d.PersonalData})
	}
	want := []row{
		{"otel.tracing-saas.example", "GRPC", "PLAINTEXT", geo.Unknown, 4317, false, true},
		{"api.stripe.com", "HTTPS", "PLAINTEXT", "US", 443, true, true},
		{"api.stripe.com", "HTTP", "PLAINTEXT", "US", 80, false, true},
		{"files.stripe.com", "HTTPS", "PLAINTEXT", "US", 443, true, true},
		{"files.stripe.com", "HTTP", "SIMPLE", "US", 80, true, true},
		{"partner.example.no", "TCP", "PLAINTEXT", "NO", 5432, false, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	card := ds[1]
	if card.Basis == nil || card.Basis.Value != "scc" || !card.Basis.Valid || card.Basis.DeclaredBy != DeclaredByOwner ||
		card.CountrySource != "profile spec.transfers.destinations[*.stripe.com]" || card.Allowed || card.Adequacy || card.Field != "spec.hosts[0]" {
		t.Errorf("card-api = %+v (basis %+v)", card, card.Basis)
	}
	if f := ds[4]; !f.TLSOrigination || f.TLS.Rule != "pay/card-api" {
		t.Errorf("files.stripe.com:80 = %+v", f)
	}
	partner := ds[5]
	if partner.Basis.Valid || partner.Basis.Value != "contract" || !partner.Allowed || !strings.Contains(partner.CountrySource, "declared by the resource owner") {
		t.Errorf("partner = %+v (basis %+v)", partner, partner.Basis)
	}
}

func TestSinks(t *testing.T) {
	s, m, opts := setup(t)
	sinks := Sinks(s, m, Destinations(s, m, opts), opts)
	byName := map[string]Sink{}
	for _, sk := range sinks {
		byName[sk.Name+"/"+sk.Type] = sk
	}
	if len(sinks) != 4 {
		t.Fatalf("%d sinks, want otel, local, unused and the legacy zipkin tracer (not ext-authz): %+v", len(sinks), sinks)
	}
	otel := byName["otel/opentelemetry"]
	if otel.InCluster || otel.Destination == nil || !cmp.Equal(otel.ReferencedBy, []string{"meshConfig.defaultProviders.tracing"}) ||
		otel.Field != "meshConfig.extensionProviders[0].opentelemetry.service" || otel.Port != 4317 {
		t.Fatalf("otel = %+v", otel)
	}
	if d := otel.Destination; d.Basis == nil || d.Basis.Value != "dpf" || d.Source.Name != "istio" || d.Country != geo.Unknown {
		t.Errorf("otel destination = %+v", d)
	}
	if l := byName["local/zipkin"]; !l.InCluster || l.Destination != nil || !cmp.Equal(l.ReferencedBy, []string{"Telemetry pay/local-traces"}) {
		t.Errorf("local = %+v", l)
	}
	if u := byName["unused/datadog"]; u.InCluster || len(u.ReferencedBy) != 0 {
		t.Errorf("unused = %+v", u)
	}
	if z := byName["defaultConfig.tracing/zipkin"]; !z.InCluster || z.Service != "zipkin.istio-system" || z.Port != 9411 {
		t.Errorf("legacy tracer = %+v", z)
	}
}

func TestProtocolInference(t *testing.T) {
	for name, want := range map[string]string{"https-api": "HTTPS", "grpc": "GRPC", "tcp-db": "TCP", "web": "TCP", "": "TCP", "http2-x": "HTTP2"} {
		if got := protocolOf(map[string]any{"name": name}); got != want {
			t.Errorf("protocolOf(%q) = %s, want %s", name, got, want)
		}
	}
	if got := protocolOf(map[string]any{"name": "http", "protocol": "tls"}); got != "TLS" {
		t.Errorf("declared protocol: %s", got)
	}
}
