package collect

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// DefaultServiceAccountDir is where Kubernetes mounts a pod's
// ServiceAccount token, CA certificate and namespace.
const DefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// ConnectOptions say how to reach a live cluster.
type ConnectOptions struct {
	// Kubeconfig is an explicit kubeconfig file; empty means $KUBECONFIG,
	// then ~/.kube/config, then in-cluster configuration when running in a
	// pod.
	Kubeconfig string
	// Context is the kubeconfig context to use; empty means the current one.
	Context string
	// InCluster uses the pod's ServiceAccount, ignoring kubeconfig files.
	InCluster bool
	// ServiceAccountDir overrides DefaultServiceAccountDir.
	ServiceAccountDir string
	// UserAgent identifies tilsyn to the API server.
	UserAgent string
}

// Connection is a resolved way to reach a cluster.
type Connection struct {
	Config *rest.Config
	// Context is the kubeconfig context used; empty in a pod.
	Context string
	// InCluster is set when the pod's ServiceAccount is used.
	InCluster bool
}

// Connect resolves how to reach the cluster. It reads files but makes no
// request; an unreachable server shows when collecting.
func Connect(opts ConnectOptions) (*Connection, error) {
	dir := opts.ServiceAccountDir
	if dir == "" {
		dir = DefaultServiceAccountDir
	}
	if opts.InCluster {
		if opts.Kubeconfig != "" || opts.Context != "" {
			return nil, errors.New("--in-cluster uses the pod's ServiceAccount; do not combine it with --kubeconfig or --context")
		}
		return inCluster(dir, opts.UserAgent)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.Kubeconfig
	if opts.Kubeconfig == "" && !anyExists(rules.GetLoadingPrecedence()) {
		if inPod(dir) && opts.Context == "" {
			return inCluster(dir, opts.UserAgent)
		}
		return nil, errors.New("no cluster to audit: no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a pod; " +
			"give --kubeconfig, or manifests with -f, or a snapshot with --snapshot")
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	name := opts.Context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, fmt.Errorf("kubeconfig %s: no current context; choose one with --context", kubeconfigName(rules))
	}
	if _, ok := raw.Contexts[name]; !ok {
		return nil, fmt.Errorf("kubeconfig %s: context %q does not exist", kubeconfigName(rules), name)
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s, context %q: %w", kubeconfigName(rules), name, err)
	}
	cfg.UserAgent = opts.UserAgent
	return &Connection{Config: cfg, Context: name}, nil
}

// inPod reports whether this process runs in a pod with a ServiceAccount
// token mounted.
func inPod(dir string) bool {
	if os.Getenv("KUBERNETES_SERVICE_HOST") == "" || os.Getenv("KUBERNETES_SERVICE_PORT") == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "token"))
	return err == nil
}

// inCluster builds the configuration of a pod's ServiceAccount, as
// rest.InClusterConfig does, from dir. The token is re-read as the kubelet
// rotates it.
func inCluster(dir, userAgent string) (*Connection, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("--in-cluster: not running in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)")
	}
	token := filepath.Join(dir, "token")
	if _, err := os.Stat(token); err != nil {
		return nil, fmt.Errorf("--in-cluster: no ServiceAccount token: %w (is automountServiceAccountToken false?)", err)
	}
	ca := filepath.Join(dir, "ca.crt")
	if _, err := os.Stat(ca); err != nil {
		return nil, fmt.Errorf("--in-cluster: no cluster CA certificate: %w", err)
	}
	cfg := &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		BearerTokenFile: token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: ca},
		UserAgent:       userAgent,
	}
	return &Connection{Config: cfg, InCluster: true}, nil
}

func anyExists(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

func kubeconfigName(rules *clientcmd.ClientConfigLoadingRules) string {
	if rules.ExplicitPath != "" {
		return rules.ExplicitPath
	}
	for _, p := range rules.GetLoadingPrecedence() {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "(none)"
}
