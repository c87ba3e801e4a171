package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/nodeagent"
	"github.com/tilsyn/tilsyn/nodetuning"
	"github.com/tilsyn/tilsyn/report"
)

// procTree writes a fake proc tree with the given sysctl values (by name)
// and returns its root.
func procTree(t *testing.T, sysctls map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"sys/kernel/osrelease": "6.1.0-test\n",
		"stat":                 "cpu  1 2 3\ncpu0 1 2 3\ncpu1 1 2 3\ncpu2 1 2 3\ncpu3 1 2 3\n",
	}
	for name, v := range sysctls {
		files["sys/"+strings.ReplaceAll(name, ".", "/")] = v + "\n"
	}
	for path, content := range files {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var tunedSysctls = map[string]string{
	"fs.file-max":                      "9223372036854775807",
	"net.netfilter.nf_conntrack_max":   "262144",
	"net.netfilter.nf_conntrack_count": "1000",
	"net.ipv4.tcp_tw_reuse":            "1",
	"net.ipv4.ip_local_port_range":     "1024\t65535",
	"net.ipv4.tcp_keepalive_time":      "600",
	"net.ipv4.tcp_keepalive_intvl":     "60",
	"net.ipv4.tcp_keepalive_probes":    "3",
}

// The node agent as deploy/ runs it, on a real API server: two simulated
// nodes run the agent with the DaemonSet's ServiceAccount and a token
// bound to their pod, a third node has no agent, and a live audit reads
// what they published. The agent can write its own node's record and
// nothing else, and a stale record or a missing one leaves its node not
// assessed, named in the report.
func TestNodeAgentOnTheTestCluster(t *testing.T) {
	ctx := context.Background()
	objs := deployObjects(t)
	ds := find(t, objs, "DaemonSet", "tilsyn-node-agent")
	sa := collect.Meta(find(t, objs, "ServiceAccount", "tilsyn-node-agent"))
	recordNS := collect.Meta(find(t, objs, "Role", "tilsyn-node-agent")).Namespace

	c := testcluster.Start(t, testcluster.Options{})
	if err := c.Create(ctx, objs, testcluster.CreateOptions{IgnoreExisting: true}); err != nil {
		t.Fatal(err)
	}
	// Three nodes; the DaemonSet's pod on the first two, as the scheduler
	// would place them (no kubelet runs them: the agent runs in this test).
	nodes := []struct{ name, region string }{{"node-a", "eu-north-1"}, {"node-b", "eu-north-1"}, {"node-c", "eu-west-1"}}
	for _, n := range nodes {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: map[string]string{"topology.kubernetes.io/region": n.region}}}
		if _, err := c.Admin().CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	podSpec := collect.Map(ds, "spec", "template", "spec")
	tokens := map[string]string{}
	for _, n := range nodes[:2] {
		spec := copyMap(podSpec)
		spec["nodeName"] = n.name
		pod := collect.Object{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "tilsyn-node-agent-" + n.name, "namespace": sa.Namespace},
			"spec":     spec}
		if err := c.Create(ctx, []collect.Object{pod}, testcluster.CreateOptions{}); err != nil {
			t.Fatalf("the DaemonSet's pod is not admitted: %v", err)
		}
		tok, err := c.PodToken(ctx, sa.Namespace, sa.Name, "tilsyn-node-agent-"+n.name)
		if err != nil {
			t.Fatal(err)
		}
		tokens[n.name] = tok
	}

	// The API server enforces a new admission policy once it has loaded
	// it, about a second later; the agents start after that, as they
	// would after `kubectl apply -k deploy/`.
	waitForPolicy(t, c, tokens["node-a"], recordNS)

	agent := func(t *testing.T, token, node string, sysctls map[string]string, now func() time.Time) *nodeagent.Agent {
		t.Helper()
		a, err := nodeagent.New(nodeagent.Options{Proc: procTree(t, sysctls), NodeName: node, Namespace: recordNS, Once: true,
			Config: c.Config(token), Version: "test", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// node-a: kernel defaults for the port range and keepalive time.
	defaults := copyStrings(tunedSysctls)
	defaults["net.ipv4.ip_local_port_range"] = "32768\t60999"
	defaults["net.ipv4.tcp_keepalive_time"] = "7200"
	// The first cycle creates the record, the second updates it.
	for range 2 {
		if err := agent(t, tokens["node-a"], "node-a", defaults, nil).Run(ctx); err != nil {
			t.Fatalf("node-a's agent: %v", err)
		}
	}
	// node-b: its agent last published three hours ago.
	threeHoursAgo := func() time.Time { return time.Now().Add(-3 * time.Hour) }
	if err := agent(t, tokens["node-b"], "node-b", tunedSysctls, threeHoursAgo).Run(ctx); err != nil {
		t.Fatalf("node-b's agent: %v", err)
	}

	t.Run("an agent writes its own record only", func(t *testing.T) {
		// node-a's token, claiming to be node-b or node-c.
		for _, other := range []string{"node-b", "node-c"} {
			err := agent(t, tokens["node-a"], other, tunedSysctls, nil).Run(ctx)
			if err == nil || !strings.Contains(err.Error(), "may only write the ConfigMap tilsyn-node-<node> of the node its token is bound to") {
				t.Errorf("node-a's agent writing %s's record: %v", other, err)
			}
		}
		cs, err := kubernetes.NewForConfig(c.Config(tokens["node-a"]))
		if err != nil {
			t.Fatal(err)
		}
		// The CA bundle pods of the namespace trust: refused by admission.
		apply := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kube-root-ca.crt"},"data":{"ca.crt":"forged"}}`)
		_, err = cs.CoreV1().ConfigMaps(recordNS).Patch(ctx, "kube-root-ca.crt", types.ApplyPatchType, apply, metav1.PatchOptions{FieldManager: "x"})
		if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
			t.Errorf("apply kube-root-ca.crt with an agent's token: %v, want refused", err)
		}
		// Nothing to read, nothing to delete, nowhere else.
		if _, err := cs.CoreV1().ConfigMaps(recordNS).Get(ctx, "tilsyn-node-node-a", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("get own record: %v, want forbidden", err)
		}
		if err := cs.CoreV1().ConfigMaps(recordNS).Delete(ctx, "tilsyn-node-node-b", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("delete another record: %v, want forbidden", err)
		}
		for _, ns := range []string{recordNS, sa.Namespace, "default"} {
			for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"} {
				for _, resource := range []string{"configmaps", "secrets", "pods", "nodes"} {
					want := ns == recordNS && resource == "configmaps" && slices.Contains([]string{"create", "patch"}, verb)
					allowed, err := c.Can(ctx, sa.Namespace, sa.Name, authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: resource})
					if err != nil {
						t.Fatal(err)
					}
					if allowed != want {
						t.Errorf("%s %s in %s: allowed %v, want %v (deploy/node-agent-role.yaml)", verb, resource, ns, allowed, want)
					}
				}
			}
		}
	})

	t.Run("hardened pod", func(t *testing.T) {
		// Apart from hostNetwork, which the node's net settings need, the
		// agent's pod passes the "restricted" Pod Security level of the
		// tilsyn namespace.
		spec := copyMap(podSpec)
		delete(spec, "hostNetwork")
		delete(spec, "dnsPolicy")
		pod := collect.Object{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "restricted-check", "namespace": recordNS}, "spec": spec}
		if err := c.Create(ctx, []collect.Object{pod}, testcluster.CreateOptions{DryRun: true}); err != nil {
			t.Errorf("the agent's pod without hostNetwork does not pass restricted: %v", err)
		}
		if !collect.Bool(podSpec, "hostNetwork") || len(collect.List(podSpec, "volumes")) != 0 {
			t.Errorf("hostNetwork %v, volumes %v: want the node's network namespace and no volume", podSpec["hostNetwork"], podSpec["volumes"])
		}
		tol := collect.List(podSpec, "tolerations")
		if len(tol) != 1 || collect.Str(tol[0].(map[string]any), "operator") != "Exists" || collect.Str(tol[0].(map[string]any), "key") != "" {
			t.Errorf("tolerations %v: want one that tolerates every taint", tol)
		}
		container := collect.List(podSpec, "containers")[0].(map[string]any)
		if collect.Str(collect.Map(container, "resources", "limits"), "memory") == "" || collect.Str(collect.Map(container, "resources", "limits"), "cpu") == "" {
			t.Errorf("resources %v: want limits", container["resources"])
		}
		if cmd := collect.List(container, "command"); len(cmd) != 1 || cmd[0] != "/tilsyn-node-agent" {
			t.Errorf("command %v: want the small agent binary", cmd)
		}
	})

	t.Run("the records as published", func(t *testing.T) {
		cm, err := c.Admin().CoreV1().ConfigMaps(recordNS).Get(ctx, nodetuning.ConfigMapName("node-a"), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range nodeagent.Labels() {
			if cm.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, cm.Labels[k], v)
			}
		}
		rec, err := nodetuning.FromConfigMap(cm.Name, cm.Data)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Node != "node-a" || rec.AgentVersion != "test" || rec.Kernel.Value != "6.1.0-test" || rec.CPUs.Value != "4" ||
			rec.Sysctls["net.ipv4.ip_local_port_range"].Value != "32768 60999" || time.Since(rec.CollectedAt) > time.Minute {
			t.Errorf("record %+v", rec)
		}
	})

	t.Run("audit", func(t *testing.T) {
		kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
		if err := c.WriteKubeconfig(kubeconfig, c.AdminToken, "test"); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := run(t, "", "audit", "--kubeconfig", kubeconfig, "--format", "json", "--max-age", "1h", "-q")
		if code == ExitError {
			t.Fatalf("audit: exit 2: %s", errOut)
		}
		r := decodeReport(t, out)
		var res01 *report.Control
		for i := range r.Controls {
			if r.Controls[i].ID == "RES-01" {
				res01 = &r.Controls[i]
			}
		}
		if res01 == nil || res01.Status != evaluate.Fail {
			t.Fatalf("RES-01: %+v", res01)
		}
		var fields []string
		for _, f := range res01.Findings {
			if f.Resource.Name != "node-a" {
				t.Errorf("finding on %s: %s", f.Resource.Name, f.Message)
			}
			fields = append(fields, f.Field)
		}
		slices.Sort(fields)
		if want := []string{"sysctl net.ipv4.ip_local_port_range", "sysctl net.ipv4.tcp_keepalive_time"}; !slices.Equal(fields, want) {
			t.Errorf("findings on %v, want %v", fields, want)
		}
		gaps := map[string]string{}
		for _, g := range res01.NotAssessed {
			if g.Resource != nil {
				gaps[g.Resource.Name] = g.Reason
			}
		}
		if !strings.Contains(gaps["node-b"], "older than the maximum age 1h0m0s") || !strings.Contains(gaps["node-c"], "no node agent record") || len(gaps) != 2 {
			t.Errorf("RES-01 not assessed: %v", gaps)
		}
		rows := map[string]report.NodeTuningRow{}
		for _, row := range r.Inventory.NodeTuning {
			rows[row.Node] = row
		}
		if a := rows["node-a"]; a.Record != evaluate.RecordUsed || a.Region != "eu-north-1" || a.Kernel != "6.1.0-test" || a.AgeSeconds == nil || len(a.Settings) != 8 {
			t.Errorf("node table, node-a: %+v", a)
		}
		if b := rows["node-b"]; b.Record != evaluate.RecordStale || b.AgeSeconds == nil || *b.AgeSeconds < 3*3600-60 {
			t.Errorf("node table, node-b: %+v", b)
		}
		if c := rows["node-c"]; c.Record != evaluate.RecordMissing || c.Region != "eu-west-1" {
			t.Errorf("node table, node-c: %+v", c)
		}
		// A longer --max-age makes node-b's record evidence.
		out, _, _ = run(t, "", "audit", "--kubeconfig", kubeconfig, "--format", "json", "--max-age", "4h", "-q")
		for _, row := range decodeReport(t, out).Inventory.NodeTuning {
			if row.Node == "node-b" && row.Record != evaluate.RecordUsed {
				t.Errorf("node-b with --max-age 4h: %+v", row)
			}
		}
	})
}

// waitForPolicy waits until the API server refuses node-a's agent a
// ConfigMap that is not its own (a dry run).
func waitForPolicy(t *testing.T, c *testcluster.Cluster, token, namespace string) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config(token))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"tilsyn-node-elsewhere"}}`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := cs.CoreV1().ConfigMaps(namespace).Patch(context.Background(), "tilsyn-node-elsewhere", types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: "probe", DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), "may only write") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the admission policy of deploy/node-agent-admission.yaml is not enforced after 30s: last write: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// copyMap copies a decoded object deeply enough to set top-level fields.
func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyStrings(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
