package webhook

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
)

// checkDeploy creates every object of deploy/webhook (its kustomization
// lists every file there) with a server-side dry run; cert-manager's kinds
// are not served by the test API server and only checked to be listed.
func checkDeploy(ctx context.Context, t *testing.T, c *testcluster.Cluster) {
	dir := filepath.Join("..", "deploy", "webhook")
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Images     []any    `json:"images"`
	}
	deployManifest(t, "kustomization.yaml", &k)
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var paths []string
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("%s is not listed in deploy/webhook/kustomization.yaml", f)
		}
	}
	for _, r := range k.Resources {
		paths = append(paths, filepath.Join(dir, r))
	}
	snap, err := collect.FromManifests(collect.ManifestOptions{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	objs := append([]collect.Object(nil), snap.Other...)
	for _, typ := range collect.Registry {
		objs = append(objs, snap.Resources[typ.Key]...)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kind := collect.Str(o, "kind")
		kinds[kind] = true
		if strings.HasPrefix(collect.Str(o, "apiVersion"), "cert-manager.io/") || kind == "Namespace" {
			continue
		}
		if err := c.Create(ctx, []collect.Object{o}, testcluster.CreateOptions{DryRun: true}); err != nil {
			t.Errorf("dry run: %v", err)
		}
	}
	for _, want := range []string{"Deployment", "PodDisruptionBudget", "Service", "ValidatingWebhookConfiguration",
		"ClusterRole", "ClusterRoleBinding", "ServiceAccount", "Certificate"} {
		if !kinds[want] {
			t.Errorf("deploy/webhook has no %s", want)
		}
	}
}

// checkReadOnly checks that the ServiceAccount namespace/name may list
// and watch every type tilsyn collects, and nothing else: no get, no
// write, no subresource.
func checkReadOnly(ctx context.Context, t *testing.T, c *testcluster.Cluster, namespace, name string) {
	can := func(verb, group, resource, sub string) bool {
		ok, err := c.Can(ctx, namespace, name, authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Subresource: sub})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, typ := range collect.Registry {
		for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"} {
			want := verb == "list" || verb == "watch"
			if got := can(verb, typ.Group, typ.Key, ""); got != want {
				t.Errorf("%s %s.%s allowed = %v, want %v (deploy/webhook/clusterrole.yaml)", verb, typ.Key, typ.Group, got, want)
			}
		}
	}
	for _, x := range [][4]string{
		{"create", "", "pods", "exec"}, {"get", "", "pods", "log"}, {"create", "", "serviceaccounts", "token"},
		{"list", "rbac.authorization.k8s.io", "roles", ""}, {"impersonate", "", "users", ""},
		{"update", "admissionregistration.k8s.io", "validatingwebhookconfigurations", ""},
	} {
		if can(x[0], x[1], x[2], x[3]) {
			t.Errorf("%v is allowed", x)
		}
	}
}
