package testcluster

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tilsyn/tilsyn/collect"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// The cluster starts, serves tilsyn's CRDs, creates objects in declared
// creation order, mints restricted tokens, and leaves no process behind.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	c := Start(t, Options{})
	pids := []int{c.api.cmd.Process.Pid, c.etcd.cmd.Process.Pid}

	t.Run("crds", func(t *testing.T) {
		if err := c.InstallCRDs(ctx, append(IstioCRDs(), VeleroCRDs()...)); err != nil {
			t.Fatal(err)
		}
		for _, gvk := range []schema.GroupVersionKind{
			{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"},
			{Group: "security.istio.io", Version: "v1beta1", Kind: "PeerAuthentication"},
			{Group: "networking.istio.io", Version: "v1alpha3", Kind: "DestinationRule"},
			{Group: "velero.io", Version: "v1", Kind: "BackupStorageLocation"},
		} {
			if !c.Serves(gvk) {
				t.Errorf("%s is not served", gvk)
			}
		}
	})

	t.Run("creation order", func(t *testing.T) {
		ns := c.Namespace(t, nil)
		cm := func(name, created string) collect.Object {
			md := map[string]any{"name": name, "namespace": ns}
			if created != "" {
				md["creationTimestamp"] = created
			}
			return collect.Object{"apiVersion": "v1", "kind": "ConfigMap", "metadata": md}
		}
		// Declared order: b, then a, then c (no timestamp: newest).
		objs := []collect.Object{cm("c", ""), cm("a", "2025-01-02T00:00:00Z"), cm("b", "2024-01-01T00:00:00Z")}
		if err := c.Create(ctx, objs, CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		created := map[string]time.Time{}
		for _, n := range []string{"a", "b", "c"} {
			o, err := c.Admin().CoreV1().ConfigMaps(ns).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			created[n] = o.CreationTimestamp.Time
		}
		if !created["b"].Before(created["a"]) || !created["a"].Before(created["c"]) {
			t.Errorf("creation times b=%v a=%v c=%v, want b < a < c", created["b"], created["a"], created["c"])
		}
	})

	t.Run("snapshot of another cluster", func(t *testing.T) {
		ns := c.Namespace(t, nil)
		// As another cluster's API server wrote them: the Job's selector
		// names the uid it got there, the Service an address of its range.
		uid := "0f2e4a8c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
		job := collect.Object{"apiVersion": "batch/v1", "kind": "Job",
			"metadata": map[string]any{"name": "backup-1", "namespace": ns},
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"batch.kubernetes.io/controller-uid": uid}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"batch.kubernetes.io/controller-uid": uid, "job-name": "backup-1"}},
					"spec":     map[string]any{"restartPolicy": "Never", "containers": []any{map[string]any{"name": "backup", "image": "backup:1"}}},
				},
			}}
		svc := collect.Object{"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": "api", "namespace": ns},
			"spec": map[string]any{"clusterIP": "172.30.99.7", "clusterIPs": []any{"172.30.99.7"},
				"ports": []any{map[string]any{"port": json.Number("443")}}}}
		snap := &collect.Snapshot{Resources: map[string][]collect.Object{collect.Jobs: {job}, collect.Services: {svc}}}
		n, err := c.CreateSnapshot(ctx, snap, CreateOptions{})
		if err != nil || n != 2 {
			t.Fatalf("CreateSnapshot: %d objects, %v", n, err)
		}
		if _, err := c.Admin().BatchV1().Jobs(ns).Get(ctx, "backup-1", metav1.GetOptions{}); err != nil {
			t.Error(err)
		}
		got, err := c.Admin().CoreV1().Services(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ip := got.Spec.ClusterIP; ip == "" || ip == "172.30.99.7" {
			t.Errorf("cluster IP %q, want one of this API server's range", ip)
		}
	})

	t.Run("restricted token", func(t *testing.T) {
		ns := c.Namespace(t, nil)
		tok, err := c.RestrictedToken(ctx, ns, "reader", []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		kc := filepath.Join(t.TempDir(), "kubeconfig")
		if err := c.WriteKubeconfig(kc, tok, "reader"); err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", kc)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("list pods: %v", err)
		}
		if _, err := cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("list secrets: err = %v, want forbidden", err)
		}
	})

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if pidAlive(pid) {
			t.Errorf("process %d still alive after Stop", pid)
		}
	}
	if left := Running(); len(left) > 0 {
		t.Errorf("still running: %v", left)
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("%s not removed: %v", c.Dir, err)
	}
}

// Without binaries, starting fails with a message that says what to do.
func TestMissingBinaries(t *testing.T) {
	t.Setenv("KUBE_APISERVER", filepath.Join(t.TempDir(), "nope"))
	_, _, err := Binaries()
	if err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("err = %v, want a hint to run make tools", err)
	}
}
