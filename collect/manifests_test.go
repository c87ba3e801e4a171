package collect

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func fromString(t *testing.T, text string) (*Snapshot, error) {
	t.Helper()
	return FromManifests(ManifestOptions{Paths: []string{"-"}, Stdin: strings.NewReader(text), Now: now})
}

func names(s *Snapshot, key string) []string {
	var out []string
	for _, o := range s.Resources[key] {
		m := Meta(o)
		out = append(out, m.Namespace+"/"+m.Name)
	}
	return out
}

func TestSplitDocuments(t *testing.T) {
	text := "# Source: chart/a.yaml\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# Source: chart/empty.yaml\n---\n--- # trailing comment\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n...\n"
	docs := splitDocuments("x.yaml", []byte(text))
	var got []string
	for _, d := range docs {
		got = append(got, strings.Fields(string(d.data))[0]+"@"+strconv.Itoa(d.index)+":"+strconv.Itoa(d.line))
	}
	want := []string{"apiVersion:@2:3", "apiVersion:@5:11"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}

func TestJSONStreamsAndLists(t *testing.T) {
	s, err := fromString(t, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"List","items":[
  {"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"a"}},
  {"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"a"}}]}
]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s, Services); len(got) != 1 || got[0] != "a/s" {
		t.Errorf("services = %v", got)
	}
	if got := names(s, Namespaces); len(got) != 1 || got[0] != "/a" {
		t.Errorf("namespaces = %v", got)
	}
}

func TestNestedTypedListExpands(t *testing.T) {
	s, err := fromString(t, "apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: n}\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s, Pods); len(got) != 1 {
		t.Errorf("pods = %v", got)
	}
}

func TestSanitize(t *testing.T) {
	s, err := fromString(t, `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: a
  managedFields: [{manager: kubectl}]
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"aHVudGVyMg=="}}'
type: Opaque
data:
  password: aHVudGVyMg==
stringData:
  user: admin
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: a}
data: {email: someone@example.com}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-ca-root-cert, namespace: a}
data: {root-cert.pem: CERT}`)
	if err != nil {
		t.Fatal(err)
	}
	secret := s.Resources[Secrets][0]
	for _, k := range []string{"data", "stringData"} {
		if _, ok := secret[k]; ok {
			t.Errorf("secret keeps %s", k)
		}
	}
	if Map(secret, "metadata")["managedFields"] != nil || Map(secret, "metadata")["annotations"] != nil {
		t.Errorf("metadata not stripped: %v", secret["metadata"])
	}
	// Only metadata: all a live collection can read of a Secret without
	// its contents, so live and manifest snapshots agree.
	if _, ok := secret["type"]; ok {
		t.Error("secret keeps its type")
	}
	for _, cm := range s.Resources[ConfigMaps] {
		_, hasData := cm["data"]
		if want := Meta(cm).Name == "istio-ca-root-cert"; hasData != want {
			t.Errorf("ConfigMap %s: data kept = %v, want %v", Meta(cm).Name, hasData, want)
		}
	}
}

func TestDefaultNamespaceAndClusterScope(t *testing.T) {
	s, err := FromManifests(ManifestOptions{Paths: []string{"-"}, DefaultNamespace: "shop", Now: now, Stdin: strings.NewReader(
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv, namespace: ignored}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s, Deployments); got[0] != "shop/d" {
		t.Errorf("deployment = %v", got)
	}
	if got := names(s, PersistentVolumes); got[0] != "/pv" {
		t.Errorf("pv = %v", got)
	}
}

func TestUnknownKindsKeptAndCounted(t *testing.T) {
	s, err := fromString(t, "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: a}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: d, namespace: a}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: a}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []KindCount{{"cert-manager.io/v1", "Certificate", 2}, {"v1", "ServiceAccount", 1}}
	if diff := cmp.Diff(want, s.UnknownKinds); diff != "" {
		t.Errorf("unknown kinds (-want +got):\n%s", diff)
	}
	if len(s.Other) != 3 {
		t.Errorf("other = %d objects, want 3", len(s.Other))
	}
}

func TestBadInputErrors(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"malformed":       {"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\nkind: [\n", "<stdin>: document 2 (line 6): invalid YAML"},
		"scalar document": {"just text\n", "document 1 (line 1): expected a Kubernetes object"},
		"no apiVersion":   {"kind: Pod\nmetadata: {name: p}\n", "object has no apiVersion"},
		"no name":         {"apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\n", "only metadata.generateName"},
		"boolean name":    {"apiVersion: v1\nkind: Namespace\nmetadata: {name: off}\n", "metadata.name is false, not a string"},
		"typo kind":       {"apiVersion: networking.istio.io/v1\nkind: DestinationRules\nmetadata: {name: x}\n", "did you mean DestinationRule?"},
		"duplicate":       {"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", "Namespace a is defined twice (first in <stdin> document 1)"},
		"list item":       {"apiVersion: v1\nkind: List\nitems:\n- 3\n", "List item 0: expected an object"},
		"invalid json":    {"{\"apiVersion\": \"v1\",", "invalid JSON"},
		"nothing":         {"# only a comment\n", "no Kubernetes objects found"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := fromString(t, c.text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestDirectories(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
	write("a/b/ns.yml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
	write("c.json", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}`)
	write("README.md", "not a manifest")
	write(".git/config.yaml", "this: is not read")
	s, err := FromManifests(ManifestOptions{Paths: []string{dir}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s, Namespaces); len(got) != 3 {
		t.Errorf("namespaces = %v", got)
	}
	var me *ManifestError
	_, err = FromManifests(ManifestOptions{Paths: []string{filepath.Join(dir, "missing")}, Now: now})
	if !errors.As(err, &me) {
		t.Errorf("missing path: err = %v, want a ManifestError", err)
	}
}

func TestCoverageAndDeterminism(t *testing.T) {
	text := "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
	s1, err := fromString(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if !s1.Has(Namespaces) || !s1.Has(PeerAuthentications) {
		t.Error("manifest snapshots record every type as collected")
	}
	if c, _ := s1.CoverageOf(Namespaces); c.Count != 2 {
		t.Errorf("namespace count = %d", c.Count)
	}
	if got := names(s1, Namespaces); got[0] != "/a" {
		t.Errorf("not sorted: %v", got)
	}
	var b1, b2 strings.Builder
	s2, _ := fromString(t, text)
	if err := s1.Encode(&b1); err != nil {
		t.Fatal(err)
	}
	if err := s2.Encode(&b2); err != nil {
		t.Fatal(err)
	}
	if b1.String() != b2.String() {
		t.Error("equal input encodes differently")
	}
	back, err := DecodeSnapshot("x", []byte(b1.String()))
	if err != nil {
		t.Fatal(err)
	}
	var b3 strings.Builder
	if err := back.Encode(&b3); err != nil {
		t.Fatal(err)
	}
	if b3.String() != b1.String() {
		t.Error("a decoded snapshot re-encodes differently")
	}
}

func TestDecodeSnapshotRejects(t *testing.T) {
	if _, err := DecodeSnapshot("x", []byte(`{"apiVersion":"v1","kind":"Pod"}`)); err == nil || !strings.Contains(err.Error(), "tilsyn collect") {
		t.Errorf("err = %v", err)
	}
	if _, err := DecodeSnapshot("x", []byte(`{"apiVersion":"tilsyn.io/v1","kind":"Snapshot","schemaVersion":99}`)); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("err = %v", err)
	}
	s, err := DecodeSnapshot("x", []byte(`{"apiVersion":"tilsyn.io/v1","kind":"Snapshot","schemaVersion":1,"resources":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Has(Pods) {
		t.Error("a type the snapshot does not record must not count as collected")
	}
}

func TestJSONStreamSplitsPerValue(t *testing.T) {
	text := "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}\n" +
		"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\",\"annotations\":{\"note\":\"a } brace and \\\" quote\"}}}\n" +
		"[{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"c\"}}]\n"
	docs := splitJSON("x.json", []byte(text))
	if len(docs) != 3 || docs[1].line != 2 || docs[2].index != 3 {
		t.Fatalf("documents = %+v", docs)
	}
	s, err := fromString(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s, Namespaces); len(got) != 3 {
		t.Errorf("namespaces = %v", got)
	}
	// A broken stream is one document, so the decoder names the problem.
	_, err = fromString(t, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}\n{\"kind\": ]\n")
	if err == nil || !strings.Contains(err.Error(), "document 2 (line 2): invalid JSON") {
		t.Errorf("err = %v", err)
	}
}

// Infrastructure types with no objects in the manifests are absent, not
// collected: the manifests cannot prove the cluster has none.
func TestInfrastructureAbsentFromManifests(t *testing.T) {
	s, err := fromString(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: gp3}\nprovisioner: ebs.csi.aws.com\n")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]CoverageStatus{Nodes: Absent, PersistentVolumes: Absent, StorageClasses: Collected, PeerAuthentications: Collected, Pods: Collected} {
		c, _ := s.CoverageOf(key)
		if c.Status != want {
			t.Errorf("%s: %s, want %s", key, c.Status, want)
		}
	}
	if c, _ := s.CoverageOf(Nodes); !strings.Contains(c.Reason, "no Node objects in the manifests") {
		t.Errorf("reason = %q", c.Reason)
	}
}
