package mesh

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
)

func dr(ns, name, host, created, body string) string {
	md := "metadata:\n  name: " + name + "\n  namespace: " + ns
	if created != "" {
		md += "\n  creationTimestamp: \"" + created + "\""
	}
	return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n" + md + "\nspec:\n  host: \"" + host + "\"\n" + body
}

func tls(mode string) string { return "  trafficPolicy:\n    tls:\n      mode: " + mode + "\n" }

func svc(ns, name string, ports ...string) string {
	p := ""
	for _, port := range ports {
		p += "\n  - port: " + port
	}
	return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
		"\nspec:\n  selector:\n    app: " + name + "\n  ports:" + p
}

func index(t *testing.T, docs ...string) (*destRuleIndex, *collect.Snapshot) {
	t.Helper()
	s := snapshot(t, docs...)
	cfg, err := ConfigFromSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := decodeDestRules(s, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return indexDestRules(rules, cfg), s
}

const ledger = "ledger.pay.svc.cluster.local"

// Rule 1: the caller's namespace first, then rules exported from the
// service's namespace, then exported rules in the root namespace.
func TestDestinationRuleLookupOrder(t *testing.T) {
	ix, _ := index(t,
		dr("web", "callers-own", "ledger.pay.svc.cluster.local", "", tls("DISABLE")),
		dr("pay", "service-ns", "ledger", "", tls("ISTIO_MUTUAL")),
		dr("istio-system", "root", "*.svc.cluster.local", "", tls("SIMPLE")),
	)
	cases := []struct{ caller, wantRule, wantMode string }{
		{"web", "web/callers-own", "DISABLE"},
		{"batch", "pay/service-ns", "ISTIO_MUTUAL"},
		{"pay", "pay/service-ns", "ISTIO_MUTUAL"},
	}
	for _, c := range cases {
		got := ix.clientTLS(c.caller, ledger, "pay", 8080, "", false, ModeStrict)
		if got.Rule != c.wantRule || got.Mode != c.wantMode {
			t.Errorf("caller %s: got %+v, want %s %s", c.caller, got, c.wantRule, c.wantMode)
		}
	}
	// With no rule in the service namespace the root namespace applies.
	ix2, _ := index(t, dr("istio-system", "root", "*.svc.cluster.local", "", tls("SIMPLE")))
	if got := ix2.clientTLS("batch", ledger, "pay", 8080, "", false, ModeStrict); got.Rule != "istio-system/root" {
		t.Errorf("root fallback: got %+v", got)
	}
}

// Rule 1: exportTo "." keeps a rule to its own namespace.
func TestDestinationRuleExportTo(t *testing.T) {
	ix, _ := index(t, dr("pay", "private", "ledger", "", "  exportTo: [\".\"]\n"+tls("DISABLE")))
	if got := ix.clientTLS("web", ledger, "pay", 8080, "", false, ModeStrict); got.Rule != "" {
		t.Errorf("web sees %+v, want no rule", got)
	}
	if got := ix.clientTLS("pay", ledger, "pay", 8080, "", false, ModeStrict); got.Rule != "pay/private" {
		t.Errorf("pay sees %+v, want pay/private", got)
	}
}

// Rule 1: the most specific host match wins (exact beats wildcard).
func TestDestinationRuleMostSpecificHost(t *testing.T) {
	ix, _ := index(t,
		dr("pay", "all", "*.pay.svc.cluster.local", "", tls("DISABLE")),
		dr("pay", "everything", "*", "", tls("SIMPLE")),
		dr("pay", "exact", "ledger", "", tls("ISTIO_MUTUAL")),
	)
	if got := ix.clientTLS("pay", ledger, "pay", 80, "", false, ModeStrict); got.Rule != "pay/exact" {
		t.Errorf("got %+v, want pay/exact", got)
	}
	if got := ix.clientTLS("pay", "api.pay.svc.cluster.local", "pay", 80, "", false, ModeStrict); got.Rule != "pay/all" {
		t.Errorf("got %+v, want pay/all (longest wildcard)", got)
	}
}

// Rule 2: port-level tls replaces the top level for that port; a subset
// without tls falls back to the top level, a subset with tls uses its own.
func TestDestinationRulePortAndSubset(t *testing.T) {
	ix, _ := index(t, dr("pay", "ledger", "ledger", "", `  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
    portLevelSettings:
    - port:
        number: 9000
      tls:
        mode: DISABLE
    - port:
        number: 9100
      loadBalancer:
        simple: ROUND_ROBIN
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      tls:
        mode: DISABLE
`))
	cases := []struct {
		port             uint32
		subset, wantMode string
		wantField        string
	}{
		{8080, "", "ISTIO_MUTUAL", "spec.trafficPolicy.tls"},
		{9000, "", "DISABLE", "spec.trafficPolicy.portLevelSettings[0].tls"},
		{9100, "", "ISTIO_MUTUAL", "spec.trafficPolicy.tls"},
		{8080, "v1", "ISTIO_MUTUAL", "spec.trafficPolicy.tls"},
		{8080, "v2", "DISABLE", "spec.subsets[1].trafficPolicy.tls"},
	}
	for _, c := range cases {
		got := ix.clientTLS("pay", ledger, "pay", c.port, c.subset, false, ModeStrict)
		if got.Mode != c.wantMode || got.Field != c.wantField {
			t.Errorf("port %d subset %q: got %+v, want %s at %s", c.port, c.subset, got, c.wantMode, c.wantField)
		}
	}
}

// Rule 3: an explicit tls block is used as written; its mode defaults to
// DISABLE.
func TestDestinationRuleExplicitTLS(t *testing.T) {
	ix, _ := index(t, dr("pay", "empty-tls", "ledger", "", "  trafficPolicy:\n    tls: {}\n"))
	if got := ix.clientTLS("pay", ledger, "pay", 80, "", false, ModeStrict); got.Mode != "DISABLE" {
		t.Errorf("got %+v, want DISABLE", got)
	}
}

// Rule 4: without tls, auto mTLS applies unless disabled in meshConfig,
// toward MESH_EXTERNAL services, or toward DISABLE servers.
func TestAutoMTLS(t *testing.T) {
	ix, _ := index(t, dr("pay", "lb-only", "ledger", "", "  trafficPolicy:\n    loadBalancer:\n      simple: LEAST_REQUEST\n"))
	if got := ix.clientTLS("pay", ledger, "pay", 80, "", false, ModeStrict); got.Mode != ClientAutoMTLS || got.Rule != "pay/lb-only" {
		t.Errorf("got %+v, want AUTO_MTLS via pay/lb-only", got)
	}
	if got := ix.clientTLS("pay", ledger, "pay", 80, "", true, ModeStrict); got.Mode != ClientPlaintext {
		t.Errorf("external: got %+v, want PLAINTEXT", got)
	}
	if got := ix.clientTLS("pay", ledger, "pay", 80, "", false, ModeDisable); got.Mode != ClientPlaintext {
		t.Errorf("DISABLE server: got %+v, want PLAINTEXT", got)
	}
	off, _ := index(t, meshConfig("enableAutoMtls: false"))
	if got := off.clientTLS("pay", ledger, "pay", 80, "", false, ModeStrict); got.Mode != ClientPlaintext {
		t.Errorf("auto mTLS off: got %+v, want PLAINTEXT", got)
	}
}

// A DestinationRule forcing DISABLE toward a workload's Service makes its
// rows not encrypted, and names the rule.
func TestClientDisableMarksRows(t *testing.T) {
	r := resolve(t,
		ns("pay", "istio-injection", "enabled"),
		deploy("pay", "ledger"), svc("pay", "ledger", "80"),
		deploy("pay", "api"), svc("pay", "api", "80"),
		pa("istio-system", "default", "", "", mode("STRICT")),
		dr("web", "plain-ledger", "ledger.pay.svc.cluster.local", "", tls("DISABLE")),
	)
	for _, row := range r.Rows {
		switch row.Workload.Name {
		case "ledger":
			if row.Encrypted || len(row.ClientDisable) != 1 || row.ClientDisable[0] != "web/plain-ledger" {
				t.Errorf("ledger row = %+v", row)
			}
		case "api":
			if !row.Encrypted {
				t.Errorf("api row = %+v, want encrypted", row)
			}
		}
	}
	var fact *DestinationRuleFact
	for i := range r.DestinationRules {
		fact = &r.DestinationRules[i]
	}
	if fact == nil || fact.Target != "mesh" || !fact.MeshBackends || fact.ServiceCount != 1 {
		t.Errorf("destination rule fact = %+v", fact)
	}
}

// Host classification: external ServiceEntry hosts and foreign names are
// external, cluster-local names are mesh.
func TestDestinationRuleTarget(t *testing.T) {
	r := resolve(t,
		"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: stripe\n  namespace: pay\nspec:\n  hosts: [api.stripe.com]\n  location: MESH_EXTERNAL\n  ports: [{number: 443, name: https, protocol: TLS}]",
		dr("pay", "stripe", "api.stripe.com", "", tls("SIMPLE")),
		dr("pay", "unknown-local", "nothing-here", "", tls("DISABLE")),
		dr("pay", "elsewhere", "db.example.org", "", tls("SIMPLE")),
	)
	got := map[string]string{}
	for _, f := range r.DestinationRules {
		got[f.Name] = f.Target
	}
	want := map[string]string{"stripe": "external", "unknown-local": "mesh", "elsewhere": "external"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: target %q, want %q", k, got[k], v)
		}
	}
}

