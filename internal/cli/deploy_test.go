package cli

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/report"
)

// deployObjects reads the objects kustomization.yaml lists in deploy/, and
// checks that it lists every manifest there.
func deployObjects(t *testing.T) []collect.Object {
	t.Helper()
	data, err := os.ReadFile("deploy/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("deploy/*.yaml")
	var paths []string
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		if !slices.Contains(k.Resources, filepath.Base(f)) {
			t.Errorf("%s is not listed in deploy/kustomization.yaml", f)
		}
	}
	for _, r := range k.Resources {
		paths = append(paths, filepath.Join("deploy", r))
	}
	snap, err := collect.FromManifests(collect.ManifestOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	objs := append([]collect.Object(nil), snap.Other...)
	for _, typ := range collect.Registry {
		objs = append(objs, snap.Resources[typ.Key]...)
	}
	return objs
}

// find returns the object of a kind in deploy/ (the one with the given
// name, when a name is given).
func find(t *testing.T, objs []collect.Object, kind string, name ...string) collect.Object {
	t.Helper()
	for _, o := range objs {
		if collect.Str(o, "kind") == kind && (len(name) == 0 || collect.Meta(o).Name == name[0]) {
			return o
		}
	}
	t.Fatalf("deploy/ has no %s %v", kind, name)
	return nil
}

// deploy/ is accepted by a real API server, and the CronJob's
// ServiceAccount can audit with nothing more than its ClusterRole: nothing
// is forbidden, and nothing beyond reading is allowed.
func TestDeploy(t *testing.T) {
	ctx := context.Background()
	objs := deployObjects(t)
	cronJob := find(t, objs, "CronJob")
	podSpec := collect.Map(cronJob, "spec", "jobTemplate", "spec", "template", "spec")
	container := collect.List(podSpec, "containers")[0].(map[string]any)
	sa := collect.Meta(find(t, objs, "ServiceAccount", "tilsyn"))

	c := testcluster.Start(t, testcluster.Options{})
	if err := c.InstallCRDs(ctx, append(testcluster.IstioCRDs(), testcluster.VeleroCRDs()...)); err != nil {
		t.Fatal(err)
	}

	t.Run("server-side dry run", func(t *testing.T) {
		// The namespaces are dry-run too, then created: namespaced objects
		// can only be admitted into a namespace that exists.
		var namespaces []collect.Object
		for _, o := range objs {
			if collect.Str(o, "kind") == "Namespace" {
				namespaces = append(namespaces, o)
			}
		}
		if err := c.Create(ctx, namespaces, testcluster.CreateOptions{DryRun: true}); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, namespaces, testcluster.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if collect.Str(o, "kind") == "Namespace" {
				continue
			}
			if err := c.Create(ctx, []collect.Object{o}, testcluster.CreateOptions{DryRun: true}); err != nil {
				t.Errorf("dry run: %v", err)
			}
		}
		// The pod the CronJob starts passes the namespace's "restricted"
		// Pod Security level, which is enforced on pods only.
		pod := collect.Object{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "tilsyn-audit-check", "namespace": sa.Namespace},
			"spec":     podSpec}
		if err := c.Create(ctx, []collect.Object{pod}, testcluster.CreateOptions{DryRun: true}); err != nil {
			t.Errorf("the CronJob's pod is not admitted: %v", err)
		}
	})
	if t.Failed() {
		return
	}
	if err := c.Create(ctx, objs, testcluster.CreateOptions{IgnoreExisting: true}); err != nil {
		t.Fatal(err)
	}
	token, err := c.Token(ctx, sa.Namespace, sa.Name)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("audit with the CronJob's ServiceAccount", func(t *testing.T) {
		// The pod's view: KUBERNETES_SERVICE_* and the mounted token.
		u, _ := url.Parse(c.URL)
		saDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(saDir, "token"), []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(saDir, "ca.crt"), c.CA, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("KUBERNETES_SERVICE_HOST", u.Hostname())
		t.Setenv("KUBERNETES_SERVICE_PORT", u.Port())
		old := serviceAccountDir
		serviceAccountDir = saDir
		t.Cleanup(func() { serviceAccountDir = old })

		// The CronJob's own arguments, with the evidence volume in a
		// temporary directory.
		evidence := t.TempDir()
		mount := collect.Str(collect.List(container, "volumeMounts")[0].(map[string]any), "mountPath")
		var args []string
		for _, a := range collect.List(container, "args") {
			s := a.(string)
			if s == mount {
				s = evidence
			}
			args = append(args, s)
		}
		for i := range 2 {
			_, errOut, code := run(t, "", args...)
			if code == ExitError {
				t.Fatalf("run %d of %v: exit 2: %s", i+1, args, errOut)
			}
		}
		data, err := os.ReadFile(filepath.Join(evidence, report.Latest, ReportName+".json"))
		if err != nil {
			t.Fatal(err)
		}
		r := decodeReport(t, string(data))
		for _, cov := range r.Coverage {
			if cov.Status != collect.Collected {
				t.Errorf("coverage %s: %s %q: the ClusterRole is not sufficient", cov.Resource, cov.Status, cov.Reason)
			}
		}
		if r.Metadata.Cluster == nil || r.Metadata.Cluster.UID == "" {
			t.Errorf("cluster identity: %+v", r.Metadata.Cluster)
		}
		// The evidence of a live audit re-checks like any other: the
		// snapshot kept beside the report evaluates to the same report.
		if out, errOut, code := run(t, "", "verify", filepath.Join(evidence, report.Latest, ReportName+".json")); code != ExitOK {
			t.Errorf("verify the CronJob's evidence: exit %d\n%s%s", code, out, errOut)
		}
		entries, _ := os.ReadDir(evidence)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if len(names) != 3 { // two audits and latest
			t.Errorf("evidence directory holds %v, want two audit folders and latest", names)
		}
	})

	t.Run("nothing beyond reading", func(t *testing.T) {
		can := func(verb, group, resource, sub string) bool {
			ok, err := c.Can(ctx, sa.Namespace, sa.Name, authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Subresource: sub})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		for _, typ := range collect.Registry {
			for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"} {
				want := verb == "list" || verb == "get" && typ.Key != collect.Secrets
				if got := can(verb, typ.Group, typ.Key, ""); got != want {
					t.Errorf("%s %s.%s allowed = %v, want %v (deploy/clusterrole.yaml)", verb, typ.Key, typ.Group, got, want)
				}
			}
		}
		for _, x := range [][4]string{
			{"create", "", "pods", "exec"}, {"get", "", "pods", "log"}, {"create", "", "serviceaccounts", "token"},
			{"list", "rbac.authorization.k8s.io", "roles", ""}, {"get", "", "serviceaccounts", ""}, {"impersonate", "", "users", ""},
		} {
			if can(x[0], x[1], x[2], x[3]) {
				t.Errorf("%v is allowed", x)
			}
		}
		// And for real, with the token: no Secret by name, no write.
		cfg := c.Config(token)
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "istio-ca-secret", Namespace: sa.Namespace}, StringData: map[string]string{"k": "v"}}
		if _, err := c.Admin().CoreV1().Secrets(sa.Namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Secrets(sa.Namespace).Get(ctx, secret.Name, metav1.GetOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("get Secret with the ServiceAccount's token: err = %v, want forbidden", err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: sa.Namespace}}
		if _, err := cs.CoreV1().ConfigMaps(sa.Namespace).Create(ctx, cm, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("create ConfigMap with the ServiceAccount's token: err = %v, want forbidden", err)
		}
	})

	t.Run("hardened pod", func(t *testing.T) {
		sc := collect.Map(container, "securityContext")
		if !collect.Bool(sc, "readOnlyRootFilesystem") || collect.Bool(sc, "allowPrivilegeEscalation") ||
			!slices.Contains(collect.List(sc, "capabilities", "drop"), any("ALL")) || !collect.Bool(podSpec, "securityContext", "runAsNonRoot") {
			t.Errorf("container securityContext %v, pod securityContext %v", sc, collect.Map(podSpec, "securityContext"))
		}
		args := strings.Join(func() []string {
			var s []string
			for _, a := range collect.List(container, "args") {
				s = append(s, a.(string))
			}
			return s
		}(), " ")
		if !strings.HasPrefix(args, "audit --in-cluster --out /evidence --keep ") {
			t.Errorf("CronJob args %q", args)
		}
	})
}
