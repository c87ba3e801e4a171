package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// records returns the decision log records of one object.
func (s *syncBuffer) records(namespace, name string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(s.b.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "admission decision" {
			continue
		}
		if rec["namespace"] == namespace && rec["name"] == name {
			out = append(out, rec)
		}
	}
	return out
}

// warnings collects the warnings the API server relays to a client.
type warningLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningLog) HandleWarningHeader(code int, agent, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// deployManifest reads one object of deploy/webhook.
func deployManifest(t *testing.T, file string, into any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "deploy", "webhook", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

var (
	gvrPA     = schema.GroupVersionResource{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"}
	gvrDeploy = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrNS     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

// deployment is a Deployment whose sidecar has resources (RES-03), with
// extra pod template annotations.
func deployment(ns, name string, labels, annotations map[string]any) *unstructured.Unstructured {
	ann := map[string]any{"sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyMemory": "128Mi",
		"sidecar.istio.io/proxyCPULimit": "500m", "sidecar.istio.io/proxyMemoryLimit": "256Mi"}
	for k, v := range annotations {
		ann[k] = v
	}
	tplMeta := map[string]any{"labels": labels, "annotations": ann}
	match := map[string]any{"app": labels["app"]}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": match},
			"template": map[string]any{"metadata": tplMeta, "spec": map[string]any{
				"containers": []any{map[string]any{"name": "app", "image": "registry.example/app:1",
					"ports": []any{map[string]any{"containerPort": int64(8080)}}}},
			}},
		},
	}}
}

func peerAuth(ns, name string, selector map[string]any, mode string) *unstructured.Unstructured {
	spec := map[string]any{"mtls": map[string]any{"mode": mode}}
	if selector != nil {
		spec["selector"] = map[string]any{"matchLabels": selector}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
		"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec,
	}}
}

