package synth

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// small is a cluster big enough to contain every feature (from 20
// DestinationRules and ServiceEntries on, from 50 PeerAuthentications on,
// from 8 namespaces on) and small enough for unit tests.
var small = Config{
	Namespaces: 60, Controllers: 200, Pods: 900, PersistentVolumes: 150,
	PeerAuthentications: 160, DestinationRules: 120, ServiceEntries: 30, Seed: 7,
}

func generate(t testing.TB, c Config) ([]byte, int) {
	t.Helper()
	var buf bytes.Buffer
	n, err := Write(&buf, c)
	if err != nil {
		t.Fatalf("Write(%+v): %v", c, err)
	}
	return buf.Bytes(), n
}

// doc is what the tests need to know about one generated document.
type doc struct {
	lines               []string
	kind, name, ns, uid string
	owner               [3]string // kind, name, uid
	claimRef            [3]string // namespace, name, uid
	fields              map[string][]string
}

// split cuts a stream into documents and reads a few fields by position:
// metadata at indentation 2, owner and claim references at 4, and any
// "key: value" line in spec and status, by key.
func split(t testing.TB, data []byte) []doc {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("---\n")) && len(data) > 0 {
		t.Fatalf("stream does not start with a document marker")
	}
	var docs []doc
	for _, text := range strings.Split("\n"+string(data), "\n---\n")[1:] {
		d := doc{lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n"), fields: map[string][]string{}}
		section, sub := "", ""
		for _, l := range d.lines {
			trimmed := strings.TrimLeft(l, " -")
			ind := len(l) - len(strings.TrimLeft(l, " "))
			k, v, _ := strings.Cut(trimmed, ": ")
			switch {
			case ind == 0:
				section = strings.TrimSuffix(l, ":")
				if k == "kind" {
					d.kind = v
				}
			case ind == 2 && !strings.HasPrefix(l, "  - "):
				sub = strings.TrimSuffix(trimmed, ":")
				if section == "metadata" {
					switch k {
					case "name":
						d.name = v
					case "namespace":
						d.ns = v
					case "uid":
						d.uid = v
					}
				}
			case section == "metadata" && sub == "ownerReferences" && ind <= 4:
				switch k {
				case "kind":
					d.owner[0] = v
				case "name":
					d.owner[1] = v
				case "uid":
					d.owner[2] = v
				}
			case section == "spec" && sub == "claimRef" && ind == 4:
				switch k {
				case "namespace":
					d.claimRef[0] = v
				case "name":
					d.claimRef[1] = v
				case "uid":
					d.claimRef[2] = v
				}
			}
			if (section == "spec" || section == "status") && v != "" {
				d.fields[k] = append(d.fields[k], v)
			}
		}
		docs = append(docs, d)
	}
	return docs
}

func countKinds(docs []doc) map[string]int {
	m := map[string]int{}
	for _, d := range docs {
		m[d.kind]++
	}
	return m
}

func TestDeterministic(t *testing.T) {
	a, _ := generate(t, small)
	b, _ := generate(t, small)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same Config differ")
	}
	other := small
	other.Seed++
	if c, _ := generate(t, other); bytes.Equal(a, c) {
		t.Fatal("a different seed gives the same cluster")
	}
}

func TestCounts(t *testing.T) {
	for _, c := range []Config{
		small,
		Scaled(0.02),
		Scaled(0.0001),
		{Namespaces: 1, PeerAuthentications: 1},
		{Namespaces: 3, Controllers: 2, Pods: 7, PersistentVolumes: 3, PeerAuthentications: 2, DestinationRules: 1, ServiceEntries: 1},
		{Namespaces: 1, Controllers: 30, Pods: 40, PersistentVolumes: 25, PeerAuthentications: 60, DestinationRules: 25, ServiceEntries: 25},
		{},
	} {
		data, n := generate(t, c)
		docs := split(t, data)
		if n != len(docs) {
			t.Errorf("%+v: Write returned %d, wrote %d documents", c, n, len(docs))
		}
		got := countKinds(docs)
		controllers := got["Deployment"] + got["StatefulSet"] + got["DaemonSet"] + got["CronJob"]
		nodes := 0
		if c.Pods > 0 {
			nodes = min(2000, (c.Pods+24)/25)
		}
		for _, k := range []struct {
			what      string
			got, want int
		}{
			{"Namespace", got["Namespace"], c.Namespaces},
			{"controllers", controllers, c.Controllers},
			{"Pod", got["Pod"], c.Pods},
			{"PersistentVolume", got["PersistentVolume"], c.PersistentVolumes},
			{"PersistentVolumeClaim", got["PersistentVolumeClaim"], c.PersistentVolumes},
			{"PeerAuthentication", got["PeerAuthentication"], c.PeerAuthentications},
			{"DestinationRule", got["DestinationRule"], c.DestinationRules},
			{"ServiceEntry", got["ServiceEntry"], c.ServiceEntries},
			{"ReplicaSet", got["ReplicaSet"], got["Deployment"]},
			{"Job", got["Job"], got["CronJob"]},
			{"Service", got["Service"], c.Controllers},
			{"Node", got["Node"], nodes},
		} {
			if k.got != k.want {
				t.Errorf("%+v: %d %s, want %d", c, k.got, k.what, k.want)
			}
		}
	}
}