// ClientTLSFor finds the TLS a caller originates toward an external host.
func TestClientTLSForExternalHost(t *testing.T) {
	r := resolve(t,
		"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: bank, namespace: pay}\nspec:\n  hosts: [api.bank.example]\n  location: MESH_EXTERNAL\n  ports: [{number: 443, name: tls, protocol: TLS}, {number: 80, name: http, protocol: HTTP}]\n",
		dr("pay", "bank", "api.bank.example", "2024-01-01T00:00:00Z", "  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 80}\n      tls: {mode: SIMPLE}\n"),
	)
	if got := r.ClientTLSFor("pay", "api.bank.example", "pay", 80, true); got.Mode != "SIMPLE" || got.Rule != "pay/bank" || got.Field != "spec.trafficPolicy.portLevelSettings[0].tls" {
		t.Errorf("port 80: %+v", got)
	}
	if got := r.ClientTLSFor("pay", "api.bank.example", "pay", 8080, true); got.Mode != ClientPlaintext || got.Rule != "pay/bank" {
		t.Errorf("port 8080: %+v; auto mTLS never applies to an external host", got)
	}
	if got := r.ClientTLSFor("pay", "other.example", "pay", 443, true); got.Mode != ClientPlaintext || got.Rule != "" {
		t.Errorf("other host: %+v", got)
	}
}

