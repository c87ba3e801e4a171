package collect_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/mesh"
)

// The tests of this package share one API server; each keeps to a
// namespace of its own, and none depends on another's objects.
func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

func admin(c *testcluster.Cluster) *collect.Connection {
	return &collect.Connection{Config: c.AdminConfig(), Context: "admin"}
}

func liveCollect(t *testing.T, opts collect.LiveOptions) *collect.Snapshot {
	t.Helper()
	opts.Now = time.Now()
	s, err := collect.FromCluster(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func coverage(t *testing.T, s *collect.Snapshot, key string) collect.Coverage {
	t.Helper()
	c, ok := s.CoverageOf(key)
	if !ok {
		t.Fatalf("no coverage for %s", key)
	}
	return c
}

// recorder wraps a transport and keeps the request paths and every byte
// received.
type recorder struct {
	mu       sync.Mutex
	requests []string
	body     bytes.Buffer
	next     http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req.URL.RequestURI())
	r.body.Write(data)
	return resp, err
}

func recorded(c *testcluster.Cluster) (*collect.Connection, *recorder) {
	rec := &recorder{}
	cfg := c.AdminConfig()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { rec.next = rt; return rec }
	return &collect.Connection{Config: cfg}, rec
}

func configMaps(ns string, n int) []collect.Object {
	out := make([]collect.Object, n)
	for i := range out {
		out[i] = collect.Object{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("cm-%04d", i), "namespace": ns},
			"data":     map[string]any{"k": "v"}}
	}
	return out
}

// A list longer than a page is read page by page, completely.
func TestLivePagination(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.Namespace(t, nil)
	const n = 1234
	if err := c.Create(context.Background(), configMaps(ns, n), testcluster.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	conn, rec := recorded(c)
	s := liveCollect(t, collect.LiveOptions{Connection: conn, Namespaces: []string{ns}})
	if cov := coverage(t, s, collect.ConfigMaps); cov.Status != collect.Collected || cov.Count != n {
		t.Fatalf("configmaps coverage %+v, want %d collected", cov, n)
	}
	pages := 0
	for _, r := range rec.requests {
		if strings.HasPrefix(r, "/api/v1/namespaces/"+ns+"/configmaps?") {
			pages++
			if !strings.Contains(r, "limit=500") {
				t.Errorf("request %s does not ask for pages of 500", r)
			}
		}
	}
	if pages != 3 {
		t.Errorf("%d list requests for %d ConfigMaps, want 3 pages of at most 500", pages, n)
	}
	// Every ConfigMap not named like Istio's loses its data.
	for _, o := range s.Resources[collect.ConfigMaps] {
		if _, ok := o["data"]; ok {
			t.Fatalf("ConfigMap %s kept its data", collect.Meta(o).Name)
		}
	}
}

// When the continue token expires between pages (etcd compacted), the
// list starts over and still returns every object once. The API server
// runs without its watch cache here: with it, continued pages come from a
// cached snapshot and compaction never expires them.
func TestLiveContinueExpired(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{APIServerArgs: []string{"--watch-cache=false"}})
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	const n = 1100
	if err := c.Create(ctx, configMaps(ns, n), testcluster.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	conn, rec := recorded(c)
	opts := collect.LiveOptions{Connection: conn, Namespaces: []string{ns}}
	compacted := 0
	collect.SetAfterPage(&opts, func(string) {
		if compacted > 0 {
			return
		}
		compacted++
		// A write moves the revision on; compacting to it makes the
		// token's revision unreadable.
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bump", Namespace: ns}}
		if _, err := c.Admin().CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Error(err)
		}
		if _, err := c.Compact(ctx); err != nil {
			t.Error(err)
		}
	})
	s := liveCollect(t, opts)
	if cov := coverage(t, s, collect.ConfigMaps); cov.Status != collect.Collected || cov.Count != n+1 {
		t.Fatalf("configmaps coverage %+v, want %d collected", cov, n+1)
	}
	var lists []string
	for _, r := range rec.requests {
		if strings.HasPrefix(r, "/api/v1/namespaces/"+ns+"/configmaps?") {
			lists = append(lists, strings.Split(r, "?")[1])
		}
	}
	// First page, expired continuation, then a full pass of three pages.
	if len(lists) != 5 || !strings.Contains(lists[1], "continue=") || strings.Contains(lists[2], "continue=") {
		t.Errorf("list requests %q, want page 1, an expired continuation, then pages 1 to 3", lists)
	}
}

