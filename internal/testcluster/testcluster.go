// Package testcluster runs a real etcd and kube-apiserver for tests and
// benchmarks: on free 127.0.0.1 ports, in a temporary directory, with a
// static admin token, RBAC authorization and the TokenRequest API, so that
// restricted ServiceAccount tokens can be minted for any set of rules.
//
// The binaries are the pinned builds of hack/tools: the paths come from the
// environment (KUBE_APISERVER, ETCD, as `make test` sets them) or else from
// bin/tools under the repository root. When they are missing, starting a
// cluster fails with a message saying to run `make tools`.
//
// A test package usually shares one cluster:
//
//	func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		c := testcluster.Shared(t)
//		ns := c.Namespace(t, nil) // objects of this test only
//		...
//	}
//
// and starts a cluster of its own (Start) when it needs cluster-wide state
// nobody else touches. Every process is stopped on cleanup, even when the
// test fails; Main fails the run if any is left.
package testcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options tune a cluster.
type Options struct {
	// APIServerArgs are appended to kube-apiserver's flags (a later flag
	// overrides an earlier one).
	APIServerArgs []string
	// ReadyTimeout bounds the start of each process; 0 means 90 seconds.
	ReadyTimeout time.Duration
}

// Cluster is a running etcd and kube-apiserver.
type Cluster struct {
	// URL is the API server's address, https://127.0.0.1:PORT.
	URL string
	// CAFile holds the PEM certificates (serving certificate and its CA)
	// that verify URL; CA is its content.
	CAFile string
	CA     []byte
	// AdminToken authenticates as a member of system:masters.
	AdminToken string
	// Dir holds data, certificates and logs; it is removed by Stop.
	Dir string
	// EtcdURL is etcd's client address (plain HTTP on loopback).
	EtcdURL string

	etcd, api   *process
	admin       *kubernetes.Clientset
	applier     *applier
	applierOnce sync.Once
	applierErr  error
	stopOnce    sync.Once
	stopErr     error
}

// Binaries returns the paths of kube-apiserver and etcd, or an error that
// says how to build them.
func Binaries() (apiserver, etcd string, err error) {
	root, rootErr := repoRoot()
	find := func(env, name string) (string, error) {
		if p := os.Getenv(env); p != "" {
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("%s=%s: %w (run `make tools` to build it)", env, p, err)
			}
			return p, nil
		}
		if rootErr != nil {
			return "", fmt.Errorf("%s not set and %v; run the tests with `make test`, or `make tools` and set %s", env, rootErr, env)
		}
		p := filepath.Join(root, "bin", "tools", name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s not found at %s: run `make tools` to build it from the pinned sources (or set %s)", name, p, env)
		}
		return p, nil
	}
	if apiserver, err = find("KUBE_APISERVER", "kube-apiserver"); err != nil {
		return "", "", err
	}
	if etcd, err = find("ETCD", "etcd"); err != nil {
		return "", "", err
	}
	return apiserver, etcd, nil
}

// repoRoot finds the module root of tilsyn above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/tilsyn/tilsyn\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the tilsyn repository root (go.mod) is not above the working directory")
		}
		dir = parent
	}
}

// New starts etcd and kube-apiserver and waits until the API server is
// ready and its system namespaces exist. The caller must call Stop.
func New(ctx context.Context, opts Options) (*Cluster, error) {
	apiBin, etcdBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 90 * time.Second
	}
	var lastErr error
	// A port picked as free can be taken by another process before the
	// server binds it; such a start is retried with new ports.
	for attempt := 0; attempt < 3; attempt++ {
		c, err := start(ctx, apiBin, etcdBin, opts)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

// Start starts a cluster for one test and stops it when the test ends,
// whatever its outcome.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("testcluster: %v", err)
		}
	})
	return c
}

var shared struct {
	sync.Mutex
	c   *Cluster
	err error
}

// Shared returns the cluster shared by the tests of this package, starting
// it on first use; Main stops it. Tests that share it must keep to objects
// of their own (see Namespace).
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.c == nil && shared.err == nil {
		shared.c, shared.err = New(context.Background(), Options{})
	}
	if shared.err != nil {
		t.Fatalf("testcluster: %v", shared.err)
	}
	return shared.c
}

// Main runs the tests of a package, then stops the shared cluster and
// checks that no process started by this package is still running. It
// returns the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	if shared.c != nil {
		if err := shared.c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testcluster:", err)
			code = 1
		}
		shared.c = nil
	}
	shared.Unlock()
	if left := Running(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "testcluster: %d processes still running after the tests (%s): a cluster was not stopped; killing them\n",
			len(left), strings.Join(left, ", "))
		killAll()
		code = 1
	}
	return code
}

func start(ctx context.Context, apiBin, etcdBin string, opts Options) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "tilsyn-testcluster-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		return nil, err
	}
	c.AdminToken = hex.EncodeToString(token)
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(c.AdminToken+`,tilsyn-admin,tilsyn-admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	saKey, saPub, err := writeServiceAccountKeys(dir)
	if err != nil {
		return nil, err
	}

	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	c.EtcdURL = etcdURL
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	c.etcd, err = startProcess(etcdBin, filepath.Join(dir, "etcd.log"),
		"--name=testcluster",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=testcluster="+peerURL,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	httpc := &http.Client{Timeout: 2 * time.Second}
	err = c.etcd.waitFor(ctx, opts.ReadyTimeout, func() bool {
		resp, err := httpc.Get(etcdURL + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		return nil, err
	}

	c.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	c.CAFile = filepath.Join(dir, "certs", "apiserver.crt")
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saPub,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.0.0.0/16",
		// The "kubernetes" Service endpoint would be the loopback advertise
		// address, which is invalid there.
		"--endpoint-reconciler-type=none",
		// No controller-manager creates the "default" ServiceAccount of
		// each namespace; without this every Pod create is rejected.
		"--disable-admission-plugins=ServiceAccount",
		"--profiling=false",
	}
	c.api, err = startProcess(apiBin, filepath.Join(dir, "kube-apiserver.log"), append(args, opts.APIServerArgs...)...)
	if err != nil {
		return nil, err
	}
	err = c.api.waitFor(ctx, opts.ReadyTimeout, func() bool { return c.ready(ctx) })
	if err != nil {
		return nil, err
	}
	if c.admin, err = kubernetes.NewForConfig(c.AdminConfig()); err != nil {
		return nil, err
	}
	if err := c.waitSettled(ctx, opts.ReadyTimeout); err != nil {
		return nil, err
	}
	return c, nil
}

// ready reports whether /readyz answers ok, loading the CA once the API
// server has written it.
func (c *Cluster) ready(ctx context.Context) bool {
	if c.CA == nil {
		data, err := os.ReadFile(c.CAFile)
		if err != nil || len(data) == 0 {
			return false
		}
		c.CA = data
	}
	rc, err := rest.RESTClientFor(c.withSerializer(c.AdminConfig()))
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
	return err == nil && string(body) == "ok"
}

// Stop stops kube-apiserver, then etcd (SIGTERM, SIGKILL after 10
// seconds), and removes Dir. It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		if c.api != nil {
			errs = append(errs, c.api.stop())
		}
		if c.etcd != nil {
			errs = append(errs, c.etcd.stop())
		}
		if c.Dir != "" {
			errs = append(errs, os.RemoveAll(c.Dir))
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// Logs returns the last lines of the API server's log, for failure messages.
func (c *Cluster) Logs() string {
	if c.api == nil {
		return ""
	}
	return c.api.tail(40)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