func TestScaled(t *testing.T) {
	if got, want := Scaled(1), (Config{2000, 10000, 50000, 10000, 5000, 5000, 1000, 1, ""}); got != want {
		t.Errorf("Scaled(1) = %+v, want %+v", got, want)
	}
	if got := Scaled(0); got != (Config{Seed: 1}) {
		t.Errorf("Scaled(0) = %+v, want an empty cluster", got)
	}
	if c := Scaled(0.0001); c.validate() != nil || c.Namespaces < 2 || c.Controllers < 1 {
		t.Errorf("Scaled(0.0001) = %+v: not a coherent cluster", c)
	}
}

func TestInvalidConfig(t *testing.T) {
	for _, c := range []Config{
		{Namespaces: -1},
		{Controllers: 1},
		{Namespaces: 2, Pods: 1},
	} {
		if _, err := Write(&bytes.Buffer{}, c); err == nil {
			t.Errorf("Write(%+v) succeeded, want an error", c)
		}
	}
}

func TestValidYAML(t *testing.T) {
	data, _ := generate(t, small)
	for i, d := range split(t, data) {
		if err := checkYAML(d.lines); err != nil {
			t.Fatalf("document %d (%s %s/%s): %v", i+1, d.kind, d.ns, d.name, err)
		}
		if d.kind == "" || d.name == "" || d.uid == "" || !slices.ContainsFunc(d.lines, func(l string) bool { return strings.HasPrefix(l, "apiVersion: ") }) {
			t.Fatalf("document %d lacks apiVersion, kind, name or uid:\n%s", i+1, strings.Join(d.lines[:5], "\n"))
		}
	}
}

// TestLinks checks that every reference resolves: uids are unique, owner
// references name an existing object of that kind, name and uid in the same
// namespace, volumes and claims point at each other, pods run on existing
// nodes and mount existing claims, and workload PeerAuthentications select
// an existing app.
func TestLinks(t *testing.T) {
	data, _ := generate(t, small)
	docs := split(t, data)
	byUID := map[string]doc{}
	byName := map[string]doc{}
	for _, d := range docs {
		if _, dup := byUID[d.uid]; dup {
			t.Fatalf("duplicate uid %s", d.uid)
		}
		byUID[d.uid] = d
		key := d.kind + "/" + d.ns + "/" + d.name
		if _, dup := byName[key]; dup {
			t.Fatalf("duplicate object %s", key)
		}
		byName[key] = d
	}
	apps := map[string]bool{}
	for _, d := range docs {
		if d.kind == "Service" {
			apps[d.ns+"/"+d.name] = true
		}
	}
	for _, d := range docs {
		if d.owner[2] != "" {
			o, ok := byUID[d.owner[2]]
			if !ok || o.kind != d.owner[0] || o.name != d.owner[1] || o.ns != d.ns {
				t.Errorf("%s %s/%s: owner %v does not resolve", d.kind, d.ns, d.name, d.owner)
			}
		}
		switch d.kind {
		case "Pod", "ReplicaSet", "Job":
			if d.owner[2] == "" {
				t.Errorf("%s %s/%s has no owner", d.kind, d.ns, d.name)
			}
		case "PersistentVolume":
			c, ok := byUID[d.claimRef[2]]
			if !ok || c.kind != "PersistentVolumeClaim" || c.ns != d.claimRef[0] || c.name != d.claimRef[1] {
				t.Errorf("volume %s: claimRef %v does not resolve", d.name, d.claimRef)
			} else if got := c.fields["volumeName"]; len(got) != 1 || got[0] != d.name {
				t.Errorf("claim %s/%s: volumeName %v, want %s", c.ns, c.name, got, d.name)
			}
		case "PeerAuthentication":
			if app := d.fields["app"]; len(app) == 1 && d.ns != "istio-system" && !apps[d.ns+"/"+app[0]] {
				t.Errorf("PeerAuthentication %s/%s selects app %s, which does not exist", d.ns, d.name, app[0])
			}
		}
		for _, node := range d.fields["nodeName"] {
			if _, ok := byName["Node//"+node]; !ok {
				t.Errorf("pod %s/%s runs on unknown node %s", d.ns, d.name, node)
			}
		}
		for _, claim := range d.fields["claimName"] {
			if _, ok := byName["PersistentVolumeClaim/"+d.ns+"/"+claim]; !ok {
				t.Errorf("pod %s/%s mounts unknown claim %s", d.ns, d.name, claim)
			}
		}
	}
}

