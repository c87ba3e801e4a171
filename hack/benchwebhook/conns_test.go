package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestConnsPost(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/fail" {
			http.Error(w, "failed: "+string(body), http.StatusInternalServerError)
			return
		}
		w.Write(body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	c := newConns(srv.URL, pool, 1, 2)
	defer c.close()
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := c.post(ctx, "/validate", []byte(`{"i":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n := opened.Load(); n != 1 {
		t.Errorf("5 requests one after another opened %d connections, want 1 kept open", n)
	}
	err := c.post(ctx, "/fail", []byte(`{"x":2}`))
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), `{"x":2}`) {
		t.Errorf("error for HTTP 500: %v", err)
	}
	if err := c.post(ctx, "/validate", []byte(`{}`)); err != nil {
		t.Errorf("after an error answer: %v", err)
	}
}

func TestParseWrk(t *testing.T) {
	out := "Running 10s test @ https://127.0.0.1:1\n" +
		"benchwebhook requests=5000 duration=10000000 p50=1200 p90=3000 p99=9000 max=20000 status=2 connect=0 read=1 write=0 timeout=0\n"
	var r result
	if err := parseWrk(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.answered() != 4998 || r.errors != 3 || r.percentile(0.99) != 9*time.Millisecond || r.rate() != 499.8 {
		t.Errorf("got %d answered, %d errors, p99 %s, %.1f/s", r.answered(), r.errors, r.percentile(0.99), r.rate())
	}
	if err := parseWrk("Running 10s test\n", &r); err == nil {
		t.Error("no error for output without the summary")
	}
}
