package collect_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
	"github.com/tilsyn/tilsyn/nodetuning"
)

// writeProc writes a proc tree whose every value is "1" (the port range
// "1 2") and returns its root.
func writeProc(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{"sys/kernel/osrelease": "6.1.0\n", "stat": "cpu 1\ncpu0 1\n"}
	for _, name := range append(nodetuning.Sysctls, nodetuning.ConntrackCount) {
		files["sys/"+strings.ReplaceAll(name, ".", "/")] = "1\n"
	}
	files["sys/net/ipv4/ip_local_port_range"] = "1\t2\n"
	for path, content := range files {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// recordJSON is a valid record of node, as the agent publishes it.
func recordJSON(t *testing.T, node string, at time.Time) string {
	t.Helper()
	r := &nodetuning.Reader{Root: writeProc(t)}
	data, err := r.Read(node, "v1", at).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestNodeRecordsFromManifests(t *testing.T) {
	at := time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)
	cm := func(ns, name, record string) string {
		return "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\ndata:\n  record: '" + record + "'\n"
	}
	dir := t.TempDir()
	manifests := cm("tilsyn", "tilsyn-node-a", recordJSON(t, "a", at)) +
		cm("tilsyn", "tilsyn-node-b", recordJSON(t, "a", at)) + // filed under the wrong node
		cm("tilsyn", "kube-root-ca.crt", "x") + // not a record
		cm("elsewhere", "tilsyn-node-c", recordJSON(t, "c", at)) // not the records' namespace
	if err := os.WriteFile(filepath.Join(dir, "records.yaml"), []byte(manifests), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: at.Add(time.Hour), NodeRecordMaxAge: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	nt := s.NodeTuning
	if nt == nil || nt.Status != collect.Collected || nt.Source != collect.NodeTuningConfigMaps || nt.Namespace != "tilsyn" || nt.MaxAgeSeconds != 7200 {
		t.Fatalf("node tuning %+v", nt)
	}
	if len(nt.Records) != 2 || nt.Records[0].Node != "a" || nt.Records[0].Record == nil || nt.Records[0].From != "ConfigMap tilsyn/tilsyn-node-a" {
		t.Fatalf("records %+v", nt.Records)
	}
	if b := nt.Records[1]; b.Node != "b" || b.Record != nil || !strings.Contains(b.Invalid, `the record is of node "a", but the ConfigMap is named for node "b"`) {
		t.Errorf("record of b: %+v", b)
	}
	// The section survives the canonical encoding and its checks.
	var buf strings.Builder
	if err := s.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := collect.DecodeSnapshot("snap", []byte(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	if back.NodeTuning == nil || len(back.NodeTuning.Records) != 2 || !back.NodeTuning.Records[0].Record.CollectedAt.Equal(at) {
		t.Errorf("decoded %+v", back.NodeTuning)
	}
	// A record edited in the snapshot file is refused, not believed.
	forged := strings.Replace(buf.String(), `"net.ipv4.ip_local_port_range":{"value":"1 2"}`, `"net.ipv4.ip_local_port_range":{"value":"0"}`, 1)
	if forged == buf.String() {
		t.Fatal("the port range is not where the test expects it")
	}
	if _, err := collect.DecodeSnapshot("forged.json", []byte(forged)); err == nil || !strings.Contains(err.Error(), "forged.json: nodeTuning.records[0] (a)") {
		t.Errorf("forged record: %v", err)
	}
}

func TestFromLocalNode(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	s, err := collect.FromLocalNode(collect.LocalNodeOptions{Proc: writeProc(t), NodeName: "this-node", Version: "v1", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Coverage {
		if c.Status != collect.Absent {
			t.Errorf("coverage %s: %s, want absent: --local-node reads no cluster", c.Resource, c.Status)
		}
	}
	nt := s.NodeTuning
	if nt.Source != collect.NodeTuningLocal || len(nt.Records) != 1 || nt.Records[0].Record.Node != "this-node" ||
		nt.Records[0].Record.Sysctls["net.ipv4.ip_local_port_range"].Value != "1 2" || !strings.HasPrefix(nt.Records[0].From, "proc tree ") {
		t.Errorf("node tuning %+v", nt)
	}
	// This machine.
	s, err = collect.FromLocalNode(collect.LocalNodeOptions{NodeName: "here", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.NodeTuning.Records[0].Record.Check(); err != nil {
		t.Errorf("this machine's record: %v", err)
	}
	if _, err := collect.FromLocalNode(collect.LocalNodeOptions{Proc: filepath.Join(t.TempDir(), "nope"), NodeName: "x", Now: now}); err == nil {
		t.Error("a missing proc tree is not an error")
	}
}

// A live collection reads the node records in their namespace however
// it is narrowed, and says so when it may not read them.
func TestLiveNodeRecords(t *testing.T) {
	ctx := context.Background()
	c := testcluster.Shared(t)
	records := c.Namespace(t, nil)
	app := c.Namespace(t, nil)
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "tilsyn-node-n1", Namespace: records}, Data: map[string]string{nodetuning.DataKey: recordJSON(t, "n1", time.Now())}},
		{ObjectMeta: metav1.ObjectMeta{Name: "tilsyn-node-n2", Namespace: records}, Data: map[string]string{nodetuning.DataKey: "{"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "unrelated", Namespace: records}, Data: map[string]string{"k": "v"}},
	} {
		if _, err := c.Admin().CoreV1().ConfigMaps(records).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s := liveCollect(t, collect.LiveOptions{Connection: admin(c), Namespaces: []string{app}, NodeRecordNamespace: records, NodeRecordMaxAge: 10 * time.Minute})
	nt := s.NodeTuning
	if nt == nil || nt.Status != collect.Collected || nt.MaxAgeSeconds != 600 || len(nt.Records) != 2 {
		t.Fatalf("node tuning %+v", nt)
	}
	if nt.Records[0].Record == nil || nt.Records[1].Invalid == "" {
		t.Errorf("records %+v", nt.Records)
	}
	// The node records are read apart from the narrowed ConfigMap list.
	for _, cm := range s.Resources[collect.ConfigMaps] {
		if collect.Meta(cm).Namespace == records {
			t.Errorf("ConfigMap %s of the records' namespace in a collection narrowed to %s", collect.Meta(cm).Name, app)
		}
	}

	token, err := c.RestrictedToken(ctx, app, "no-configmaps", []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list"}}})
	if err != nil {
		t.Fatal(err)
	}
	s = liveCollect(t, collect.LiveOptions{Connection: &collect.Connection{Config: c.Config(token)}, Namespaces: []string{app}, NodeRecordNamespace: records})
	if nt := s.NodeTuning; nt.Status != collect.Forbidden || !strings.Contains(nt.Reason, "ConfigMaps of namespace "+records) || len(nt.Records) != 0 {
		t.Errorf("without access: %+v", nt)
	}
}
