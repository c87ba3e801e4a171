package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// fakeLists serves /api/v1/configmaps in pages of two from a list of
// names. Each full pass over the list gets its own continue tokens
// ("pass1-2" continues pass 1 at item 2); expire says which tokens answer
// 410 Gone, as the API server does once etcd compacted the revision the
// pages come from.
type fakeLists struct {
	mu       sync.Mutex
	names    []string
	pass     int
	expire   func(token string) bool
	requests []string
	accepts  []string
}

func (f *fakeLists) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cont := r.URL.Query().Get("continue")
	f.requests = append(f.requests, "limit="+r.URL.Query().Get("limit")+" continue="+cont)
	f.accepts = append(f.accepts, r.Header.Get("Accept"))
	w.Header().Set("Content-Type", "application/json")
	if cont != "" && f.expire(cont) {
		w.WriteHeader(http.StatusGone)
		json.NewEncoder(w).Encode(map[string]any{
			"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410,
			"message": "The provided continue parameter is too old to display a consistent list result.",
		})
		return
	}
	start := 0
	if cont == "" {
		f.pass++
	} else {
		fmt.Sscanf(cont, "pass%d-%d", new(int), &start)
	}
	end := min(start+2, len(f.names))
	var items []map[string]any
	for _, n := range f.names[start:end] {
		items = append(items, map[string]any{
			"metadata": map[string]any{"name": n, "namespace": "ns", "managedFields": []any{map[string]any{"manager": "kubectl"}}},
			"data":     map[string]any{"k": "v"},
		})
	}
	next := ""
	if end < len(f.names) {
		next = fmt.Sprintf("pass%d-%d", f.pass, end)
	}
	json.NewEncoder(w).Encode(map[string]any{
		"kind": "ConfigMapList", "apiVersion": "v1", "metadata": map[string]any{"continue": next}, "items": items,
	})
}

func fakePager(t *testing.T, h http.Handler) *pager {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client, err := rest.UnversionedRESTClientFor(&rest.Config{
		Host: srv.URL,
		ContentConfig: rest.ContentConfig{
			NegotiatedSerializer: scheme.Codecs.WithoutConversion(),
			AcceptContentTypes:   "application/json",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &pager{client: client, pageSize: 2}
}

func keepObject(o Object) (Object, error) { return o, nil }

var configMaps = served{t: registered(ConfigMaps), version: "v1"}

func objectNames(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, Meta(o).Name)
	}
	return out
}

// An expired continue token restarts the list from the beginning: the
// result is one complete pass, without the items of the abandoned one.
func TestPagerRestartsOnExpiredContinue(t *testing.T) {
	f := &fakeLists{names: []string{"a", "b", "c", "d", "e"}, expire: func(tok string) bool { return tok == "pass1-4" }}
	objs, err := listAll(context.Background(), fakePager(t, f), "/api/v1/configmaps", configMaps, false, keepObject)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, objectNames(objs)); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	wantRequests := []string{
		"limit=2 continue=", "limit=2 continue=pass1-2", "limit=2 continue=pass1-4", // expired
		"limit=2 continue=", "limit=2 continue=pass2-2", "limit=2 continue=pass2-4",
	}
	if diff := cmp.Diff(wantRequests, f.requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	// Every object is stamped and sanitized as it arrives.
	want := Object{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a", "namespace": "ns"}}
	if diff := cmp.Diff(want, objs[0]); diff != "" {
		t.Errorf("object (-want +got):\n%s", diff)
	}
}

// A list whose token keeps expiring gives up with a reason.
func TestPagerGivesUpAfterRestarts(t *testing.T) {
	f := &fakeLists{names: []string{"a", "b", "c"}, expire: func(string) bool { return true }}
	_, err := listAll(context.Background(), fakePager(t, f), "/api/v1/configmaps", configMaps, false, keepObject)
	if err == nil || !strings.Contains(err.Error(), "continue token expired 4 times") {
		t.Fatalf("err = %v, want the restarts to be reported", err)
	}
	if len(f.requests) != 2*(maxRestarts+1) {
		t.Errorf("%d requests, want %d", len(f.requests), 2*(maxRestarts+1))
	}
}

// Secrets are asked for as metadata only, and a server that answers with
// full objects is refused rather than trusted.
func TestPagerMetadataOnly(t *testing.T) {
	f := &fakeLists{names: []string{"a"}, expire: func(string) bool { return false }}
	secrets := served{t: registered(Secrets), version: "v1"}
	_, err := listAll(context.Background(), fakePager(t, f), "/api/v1/secrets", secrets, true, keepObject)
	if err == nil || !strings.Contains(err.Error(), "instead of object metadata only") {
		t.Fatalf("err = %v, want the full list refused", err)
	}
	if len(f.accepts) != 1 || f.accepts[0] != metadataOnly {
		t.Errorf("Accept headers %q, want only %q", f.accepts, metadataOnly)
	}
}

// registered is the registered type with key, which must exist.
func registered(key string) ResourceType {
	t, ok := TypeByKey(key)
	if !ok {
		panic("unregistered type " + key)
	}
	return t
}
