package nodeagent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"

	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/nodetuning"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

func TestParseFlags(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	base := Config{Proc: "/proc", Namespace: "tilsyn", Interval: DefaultInterval}
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "downward API", env: map[string]string{"NODE_NAME": "n1"}, want: Config{NodeName: "n1"}},
		{name: "flag wins", args: []string{"--node-name", "n2", "--interval", "1m", "--proc", "/host/proc"}, env: map[string]string{"NODE_NAME": "n1"},
			want: Config{NodeName: "n2", Interval: time.Minute, Proc: "/host/proc"}},
		{name: "once", args: []string{"--node-name", "n1", "--once", "--interval", "0s", "--kubeconfig", "kc", "--context", "x"},
			want: Config{NodeName: "n1", Once: true, Interval: -1, Kubeconfig: "kc", Context: "x"}},
		{name: "no node", wantErr: "no node name"},
		{name: "long node", args: []string{"--node-name", strings.Repeat("n", 250)}, wantErr: "too long"},
		{name: "fast", args: []string{"--node-name", "n1", "--interval", "5s"}, wantErr: "want at least 10s"},
		{name: "empty namespace", args: []string{"--node-name", "n1", "--namespace", ""}, wantErr: "--namespace"},
		{name: "unknown flag", args: []string{"--nodename", "n1"}, wantErr: "unknown flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseFlags(c.args, io.Discard, env(c.env))
			if c.wantErr != "" {
				var ue *UsageError
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error with %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := base
			want.NodeName, want.Once, want.Kubeconfig, want.Context = c.want.NodeName, c.want.Once, c.want.Kubeconfig, c.want.Context
			if c.want.Proc != "" {
				want.Proc = c.want.Proc
			}
			switch {
			case c.want.Interval < 0:
				want.Interval = 0
			case c.want.Interval > 0:
				want.Interval = c.want.Interval
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{NodeName: "n1", Once: true, Config: cfg, Proc: filepath.Join(t.TempDir(), "nope")}, "proc tree"},
		{Options{NodeName: "", Once: true, Config: cfg}, "no node name"},
		{Options{NodeName: "n1", Config: cfg}, "interval 0s"},
		{Options{NodeName: "n1", Once: true}, "no connection"},
	} {
		if _, err := New(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want %q", c.opts, err, c.want)
		}
	}
}

// apiServer is a fake API server that records the agent's applies.
type apiServer struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   [][]byte
	status   int
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, body)
	status := s.status
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"x\" is forbidden: no","reason":"Forbidden","code":403}`))
		return
	}
	w.Write(body)
}

// One cycle is one server-side apply of the ConfigMap, labelled, holding
// the record the agent read.
func TestCycleApplies(t *testing.T) {
	srv := &apiServer{}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	root := t.TempDir()
	for path, content := range map[string]string{"sys/kernel/osrelease": "6.1.0\n", "stat": "cpu0 1\n", "sys/fs/file-max": "9\n"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(path)), 0o755)
		os.WriteFile(filepath.Join(root, path), []byte(content), 0o644)
	}
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	a, err := New(Options{Proc: root, NodeName: "n1", Namespace: "records", Once: true, Config: &rest.Config{Host: ts.URL},
		Version: "v9", Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(srv.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(srv.requests))
	}
	r := srv.requests[0]
	if r.Method != http.MethodPatch || r.URL.Path != "/api/v1/namespaces/records/configmaps/tilsyn-node-n1" ||
		r.Header.Get("Content-Type") != "application/apply-patch+yaml" || r.URL.Query().Get("fieldManager") != FieldManager ||
		r.URL.Query().Get("force") != "true" || !strings.HasPrefix(r.UserAgent(), "tilsyn-node-agent/v9") || r.ProtoMajor != 1 {
		t.Errorf("request %s %s, content type %q, user agent %q", r.Method, r.URL, r.Header.Get("Content-Type"), r.UserAgent())
	}
	var cm struct {
		Metadata struct {
			Name, Namespace string
			Labels          map[string]string
		}
		Data map[string]string
	}
	if err := json.Unmarshal(srv.bodies[0], &cm); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Labels(), cm.Metadata.Labels); d != "" || cm.Metadata.Name != "tilsyn-node-n1" || cm.Metadata.Namespace != "records" {
		t.Errorf("metadata %+v %s", cm.Metadata, d)
	}
	rec, err := nodetuning.FromConfigMap(cm.Metadata.Name, cm.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.CollectedAt.Equal(at) || rec.AgentVersion != "v9" || rec.Sysctls["fs.file-max"].Value != "9" ||
		rec.Sysctls["net.ipv4.tcp_tw_reuse"].Absent != "not present" {
		t.Errorf("record %+v", rec)
	}

	// A refused write is an error with the API server's reason (with
	// --once) and a log line while running.
	srv.mu.Lock()
	srv.status = http.StatusForbidden
	srv.mu.Unlock()
	if err := a.Run(context.Background()); err == nil || err.Error() != `publish records/tilsyn-node-n1: configmaps "x" is forbidden: no (HTTP 403)` {
		t.Errorf("refused write: %v", err)
	}
	log := &syncBuffer{}
	a.opts.Once, a.opts.Interval, a.opts.Log = false, time.Hour, log
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	for log.String() == "" {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil || !strings.Contains(log.String(), "is forbidden") || !strings.Contains(log.String(), "next attempt in 1h0m0s") {
		t.Errorf("run: %v, log %q", err, log.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// BenchmarkCycle is one collection cycle of the agent against a real API
// server: reading the settings and one server-side apply. cpu-µs/op is
// the process's user and system CPU per cycle (the API server is another
// process), which the footprint target bounds at 1 ms.
func BenchmarkCycle(b *testing.B) {
	c := testcluster.Start(b, testcluster.Options{})
	ns := c.Namespace(b, nil)
	a, err := New(Options{NodeName: "bench", Namespace: ns, Once: true, Config: c.AdminConfig(), Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Cycle(ctx); err != nil { // the first creates the record
		b.Fatal(err)
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, fresh := range []bool{false, true} {
		name := "reused connection"
		if fresh {
			// After the API server's idle timeout (90 s), a new connection
			// and TLS handshake (resuming the session) for every cycle.
			name = "new connection"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var total time.Duration
			for b.Loop() {
				if fresh {
					a.transport.CloseIdleConnections()
				}
				start := cpu()
				if err := a.Cycle(ctx); err != nil {
					b.Fatal(err)
				}
				total += cpu() - start
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
