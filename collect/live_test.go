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

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
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
		Connection: admin(c), QPS: 1, Burst: 1, Timeout: 6 * time.Second, Now: time.Now()})
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
