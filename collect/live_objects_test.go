package collect_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/mesh"
)

// What live objects look like: only Secret metadata, the representation
// manifests have, encoded as decoded, grouped by controller.

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