// Secret contents never reach tilsyn: Secrets are listed as metadata only,
// and the snapshot keeps nothing but apiVersion, kind and metadata.
func TestLiveSecretsMetadataOnly(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	const value = "do-not-read-me-4711"
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "istio-ca-secret", Namespace: ns, Labels: map[string]string{"a": "b"}},
		StringData: map[string]string{"ca-key.pem": value}, Type: corev1.SecretTypeOpaque}
	if _, err := c.Admin().CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	conn, rec := recorded(c)
	s := liveCollect(t, collect.LiveOptions{Connection: conn, Namespaces: []string{ns}})
	for _, leak := range []string{value, "ZG8tbm90LXJlYWQtbWUtNDcxMQ"} { // plain and base64
		if bytes.Contains(rec.body.Bytes(), []byte(leak)) {
			t.Errorf("the Secret's data (%s) was received from the API server", leak)
		}
	}
	secrets := s.Resources[collect.Secrets]
	if len(secrets) != 1 {
		t.Fatalf("%d secrets, want 1", len(secrets))
	}
	for k := range secrets[0] {
		if k != "apiVersion" && k != "kind" && k != "metadata" {
			t.Errorf("Secret keeps %q", k)
		}
	}
	if secrets[0]["kind"] != "Secret" || secrets[0]["apiVersion"] != "v1" || collect.Meta(secrets[0]).Labels["a"] != "b" {
		t.Errorf("Secret metadata not kept: %v", secrets[0])
	}
}

const sample = `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: NS
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"secret":"x"}'
data:
  mesh: |-
    rootNamespace: istio-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: NS
  labels: {app: api}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api}
      annotations: {traffic.sidecar.istio.io/excludeInboundPorts: "5432"}
    spec:
      containers:
      - name: api
        image: registry.example/api:1
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: NS}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: api, namespace: NS}
spec:
  selector: {matchLabels: {app: api}}
  mtls: {mode: STRICT}
  portLevelMtls:
    9090: {mode: DISABLE}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: NS}
spec:
  host: api
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 100}}
    loadBalancer: {warmupDurationSecs: 1.5}
    tls: {mode: ISTIO_MUTUAL}
`

// Live objects have the representation manifests have: every field a
// manifest declares is in the live object with the same value and the
// same Go type (numbers as json.Number), and what Sanitize drops is gone.
func TestLiveRepresentationMatchesManifests(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	if err := c.InstallCRDs(ctx, testcluster.IstioCRDs()); err != nil {
		t.Fatal(err)
	}
	ns := c.Namespace(t, nil)
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/sample.yaml", []byte(strings.ReplaceAll(sample, "NS", ns)), 0o644); err != nil {
		t.Fatal(err)
	}
	offline, err := c.CreateFromDir(ctx, dir, testcluster.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	live := liveCollect(t, collect.LiveOptions{Connection: admin(c), Namespaces: []string{ns}})
	checked := 0
	for _, typ := range collect.Registry {
		byName := map[string]collect.Object{}
		for _, o := range live.Resources[typ.Key] {
			byName[collect.Meta(o).Namespace+"/"+collect.Meta(o).Name] = o
		}
		for _, want := range offline.Resources[typ.Key] {
			m := collect.Meta(want)
			got, ok := byName[m.Namespace+"/"+m.Name]
			if !ok {
				t.Errorf("%s %s/%s not collected", typ.Kind, m.Namespace, m.Name)
				continue
			}
			checked++
			// The API server serves the registry's version, whatever
			// version the manifest was written in.
			delete(want, "apiVersion")
			if err := subset(want, got, typ.Kind+" "+m.Name); err != nil {
				t.Error(err)
			}
			if md := collect.Map(got, "metadata"); md["managedFields"] != nil || collect.Meta(got).Annotations[collect.LastAppliedAnnotation] != "" {
				t.Errorf("%s %s keeps managedFields or the last-applied annotation", typ.Kind, m.Name)
			}
		}
	}
	if checked != 5 {
		t.Errorf("checked %d objects, want 5", checked)
	}
}

