package testcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Config returns a client configuration authenticating with token.
func (c *Cluster) Config(token string) *rest.Config {
	return &rest.Config{
		Host:            c.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CA},
		QPS:             200,
		Burst:           400,
	}
}

// AdminConfig returns a client configuration with the admin token.
func (c *Cluster) AdminConfig() *rest.Config { return c.Config(c.AdminToken) }

// Admin returns a clientset with the admin token.
func (c *Cluster) Admin() kubernetes.Interface { return c.admin }

func (c *Cluster) withSerializer(cfg *rest.Config) *rest.Config {
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	cfg.GroupVersion = &corev1.SchemeGroupVersion
	cfg.APIPath = "/api"
	return cfg
}

// WriteKubeconfig writes a kubeconfig file with one context, named
// contextName, that reaches the cluster with token.
func (c *Cluster) WriteKubeconfig(path, token, contextName string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testcluster"] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthorityData: c.CA}
	cfg.AuthInfos["user"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: "testcluster", AuthInfo: "user"}
	cfg.CurrentContext = contextName
	return clientcmd.WriteToFile(*cfg, path)
}

// Namespace creates a namespace with a unique name for one test and
// deletes it when the test ends. Extra labels are set on it.
func (c *Cluster) Namespace(t testing.TB, labels map[string]string) string {
	t.Helper()
	suffix := make([]byte, 3)
	rand.Read(suffix)
	base := strings.ToLower(t.Name())
	base = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, base)
	if len(base) > 40 {
		base = base[:40]
	}
	name := strings.Trim(base, "-") + "-" + hex.EncodeToString(suffix)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := c.admin.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("testcluster: create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		// No controller-manager runs, so a deleted namespace stays
		// Terminating with its objects; that is fine for other tests,
		// which do not look at it.
		c.admin.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// Grant creates (or updates) a ServiceAccount, a ClusterRole holding
// rules, and the ClusterRoleBinding between them, all named name; the
// ServiceAccount lives in namespace, which must exist.
func (c *Cluster) Grant(ctx context.Context, namespace, name string, rules []rbacv1.PolicyRule) error {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	if _, err := c.admin.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create ServiceAccount %s/%s: %w", namespace, name, err)
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
	if _, err := c.admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = c.admin.RbacV1().ClusterRoles().Update(ctx, role, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update ClusterRole %s: %w", name, err)
		}
	} else if err != nil {
		return fmt.Errorf("create ClusterRole %s: %w", name, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}},
	}
	if _, err := c.admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create ClusterRoleBinding %s: %w", name, err)
	}
	return nil
}

// Token returns a one-hour token of an existing ServiceAccount, issued by
// the TokenRequest API as the kubelet would mount it.
func (c *Cluster) Token(ctx context.Context, namespace, name string) (string, error) {
	expiry := int64(time.Hour / time.Second)
	tr, err := c.admin.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}

// PodToken returns a one-hour token of a ServiceAccount bound to an
// existing pod, as the kubelet mounts it into the pod: when the pod is
// bound to a node (spec.nodeName), the API server tells authorizers and
// admission the node's name (user extra
// authentication.kubernetes.io/node-name).
func (c *Cluster) PodToken(ctx context.Context, namespace, serviceAccount, pod string) (string, error) {
	p, err := c.admin.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("token for pod %s/%s: %w", namespace, pod, err)
	}
	expiry := int64(time.Hour / time.Second)
	tr, err := c.admin.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, serviceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry,
			BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod, UID: p.UID}}},
		metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for ServiceAccount %s/%s bound to pod %s: %w", namespace, serviceAccount, pod, err)
	}
	return tr.Status.Token, nil
}

// RestrictedToken grants rules to a new ServiceAccount (see Grant) and
// returns its token.
func (c *Cluster) RestrictedToken(ctx context.Context, namespace, name string, rules []rbacv1.PolicyRule) (string, error) {
	if err := c.Grant(ctx, namespace, name, rules); err != nil {
		return "", err
	}
	return c.Token(ctx, namespace, name)
}

// waitSettled waits until the API server has created what it creates by
// itself (the system namespaces and the kubernetes Service), so that a
// test sees a stable starting state.
func (c *Cluster) waitSettled(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		missing := ""
		for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
			if _, err := c.admin.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				missing = "namespace " + ns
				break
			}
		}
		if missing == "" {
			if _, err := c.admin.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{}); err != nil {
				missing = "Service default/kubernetes"
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver did not create %s within %v", missing, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Can asks the API server (a SubjectAccessReview) whether the
// ServiceAccount namespace/name may do what attrs describe.
func (c *Cluster) Can(ctx context.Context, namespace, name string, attrs authorizationv1.ResourceAttributes) (bool, error) {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               "system:serviceaccount:" + namespace + ":" + name,
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
		ResourceAttributes: &attrs,
	}}
	res, err := c.admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return res.Status.Allowed, nil
}
