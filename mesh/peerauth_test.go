package mesh

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
)

// snapshot builds a snapshot from YAML documents.
func snapshot(t *testing.T, docs ...string) *collect.Snapshot {
	t.Helper()
	s, err := collect.FromManifests(collect.ManifestOptions{
		Paths: []string{"-"},
		Stdin: strings.NewReader(strings.Join(docs, "\n---\n")),
		Now:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func resolve(t *testing.T, docs ...string) *Result {
	t.Helper()
	r, err := Resolve(snapshot(t, docs...))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rows returns "ns/Kind/name:port=MODE(policy)" for every row.
func rows(r *Result) []string {
	var out []string
	for _, row := range r.Rows {
		out = append(out, row.Namespace+"/"+row.Workload.Kind+"/"+row.Workload.Name+":"+strconv.Itoa(row.Port)+"="+row.Mode+"("+row.Policy+")")
	}
	return out
}

func ns(name string, labels ...string) string {
	l := ""
	for i := 0; i+1 < len(labels); i += 2 {
		l += "\n    " + labels[i] + ": " + quote(labels[i+1])
	}
	if l != "" {
		l = "\n  labels:" + l
	}
	return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + l
}

func quote(s string) string { return "\"" + s + "\"" }

// deploy is a Deployment in namespace ns whose pods carry app=<name> plus
// the extra labels given.
func deploy(ns, name string, labels ...string) string {
	l := "\n        app: " + name
	for i := 0; i+1 < len(labels); i += 2 {
		l += "\n        " + labels[i] + ": " + quote(labels[i+1])
	}
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: ` + ns + `
spec:
  selector:
    matchLabels:
      app: ` + name + `
  template:
    metadata:
      labels:` + l + `
    spec:
      containers:
      - name: app
        image: example/app
        ports:
        - containerPort: 8080
        - containerPort: 9090`
}

// pa is a PeerAuthentication; selector is "k=v" or "", created an RFC 3339
// time or "", body the spec lines after the selector.
func pa(ns, name, selector, created, body string) string {
	md := "metadata:\n  name: " + name + "\n  namespace: " + ns
	if created != "" {
		md += "\n  creationTimestamp: \"" + created + "\""
	}
	spec := "spec:"
	if selector != "" {
		kv := strings.SplitN(selector, "=", 2)
		spec += "\n  selector:\n    matchLabels:\n      " + kv[0] + ": " + kv[1]
	}
	if body != "" {
		spec += "\n" + body
	}
	if spec == "spec:" {
		spec = "spec: {}"
	}
	return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n" + md + "\n" + spec
}

func mode(m string) string { return "  mtls:\n    mode: " + m }

func meshConfig(body string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n" + indent(body, "    ")
}

func indent(s, pre string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
}

func checkRows(t *testing.T, r *Result, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, rows(r)); diff != "" {
		t.Errorf("mTLS rows (-want +got):\n%s", diff)
	}
}

// Rule 5: with no policy at all, a workload accepts PERMISSIVE (istiod's
// starting point) and the row names "default".
func TestNoPolicyIsPermissive(t *testing.T) {
	r := resolve(t, ns("pay", "istio-injection", "enabled"), deploy("pay", "api"))
	checkRows(t, r, "pay/Deployment/api:0=PERMISSIVE(default)")
}

// Rules 1 and 3: a policy without selector in the root namespace is
// mesh-wide; the root namespace defaults to istio-system.
func TestMeshLevelPolicy(t *testing.T) {
	r := resolve(t, deploy("pay", "api"), pa("istio-system", "default", "", "", mode("STRICT")))
	checkRows(t, r, "pay/Deployment/api:0=STRICT(istio-system/default)")
	if r.PeerAuthentication.Mesh == nil || r.PeerAuthentication.Mesh.Name != "default" {
		t.Errorf("mesh-level winner = %+v, want istio-system/default", r.PeerAuthentication.Mesh)
	}
}

// Rule 1: meshConfig.rootNamespace moves the root; a selector-less policy in
// istio-system is then an ordinary namespace policy.
func TestCustomRootNamespace(t *testing.T) {
	r := resolve(t,
		meshConfig("rootNamespace: mesh-root"),
		deploy("pay", "api"),
		deploy("istio-system", "gw"),
		pa("mesh-root", "mesh", "", "", mode("STRICT")),
		pa("istio-system", "default", "", "", mode("DISABLE")),
	)
	checkRows(t, r,
		"istio-system/Deployment/gw:0=DISABLE(istio-system/default)",
		"pay/Deployment/api:0=STRICT(mesh-root/mesh)")
	if r.Config.RootNamespace != "mesh-root" {
		t.Errorf("root namespace = %q", r.Config.RootNamespace)
	}
}

// Rules 3 and 5: namespace level overrides mesh level; workload level
// overrides namespace level.
func TestLevelsOverrideInOrder(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"), deploy("pay", "ledger"), deploy("auth", "login"),
		pa("istio-system", "default", "", "", mode("STRICT")),
		pa("pay", "ns", "", "", mode("PERMISSIVE")),
		pa("pay", "ledger", "app=ledger", "", mode("DISABLE")),
	)
	checkRows(t, r,
		"auth/Deployment/login:0=STRICT(istio-system/default)",
		"pay/Deployment/api:0=PERMISSIVE(pay/ns)",
		"pay/Deployment/ledger:0=DISABLE(pay/ledger)")
}

// Rule 2: a selector applies only when its labels are a subset of the
// workload's; policies in other namespaces never apply.
func TestSelectorMustBeSubset(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api", "tier", "web"), deploy("pay", "worker"),
		pa("pay", "web", "tier=web", "", mode("STRICT")),
		pa("other", "ns", "", "", mode("DISABLE")),
	)
	checkRows(t, r,
		"pay/Deployment/api:0=STRICT(pay/web)",
		"pay/Deployment/worker:0=PERMISSIVE(default)")
}

// Rule 3: a root-namespace policy WITH a selector is ignored entirely.
func TestRootNamespaceSelectorIgnored(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"),
		pa("istio-system", "api-off", "app=api", "", mode("DISABLE")),
	)
	checkRows(t, r, "pay/Deployment/api:0=PERMISSIVE(default)")
	if got := len(r.PeerAuthentication.IgnoredSelectors); got != 1 {
		t.Errorf("ignored root selectors = %d, want 1", got)
	}
}

// Rule 4: among policies of one level the oldest creationTimestamp wins;
// the younger ones are reported as conflicts.
func TestOldestWinsAtSameLevel(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"),
		pa("pay", "young", "", "2024-05-01T00:00:00Z", mode("DISABLE")),
		pa("pay", "old", "", "2023-01-01T00:00:00Z", mode("STRICT")),
	)
	checkRows(t, r, "pay/Deployment/api:0=STRICT(pay/old)")
	want := []Conflict{{Level: LevelNamespace, Namespace: "pay", Winner: "pay/old", Ignored: []string{"pay/young"},
		Refs: []Ref{{collect.PeerAuthentications, 1}}}}
	if diff := cmp.Diff(want, r.PeerAuthentication.Conflicts); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
}

// Rule 4: equal timestamps are ordered by namespace/name.
func TestTieBrokenByName(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"),
		pa("pay", "b-policy", "app=api", "2024-01-01T00:00:00Z", mode("DISABLE")),
		pa("pay", "a-policy", "app=api", "2024-01-01T00:00:00Z", mode("STRICT")),
	)
	checkRows(t, r, "pay/Deployment/api:0=STRICT(pay/a-policy)")
	if len(r.PeerAuthentication.Conflicts) != 1 || r.PeerAuthentication.Conflicts[0].Level != LevelWorkload {
		t.Errorf("conflicts = %+v, want one workload-level conflict", r.PeerAuthentication.Conflicts)
	}
}

// Rule 4 at workload level: different selectors that both match the same
// workload conflict too.
func TestWorkloadConflictDifferentSelectors(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api", "tier", "web"),
		pa("pay", "by-app", "app=api", "2024-01-01T00:00:00Z", mode("STRICT")),
		pa("pay", "by-tier", "tier=web", "2025-01-01T00:00:00Z", mode("PERMISSIVE")),
	)
	checkRows(t, r, "pay/Deployment/api:0=STRICT(pay/by-app)")
	c := r.PeerAuthentication.Conflicts
	if len(c) != 1 || c[0].Winner != "pay/by-app" || c[0].Ignored[0] != "pay/by-tier" {
		t.Errorf("conflicts = %+v", c)
	}
}

// Rule 5: UNSET (or an absent mtls block) inherits from the level above.
func TestUnsetInherits(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"), deploy("auth", "login"),
		pa("istio-system", "default", "", "", mode("STRICT")),
		pa("pay", "ns", "", "", mode("UNSET")),
		pa("auth", "ns", "", "", ""),
	)
	checkRows(t, r,
		"auth/Deployment/login:0=STRICT(istio-system/default)",
		"pay/Deployment/api:0=STRICT(istio-system/default)")
}

// Rules 6 and 7: port-level modes come from the winning workload policy;
// an UNSET port inherits the workload's resolved mode.
func TestPortLevelFromWorkloadPolicy(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"),
		pa("pay", "ns", "", "", mode("STRICT")),
		pa("pay", "api", "app=api", "", "  portLevelMtls:\n    9090:\n      mode: DISABLE\n    8080:\n      mode: UNSET"),
	)
	checkRows(t, r,
		"pay/Deployment/api:0=STRICT(pay/ns)",
		"pay/Deployment/api:8080=STRICT(pay/ns)",
		"pay/Deployment/api:9090=DISABLE(pay/api)")
}

// Rule 6: portLevelMtls on a namespace-level policy has no effect.
func TestPortLevelIgnoredWithoutSelector(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"),
		pa("pay", "ns", "", "", mode("STRICT")+"\n  portLevelMtls:\n    8080:\n      mode: DISABLE"),
	)
	checkRows(t, r, "pay/Deployment/api:0=STRICT(pay/ns)")
}

// Rule 6: keys are container ports; a key that is not one is noted.
func TestPortLevelKeyNotContainerPort(t *testing.T) {
	r := resolve(t,
		deploy("pay", "api"),
		pa("pay", "api", "app=api", "", mode("STRICT")+"\n  portLevelMtls:\n    80:\n      mode: DISABLE"),
	)
	checkRows(t, r, "pay/Deployment/api:0=STRICT(pay/api)", "pay/Deployment/api:80=DISABLE(pay/api)")
	if !strings.Contains(r.Rows[1].Note, "not a declared container port") {
		t.Errorf("note = %q", r.Rows[1].Note)
	}
}

// Rule 8: in ambient mode DISABLE is not supported; ztunnel accepts
// plaintext, which the inventory reports as PERMISSIVE with a note.
func TestAmbientDisable(t *testing.T) {
	r := resolve(t,
		ns("amb", "istio.io/dataplane-mode", "ambient"),
		deploy("amb", "api"),
		pa("amb", "plain", "", "", mode("DISABLE")),
	)
	checkRows(t, r, "amb/Deployment/api:0=PERMISSIVE(amb/plain)")
	if !r.Rows[0].Ambient || r.Rows[0].Sidecar || r.Rows[0].Note == "" {
		t.Errorf("row = %+v, want ambient with a note", r.Rows[0])
	}
}

// Workloads in the root namespace see only mesh-level policies.
func TestRootNamespaceWorkload(t *testing.T) {
	r := resolve(t,
		deploy("istio-system", "istiod"),
		pa("istio-system", "default", "", "", mode("PERMISSIVE")),
	)
	checkRows(t, r, "istio-system/Deployment/istiod:0=PERMISSIVE(istio-system/default)")
}

// An invalid mode is rejected as istiod's validation would.
func TestInvalidModeIsAnError(t *testing.T) {
	_, err := Resolve(snapshot(t, pa("pay", "bad", "", "", mode("STRIKT"))))
	if err == nil || !strings.Contains(err.Error(), "PeerAuthentication pay/bad") {
		t.Fatalf("err = %v, want an error naming the policy", err)
	}
}

// Encrypted requires STRICT and a dataplane.
func TestEncryptedNeedsSidecar(t *testing.T) {
	r := resolve(t,
		ns("pay", "istio-injection", "enabled"), ns("legacy"),
		deploy("pay", "api"), deploy("legacy", "batch"),
		pa("istio-system", "default", "", "", mode("STRICT")),
	)
	got := map[string]bool{}
	for _, row := range r.Rows {
		got[row.Workload.Name] = row.Encrypted
	}
	if !got["api"] || got["batch"] {
		t.Errorf("encrypted = %v, want api only", got)
	}
}