// subset checks that every value in want is in got, with the same type.
func subset(want, got any, path string) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %T, want an object", path, got)
		}
		for k, v := range w {
			if err := subset(v, g[k], path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %#v, want %d items", path, got, len(w))
		}
		for i := range w {
			if err := subset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		if fmt.Sprintf("%T %v", want, want) != fmt.Sprintf("%T %v", got, got) {
			return fmt.Errorf("%s: got %T %v, want %T %v", path, got, got, want, want)
		}
	}
	return nil
}

// What RBAC forbids is recorded as forbidden, with the API server's
// reason, and the rest is collected.
func TestLiveForbidden(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	var rules []rbacv1.PolicyRule
	for _, typ := range collect.Registry {
		if typ.Key != collect.Secrets && typ.Key != collect.PersistentVolumes {
			rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{typ.Group}, Resources: []string{typ.Key}, Verbs: []string{"get", "list"}})
		}
	}
	tok, err := c.RestrictedToken(ctx, ns, "no-secrets-no-pvs", rules)
	if err != nil {
		t.Fatal(err)
	}
	s := liveCollect(t, collect.LiveOptions{Connection: &collect.Connection{Config: c.Config(tok)}})
	for _, cov := range s.Coverage {
		switch cov.Resource {
		case collect.Secrets, collect.PersistentVolumes:
			if cov.Status != collect.Forbidden || !strings.Contains(cov.Reason, `cannot list resource "`+cov.Resource+`"`) {
				t.Errorf("%s: %+v, want forbidden with the API server's reason", cov.Resource, cov)
			}
		default:
			if cov.Status == collect.Forbidden || cov.Status == collect.Failed {
				t.Errorf("%s: %+v", cov.Resource, cov)
			}
		}
	}
	if s.Metadata.Cluster == nil || s.Metadata.Cluster.UID == "" || !strings.HasPrefix(s.Metadata.Cluster.ServerVersion, "v1.") {
		t.Errorf("cluster identity %+v", s.Metadata.Cluster)
	}
}