// TestMeshFeatures checks that the cluster exercises what tilsyn evaluates,
// and that sidecars match the tlsMode label.
func TestMeshFeatures(t *testing.T) {
	data, _ := generate(t, small)
	text := string(data)
	for _, want := range []string{
		"istio-injection: enabled", "istio-injection: disabled", "istio.io/rev: default",
		`tilsyn.io/personal-data: "true"`, `sidecar.istio.io/inject: "false"`,
		"traffic.sidecar.istio.io/excludeInboundPorts:", "hostNetwork: true",
		"kubectl.kubernetes.io/last-applied-configuration: |", "managedFields:",
		"portLevelMtls:", "name: mtls-override-1", "-mtls-1\n", "name: istiod-permissive",
		"mode: STRICT", "mode: PERMISSIVE", "mode: DISABLE", "mode: UNSET", "spec: {}",
		`host: "*.local"`, "svc.cluster.local", "mode: ISTIO_MUTUAL", "portLevelSettings:", "subsets:",
		"location: MESH_EXTERNAL", "protocol: HTTP\n", "protocol: HTTPS", "protocol: TLS", "protocol: TCP",
		"tilsyn.io/transfer-basis:", "- eu-west-2a", "- eu-north-1a", "providerID: aws:///eu-north-1",
		"topology.kubernetes.io/region: eu-north-1", "rootNamespace: istio-system", "enableAutoMtls: true",
		"mode: REGISTRY_ONLY", "name: istio-proxy", "initContainers:\n  - image: docker.io/istio/proxyv2", "    restartPolicy: Always\n",
		"kind: PersistentVolumeClaim", "claimName: data-",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the cluster", want)
		}
	}
	pd, namespaces := strings.Count(text, `tilsyn.io/personal-data: "true"`), small.Namespaces
	if pd < namespaces/5 || pd > namespaces*3/5 {
		t.Errorf("%d personal-data labels in %d namespaces", pd, namespaces)
	}
	for _, d := range split(t, data) {
		if d.kind != "Pod" {
			continue
		}
		body := strings.Join(d.lines, "\n")
		proxy := strings.Contains(body, "name: istio-proxy")
		tls := strings.Contains(body, "security.istio.io/tlsMode: istio")
		if proxy != tls {
			t.Errorf("pod %s/%s: istio-proxy %v but tlsMode label %v", d.ns, d.name, proxy, tls)
		}
		if proxy && strings.Contains(body, "hostNetwork: true") {
			t.Errorf("pod %s/%s: sidecar on a hostNetwork pod", d.ns, d.name)
		}
	}
}

func TestRootCert(t *testing.T) {
	block, _ := pem.Decode([]byte(rootCertPEM()))
	if block == nil {
		t.Fatal("istio-ca-root-cert holds no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || cert.PublicKey.(*rsa.PublicKey).N.BitLen() != 2048 || cert.CheckSignatureFrom(cert) != nil {
		t.Errorf("root certificate: CA %v, key %T, self-signature %v", cert.IsCA, cert.PublicKey, cert.CheckSignatureFrom(cert))
	}
}

func TestWriteDir(t *testing.T) {
	for _, format := range []string{FormatYAML, FormatJSON} {
		c := Config{Namespaces: 1100, Controllers: 300, Pods: 500, PersistentVolumes: 40, PeerAuthentications: 60, DestinationRules: 30, ServiceEntries: 20, Seed: 3, Format: format}
		dir := t.TempDir()
		n, err := WriteDir(dir, c)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		var joined []byte
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		want := []string{"cluster-scoped", "namespaces-000", "namespaces-001", "namespaces-002"}
		for i := range want {
			want[i] += "." + format
		}
		if strings.Join(names, " ") != strings.Join(want, " ") {
			t.Fatalf("files %v, want %v", names, want)
		}
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			joined = append(joined, b...)
		}
		stream, m := generate(t, c)
		if n != m || !bytes.Equal(joined, stream) {
			t.Errorf("%s: WriteDir wrote %d objects, Write %d; files equal to the stream: %v", format, n, m, bytes.Equal(joined, stream))
		}
	}
}

// countingWriter discards what it is given and counts it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func BenchmarkWrite(b *testing.B) {
	for _, format := range []string{FormatYAML, FormatJSON} {
		b.Run(format, func(b *testing.B) {
			c := Scaled(1)
			c.Format = format
			rootCertPEM() // once per process; not part of the measurement
			var objects int
			var w countingWriter
			for b.Loop() {
				w.n = 0
				n, err := Write(&w, c)
				if err != nil {
					b.Fatal(err)
				}
				objects = n
			}
			b.SetBytes(w.n)
			b.ReportMetric(float64(objects), "objects/op")
		})
	}
}