// Wildcard hosts reach the Services whose names end in them, whatever the
// pattern's depth: "*", "*.local" and "*.pay.svc.cluster.local" all cover
// ledger.pay, and none of them covers a name that merely shares a prefix.
func TestWildcardRulesReachServices(t *testing.T) {
	r := resolve(t,
		ns("pay", "istio-injection", "enabled"), ns("shop", "istio-injection", "enabled"),
		deploy("pay", "ledger"), svc("pay", "ledger", "80"),
		deploy("shop", "cart"), svc("shop", "cart", "80"),
		pa("istio-system", "default", "", "", mode("STRICT")),
		dr("web", "everything", "*", "", tls("ISTIO_MUTUAL")),
		dr("web", "local", "*.local", "", tls("ISTIO_MUTUAL")),
		dr("ops", "plain-pay", "*.pay.svc.cluster.local", "", tls("DISABLE")),
		dr("ops", "no-match", "*.ay.svc.cluster.local", "", tls("DISABLE")),
	)
	counts := map[string]int{}
	for _, f := range r.DestinationRules {
		counts[f.Name] = f.ServiceCount
	}
	if diff := cmp.Diff(map[string]int{"everything": 2, "local": 2, "plain-pay": 1, "no-match": 0}, counts); diff != "" {
		t.Errorf("services per rule (-want +got):\n%s", diff)
	}
	for _, row := range r.Rows {
		want := []string(nil)
		if row.Workload.Name == "ledger" {
			want = []string{"ops/plain-pay"}
		}
		if diff := cmp.Diff(want, row.ClientDisable); diff != "" {
			t.Errorf("%s: clientDisable (-want +got):\n%s", row.Workload.Name, diff)
		}
	}
}