// A type that cannot be listed within --timeout is recorded as failed,
// not dropped and not fatal.
func TestLiveTimeout(t *testing.T) {
	c := testcluster.Shared(t)
	// One request a second: discovery takes the first seconds, and most
	// types cannot be listed before the deadline.
	s, err := collect.FromCluster(context.Background(), collect.LiveOptions{
		Connection: admin(c), QPS: 1, Burst: 1, Timeout: 4 * time.Second, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, cov := range s.Coverage {
		if cov.Status == collect.Failed {
			failed++
			if !strings.Contains(cov.Reason, "timed out") {
				t.Errorf("%s: reason %q, want a timeout", cov.Resource, cov.Reason)
			}
			if len(s.Resources[cov.Resource]) != 0 {
				t.Errorf("%s: partial list kept", cov.Resource)
			}
		}
	}
	if failed == 0 {
		t.Error("no type timed out")
	}
}

// A cluster that cannot be used at all is an error that says why.
func TestLiveUnusable(t *testing.T) {
	c := testcluster.Shared(t)
	closed := &rest.Config{Host: "https://127.0.0.1:1", TLSClientConfig: rest.TLSClientConfig{CAData: c.CA}}
	cases := []struct {
		name string
		opts collect.LiveOptions
		want string
	}{
		{"unreachable", collect.LiveOptions{Connection: &collect.Connection{Config: closed}}, "cannot reach the API server at https://127.0.0.1:1"},
		{"bad token", collect.LiveOptions{Connection: &collect.Connection{Config: c.Config("wrong"), Context: "ci"}}, "(context ci) rejected the credentials (401 Unauthorized)"},
		{"unknown namespace", collect.LiveOptions{Connection: admin(c), Namespaces: []string{"no-such-namespace"}}, `namespace "no-such-namespace" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collect.FromCluster(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// A snapshot kept encoded is written exactly as the decoded one.
func TestLiveEncodedMatchesDecoded(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.Namespace(t, map[string]string{"tilsyn.io/personal-data": "true"})
	if err := c.Create(context.Background(), configMaps(ns, 30), testcluster.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	opts := collect.LiveOptions{Connection: admin(c), Namespaces: []string{ns}, Now: time.Now()}
	decoded, err := collect.FromCluster(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := collect.FromClusterEncoded(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := decoded.Encode(&a); err != nil {
		t.Fatal(err)
	}
	if err := encoded.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("encoded snapshot differs from the decoded one:\n%s", cmp.Diff(a.String(), b.String()))
	}
	if _, err := collect.FromClusterEncoded(context.Background(), collect.LiveOptions{Connection: admin(c), Namespaces: []string{"nope"}}); err == nil {
		t.Error("an unknown namespace is not an error")
	}
}

// Pods read live are grouped under their top controller through the
// ownerReferences (and uids) the API server holds: Pod → ReplicaSet →
// Deployment, Pod → Job → CronJob.
func TestLivePodsGroupedByController(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	labels := map[string]string{"app": "api"}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example/api:1"}}}}
	owner := func(kind, name string, uid types.UID) []metav1.OwnerReference {
		yes := true
		apiVersion := "apps/v1"
		if kind == "Job" || kind == "CronJob" {
			apiVersion = "batch/v1"
		}
		return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &yes}}
	}
	apps, batch, core := c.Admin().AppsV1(), c.Admin().BatchV1(), c.Admin().CoreV1()
	dep, err := apps.Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := apps.ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "api-7d9f", OwnerReferences: owner("Deployment", "api", dep.UID)},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cj, err := batch.CronJobs(ns).Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "export"},
		Spec: batchv1.CronJobSpec{Schedule: "0 2 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: jobTemplate(tmpl)}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	job, err := batch.Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "export-1", OwnerReferences: owner("CronJob", "export", cj.UID)},
		Spec: batchv1.JobSpec{Template: jobTemplate(tmpl)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range [][]metav1.OwnerReference{owner("ReplicaSet", rs.Name, rs.UID), owner("ReplicaSet", rs.Name, rs.UID), owner("Job", job.Name, job.UID)} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Labels: labels, OwnerReferences: o}, Spec: tmpl.Spec}
		if o[0].Kind == "Job" {
			pod.Spec = jobTemplate(tmpl).Spec
		}
		if _, err := core.Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s := liveCollect(t, collect.LiveOptions{Connection: admin(c), Namespaces: []string{ns}})
	res, err := mesh.Resolve(s)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, w := range res.Workloads {
		if w.Namespace == ns {
			got[w.Kind+"/"+w.Name] = w.Pods
		}
	}
	if diff := cmp.Diff(map[string]int{"Deployment/api": 2, "CronJob/export": 1}, got); diff != "" {
		t.Errorf("workloads and their pods (-want +got):\n%s", diff)
	}
}

func jobTemplate(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	t = *t.DeepCopy()
	t.Spec.RestartPolicy = corev1.RestartPolicyNever
	return t
}