// TestEndToEnd runs the webhook in front of a real kube-apiserver, which
// calls it over TLS on loopback (the webhook configuration of
// deploy/webhook, pointed at https://127.0.0.1:PORT with the test CA as
// caBundle). The webhook's informers read the cluster with the
// ServiceAccount of deploy/webhook/clusterrole.yaml.
func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := testcluster.Start(t, testcluster.Options{})
	if err := c.InstallCRDs(ctx, testcluster.IstioCRDs()); err != nil {
		t.Fatal(err)
	}
	admin, err := dynamic.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	create := func(t *testing.T, client dynamic.Interface, gvr schema.GroupVersionResource, o *unstructured.Unstructured) error {
		t.Helper()
		var ri dynamic.ResourceInterface = client.Resource(gvr)
		if o.GetNamespace() != "" {
			ri = client.Resource(gvr).Namespace(o.GetNamespace())
		}
		_, err := ri.Create(ctx, o, metav1.CreateOptions{})
		return err
	}
	ns := func(name string, labels map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": name, "labels": labels}}}
	}
	for _, o := range []*unstructured.Unstructured{
		ns("istio-system", nil),
		ns("tilsyn", nil),
		ns("shop", map[string]any{"tilsyn.io/personal-data": "true", "istio-injection": "enabled"}),
		ns("sandbox", map[string]any{"tilsyn.io/personal-data": "true", "tilsyn.io/exempt": "true"}),
	} {
		if err := create(t, admin, gvrNS, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := create(t, admin, gvrPA, peerAuth("istio-system", "default", nil, "STRICT")); err != nil {
		t.Fatal(err)
	}
	t.Run("deploy/webhook accepted by the API server", func(t *testing.T) { checkDeploy(ctx, t, c) })

	// The webhook's informers, with the deployed ClusterRole only.
	var role rbacv1.ClusterRole
	deployManifest(t, "clusterrole.yaml", &role)
	token, err := c.RestrictedToken(ctx, "tilsyn", "tilsyn-webhook", role.Rules)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the ServiceAccount only reads", func(t *testing.T) { checkReadOnly(ctx, t, c, "tilsyn", "tilsyn-webhook") })
	var log syncBuffer
	logger := slog.New(slog.NewJSONHandler(&log, nil))
	state := NewState()
	informers, err := StartInformers(ctx, c.Config(token), state, logger)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, waitCancel := context.WithTimeout(ctx, 60*time.Second)
	defer waitCancel()
	if err := informers.WaitReady(waitCtx); err != nil {
		t.Fatal(err)
	}
	for _, typ := range collect.Registry {
		if cov := state.coverage[typ.Key]; typ.Group != "velero.io" && cov.Status != collect.Collected {
			t.Errorf("%s: %s %s: the deployed ClusterRole does not let the informers read it", typ.Key, cov.Status, cov.Reason)
		}
	}

	e, p := testEngine(t)
	judge, err := NewJudge(ctx, e, p, state, JudgeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	handler := NewHandler(judge, Options{
		Policy: Policy{Default: Enforce, Controls: map[string]Mode{"MESH-05": Warn, "MESH-04": DryRun}},
		Exempt: Exemptions{Namespaces: []string{"kube-system", "tilsyn"},
			Selector: labels.SelectorFromSet(labels.Set{"tilsyn.io/exempt": "true"}),
			Users:    []string{"system:serviceaccount:tilsyn:tilsyn-webhook"}},
		Log:   logger,
		Ready: informers.Ready,
	})
	dir := t.TempDir()
	ca := newTestCA(t)
	ca.issue(t, dir, 100)
	cert, err := LoadCertificate(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), logger)
	if err != nil {
		t.Fatal(err)
	}
	go cert.Watch(ctx, 50*time.Millisecond)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	serveCtx, stopServing := context.WithCancel(ctx)
	go func() {
		served <- Serve(serveCtx, l, ServerOptions{Certificate: cert, Handler: handler, Ready: informers.Ready, Log: logger,
			ShutdownDelay: 10 * time.Millisecond, ShutdownTimeout: 5 * time.Second})
	}()
	t.Cleanup(func() {
		stopServing()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	url := "https://" + l.Addr().String() + PathValidate

	// The deployed webhook configuration, pointed at the test server.
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	deployManifest(t, "validatingwebhookconfiguration.yaml", &vwc)
	for i := range vwc.Webhooks {
		vwc.Webhooks[i].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca.pem}
		fail := admissionregistrationv1.Fail // failures must show in this test
		vwc.Webhooks[i].FailurePolicy = &fail
	}
	if _, err := c.Admin().AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// A client that keeps the warnings the API server relays.
	var warned warningLog
	cfg := c.AdminConfig()
	cfg.WarningHandler = &warned
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The API server starts calling a new webhook within a second or so:
	// wait until the webhook has seen a request.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		name := "probe-" + strconv.Itoa(i)
		if err := create(t, client, gvrDeploy, deployment("shop", name, map[string]any{"app": "probe"}, nil)); err != nil {
			t.Fatal(err)
		}
		if len(log.records("shop", name)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the API server never called the webhook")
		}
		time.Sleep(200 * time.Millisecond)
	}
	warned.take()
	waitFor := func(t *testing.T, key, ns, name string) {
		t.Helper()
		typ, _ := collect.TypeByKey(key)
		for end := time.Now().Add(10 * time.Second); ; {
			if _, ok := state.Get(typ, ns, name); ok {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("the informers never saw %s %s/%s", key, ns, name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	t.Run("compliant object admitted", func(t *testing.T) {
		if err := create(t, client, gvrDeploy, deployment("shop", "api", map[string]any{"app": "api"}, nil)); err != nil {
			t.Fatal(err)
		}
		recs := log.records("shop", "api")
		if len(recs) != 1 || recs[0]["decision"] != decisionAllow {
			t.Errorf("decision log %v", recs)
		}
		waitFor(t, collect.Deployments, "shop", "api")
	})

	t.Run("violating object denied with the control id", func(t *testing.T) {
		err := create(t, client, gvrPA, peerAuth("shop", "api-plaintext", map[string]any{"app": "api"}, "DISABLE"))
		if err == nil {
			t.Fatal("a PeerAuthentication disabling mTLS for a personal-data workload was admitted")
		}
		for _, want := range []string{"denied the request", "MESH-02", "Deployment shop/api accepts DISABLE", "remediation"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if _, err := admin.Resource(gvrPA).Namespace("shop").Get(ctx, "api-plaintext", metav1.GetOptions{}); err == nil {
			t.Error("the denied PeerAuthentication exists")
		}
	})

	t.Run("warn mode admits with a warning", func(t *testing.T) {
		o := deployment("shop", "cache", map[string]any{"app": "cache"},
			map[string]any{"traffic.sidecar.istio.io/excludeInboundPorts": "6379"})
		if err := create(t, client, gvrDeploy, o); err != nil {
			t.Fatalf("a warn-mode finding denied the request: %v", err)
		}
		got := warned.take()
		if len(got) != 1 || !strings.Contains(got[0], "MESH-05") || !strings.Contains(got[0], "6379") {
			t.Errorf("warnings %q, want one naming MESH-05 and the port", got)
		}
	})

	t.Run("dryrun admits and logs", func(t *testing.T) {
		o := deployment("shop", "batch", map[string]any{"app": "batch", "sidecar.istio.io/inject": "false"}, nil)
		if err := create(t, client, gvrDeploy, o); err != nil {
			t.Fatalf("a dryrun-mode finding denied the request: %v", err)
		}
		if got := warned.take(); len(got) != 0 {
			t.Errorf("dryrun warned: %q", got)
		}
		recs := log.records("shop", "batch")
		if len(recs) != 1 || recs[0]["decision"] != decisionDryRun || !strings.Contains(toJSON(recs[0]["dryrun"]), "MESH-04") {
			t.Errorf("decision log %v, want a dryrun decision naming MESH-04", recs)
		}
	})

	t.Run("exempt namespace untouched", func(t *testing.T) {
		if err := create(t, client, gvrDeploy, deployment("sandbox", "api", map[string]any{"app": "api"}, nil)); err != nil {
			t.Fatal(err)
		}
		if err := create(t, client, gvrPA, peerAuth("sandbox", "api-plaintext", map[string]any{"app": "api"}, "DISABLE")); err != nil {
			t.Fatalf("a change in an exempt namespace was denied: %v", err)
		}
		if recs := log.records("sandbox", "api-plaintext"); len(recs) != 0 {
			t.Errorf("the API server sent a request of an exempt namespace: %v", recs)
		}
	})

	t.Run("informers read objects as a live collection does", func(t *testing.T) {
		secret := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": "db-password", "namespace": "shop"}, "stringData": map[string]any{"password": "hunter2"}}}
		if err := create(t, admin, schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, secret); err != nil {
			t.Fatal(err)
		}
		waitFor(t, collect.Secrets, "shop", "db-password")
		live, err := collect.FromCluster(ctx, collect.LiveOptions{Connection: &collect.Connection{Config: c.Config(token)}, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		cached := state.Snapshot()
		for _, typ := range collect.Registry {
			want, _ := json.Marshal(live.Resources[typ.Key])
			got, _ := json.Marshal(cached.Resources[typ.Key])
			if !bytes.Equal(want, got) {
				t.Errorf("%s: the informers' objects differ from a live collection's:\n%s", typ.Key, cmp.Diff(string(want), string(got)))
			}
		}
		if o, _ := state.Get(mustType(collect.Secrets), "shop", "db-password"); o["data"] != nil || o["stringData"] != nil {
			t.Errorf("a Secret's contents reached the webhook: %v", o)
		}
	})

	t.Run("certificate rotated without failed requests", func(t *testing.T) {
		var calls, failures atomic.Int64
		var firstErr atomic.Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					// Server-side dry run: admitted by the webhook, stored nowhere.
					o := peerAuth("shop", "rotation", map[string]any{"app": "api"}, "STRICT")
					_, err := client.Resource(gvrPA).Namespace("shop").Create(ctx, o, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
					calls.Add(1)
					if err != nil {
						failures.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
			}()
		}
		time.Sleep(time.Second)
		before := cert.Reloads()
		ca.issue(t, dir, 200)
		for end := time.Now().Add(10 * time.Second); cert.Reloads() == before; {
			if time.Now().After(end) {
				t.Fatal("the rotated certificate was never loaded")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// New connections get the new certificate.
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca.pem)
		conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		serial := conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
		conn.Close()
		if serial != 200 {
			t.Errorf("new connections get certificate %d, want the rotated 200", serial)
		}
		time.Sleep(time.Second)
		close(stop)
		wg.Wait()
		if calls.Load() < 10 || failures.Load() > 0 {
			t.Errorf("%d requests through the rotation, %d failed (first: %v)", calls.Load(), failures.Load(), firstErr.Load())
		}
		t.Logf("%d requests through the rotation, none failed", calls.Load())
	})
}

func mustType(key string) collect.ResourceType {
	t, _ := collect.TypeByKey(key)
	return t
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
