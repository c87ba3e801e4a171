package collect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKubeconfig = `apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "https://a.example:6443"}}
- {name: b, cluster: {server: "https://b.example:6443"}}
users: [{name: u, user: {token: t}}]
contexts:
- {name: ctx-a, context: {cluster: a, user: u}}
- {name: ctx-b, context: {cluster: b, user: u}}
current-context: ctx-a
`

// Connect chooses the kubeconfig given, then $KUBECONFIG, then the pod's
// ServiceAccount, and says clearly when there is nothing to connect to.
func TestConnect(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte(testKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	sa := filepath.Join(dir, "sa")
	os.Mkdir(sa, 0o755)
	os.WriteFile(filepath.Join(sa, "token"), []byte("pod-token"), 0o600)
	os.WriteFile(filepath.Join(sa, "ca.crt"), []byte("ca"), 0o644)
	noSA := filepath.Join(dir, "no-sa")
	t.Setenv("HOME", dir) // no ~/.kube/config

	cases := []struct {
		name      string
		env       map[string]string
		opts      ConnectOptions
		wantHost  string
		wantCtx   string
		inCluster bool
		wantErr   string
	}{
		{name: "explicit kubeconfig", opts: ConnectOptions{Kubeconfig: kc}, wantHost: "https://a.example:6443", wantCtx: "ctx-a"},
		{name: "explicit context", opts: ConnectOptions{Kubeconfig: kc, Context: "ctx-b"}, wantHost: "https://b.example:6443", wantCtx: "ctx-b"},
		{name: "KUBECONFIG", env: map[string]string{"KUBECONFIG": kc}, wantHost: "https://a.example:6443", wantCtx: "ctx-a"},
		{name: "kubeconfig wins over the pod", env: map[string]string{"KUBECONFIG": kc, "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"},
			opts: ConnectOptions{ServiceAccountDir: sa}, wantHost: "https://a.example:6443", wantCtx: "ctx-a"},
		{name: "in a pod", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"},
			opts: ConnectOptions{ServiceAccountDir: sa}, wantHost: "https://10.0.0.1:443", inCluster: true},
		{name: "forced in-cluster", env: map[string]string{"KUBECONFIG": kc, "KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"},
			opts: ConnectOptions{InCluster: true, ServiceAccountDir: sa}, wantHost: "https://[fd00::1]:443", inCluster: true},
		{name: "in-cluster outside a pod", opts: ConnectOptions{InCluster: true, ServiceAccountDir: sa}, wantErr: "not running in a pod"},
		{name: "in-cluster without token", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"},
			opts: ConnectOptions{InCluster: true, ServiceAccountDir: noSA}, wantErr: "no ServiceAccount token"},
		{name: "in-cluster with context", opts: ConnectOptions{InCluster: true, Context: "x"}, wantErr: "do not combine"},
		{name: "nothing", opts: ConnectOptions{ServiceAccountDir: noSA}, wantErr: "no cluster to audit"},
		{name: "missing file", opts: ConnectOptions{Kubeconfig: filepath.Join(dir, "nope")}, wantErr: "no such file"},
		{name: "unknown context", opts: ConnectOptions{Kubeconfig: kc, Context: "ctx-c"}, wantErr: `context "ctx-c" does not exist`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"} {
				t.Setenv(k, c.env[k])
			}
			if c.env["KUBECONFIG"] == "" {
				t.Setenv("KUBECONFIG", filepath.Join(dir, "unset"))
			}
			conn, err := Connect(c.opts)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if conn.Config.Host != c.wantHost || conn.Context != c.wantCtx || conn.InCluster != c.inCluster {
				t.Errorf("got host %s context %q in-cluster %v", conn.Config.Host, conn.Context, conn.InCluster)
			}
			if c.inCluster && conn.Config.BearerTokenFile != filepath.Join(sa, "token") {
				t.Errorf("token file %q", conn.Config.BearerTokenFile)
			}
		})
	}
}
