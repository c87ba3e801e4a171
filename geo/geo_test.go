package geo

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/profile"
)

func eea(t *testing.T) *Resolver {
	t.Helper()
	p, _, err := profile.Load("eea")
	if err != nil {
		t.Fatal(err)
	}
	return New(p)
}

func snapshot(t *testing.T, yaml string) *collect.Snapshot {
	t.Helper()
	s, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{"-"}, Stdin: strings.NewReader(yaml), Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// London, Zurich and their GCP and Azure counterparts are outside the EEA
// whatever their names look like; no prefix decides anything.
func TestNeverEEA(t *testing.T) {
	r := eea(t)
	for _, name := range []string{"eu-west-2", "eu-central-2", "europe-west2", "europe-west6", "uksouth", "switzerlandnorth",
		"eu-west-2a", "eu-central-2b", "europe-west2-c", "europe-west6-a", "uksouth-1", "switzerlandnorth-3"} {
		for _, pl := range []Place{r.Region(name, ""), r.Zone(name, "")} {
			if pl.Known() && r.Allowed(pl.Country) {
				t.Errorf("%s resolves to %+v, which the eea profile allows", name, pl)
			}
		}
		if pl := r.Zone(name, ""); !pl.Known() {
			t.Errorf("%s: unknown, want its country named", name)
		}
	}
	// Names that merely start like EEA regions are unknown, never allowed.
	for _, name := range []string{"eu-west", "eu-", "europe-", "europe-west", "eu-north-9", "eu-north-1-bos-1a", "europe-north1x"} {
		if pl := r.Zone(name, ""); pl.Known() {
			t.Errorf("%s resolved to %+v; want unknown", name, pl)
		}
	}
}

func TestZones(t *testing.T) {
	r := eea(t)
	cases := map[string]struct{ region, country string }{
		"eu-north-1a":          {"eu-north-1", "SE"},
		"eu-north-1":           {"eu-north-1", "SE"},
		"europe-north1-b":      {"europe-north1", "FI"},
		"westeurope-1":         {"westeurope", "NL"},
		"norwayeast-2":         {"norwayeast", "NO"},
		"fr-par-1":             {"fr-par", "FR"},
		"fsn1-dc14":            {"fsn1", "DE"},
		"eu-west-2a":           {"eu-west-2", "GB"},
		"us-east-1b":           {"us-east-1", "US"},
		"nowhere-1a":           {"", Unknown},
		"":                     {"", Unknown},
		"europe-north1-b-xtra": {"", Unknown},
	}
	for zone, want := range cases {
		pl := r.Zone(zone, "")
		if pl.Region != want.region || pl.Country != want.country {
			t.Errorf("Zone(%q) = %+v, want region %q country %s", zone, pl, want.region, want.country)
		}
	}
	if pl := r.Region("eu-north-1a", ""); pl.Known() {
		t.Errorf("a zone is not a region: %+v", pl)
	}
}

func TestCustomSites(t *testing.T) {
	p, _, err := profile.Load("eea")
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.Location.Regions["onprem"] = map[string]string{"oslo-1": "NO"}
	r := New(p)
	if pl := r.Zone("oslo-1-rack3", ""); pl.Country != "NO" || pl.Group != "onprem" {
		t.Errorf("oslo-1-rack3 = %+v", pl)
	}
	if pl := r.Region("oslo-2", ""); pl.Known() {
		t.Errorf("an unmapped site is unknown, got %+v", pl)
	}
}

func TestParseProviderID(t *testing.T) {
	cases := []struct {
		in   string
		want ProviderID
		key  string
	}{
		{"aws:///eu-north-1a/i-0123456789abcdef0", ProviderID{Raw: "aws:///eu-north-1a/i-0123456789abcdef0", Scheme: "aws", Zone: "eu-north-1a"}, "aws"},
		{"aws:////i-0123", ProviderID{Raw: "aws:////i-0123", Scheme: "aws"}, "aws"},
		{"gce://my-project/europe-north1-b/gke-node-1", ProviderID{Raw: "gce://my-project/europe-north1-b/gke-node-1", Scheme: "gce", Zone: "europe-north1-b"}, "gce"},
		{"azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", ProviderID{Raw: "azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", Scheme: "azure"}, "azure"},
		{"hcloud://12345", ProviderID{Raw: "hcloud://12345", Scheme: "hcloud"}, "hcloud"},
		{"kind://docker/kind/kind-control-plane", ProviderID{Raw: "kind://docker/kind/kind-control-plane", Scheme: "kind"}, "kind"},
		{"", ProviderID{}, OnPremises},
		{"garbage", ProviderID{Raw: "garbage"}, ""},
	}
	for _, c := range cases {
		got := ParseProviderID(c.in)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("ParseProviderID(%q) (-want +got):\n%s", c.in, diff)
		}
		if got.ProviderKey() != c.key {
			t.Errorf("ProviderKey(%q) = %q, want %q", c.in, got.ProviderKey(), c.key)
		}
	}
}

func TestJurisdiction(t *testing.T) {
	r := eea(t)
	for key, want := range map[string]Jurisdiction{
		"aws":       {Provider: "aws", Name: "Amazon Web Services", Headquarters: "US"},
		"hcloud":    {Provider: "hcloud", Name: "Hetzner Online", Headquarters: "DE", Allowed: true},
		"scaleway":  {Provider: "scaleway", Name: "Scaleway", Headquarters: "FR", Allowed: true},
		"openstack": {Provider: "openstack", Headquarters: Unknown},
		OnPremises:  {Provider: OnPremises, Headquarters: Unknown},
	} {
		if diff := cmp.Diff(want, r.Jurisdiction(key)); diff != "" {
			t.Errorf("Jurisdiction(%s) (-want +got):\n%s", key, diff)
		}
	}
}

const nodesYAML = `
apiVersion: v1
kind: Node
metadata:
  name: stockholm
  labels: {topology.kubernetes.io/region: eu-north-1, topology.kubernetes.io/zone: eu-north-1a}
spec: {providerID: "aws:///eu-north-1a/i-1"}
---
apiVersion: v1
kind: Node
metadata:
  name: liar
  labels: {topology.kubernetes.io/region: eu-north-1, topology.kubernetes.io/zone: eu-north-1b}
spec: {providerID: "aws:///eu-west-2a/i-2"}
---
apiVersion: v1
kind: Node
metadata:
  name: legacy-zone-only
  labels: {failure-domain.beta.kubernetes.io/zone: europe-north1-a}
spec: {providerID: "gce://p/europe-north1-a/n"}
---
apiVersion: v1
kind: Node
metadata:
  name: bare
`

func TestNodes(t *testing.T) {
	r := eea(t)
	nodes := Nodes(snapshot(t, nodesYAML), r)
	got := map[string]Node{}
	for _, n := range nodes {
		got[n.Name] = n
	}
	if n := got["stockholm"]; n.Country != "SE" || !n.Allowed || n.RegionField != "metadata.labels[topology.kubernetes.io/region]" ||
		n.ProviderRegion.Region != "eu-north-1" || n.Provider.Headquarters != "US" || n.Provider.Allowed {
		t.Errorf("stockholm = %+v", n)
	}
	if n := got["liar"]; n.Region.Region != "eu-north-1" || n.ProviderRegion.Region != "eu-west-2" || n.ProviderRegion.Country != "GB" {
		t.Errorf("liar = %+v: the providerID's region must be reported apart from the label's", n)
	}
	if n := got["legacy-zone-only"]; n.Region.Region != "europe-north1" || n.Country != "FI" || n.RegionField != "metadata.labels[failure-domain.beta.kubernetes.io/zone]" {
		t.Errorf("legacy-zone-only = %+v", n)
	}
	if n := got["bare"]; n.Country != Unknown || n.Allowed || n.RegionField != "" || n.Provider.Provider != OnPremises {
		t.Errorf("bare = %+v", n)
	}
	if diff := cmp.Diff(map[string]int{"SE": 2, "FI": 1, Unknown: 1}, CountryCounts(nodes)); diff != "" {
		t.Errorf("CountryCounts (-want +got):\n%s", diff)
	}
}

const storageYAML = `
apiVersion: v1
kind: Node
metadata: {name: oslo-node-1, labels: {topology.kubernetes.io/region: eu-north-1}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-london}
spec:
  capacity: {storage: 10Gi}
  storageClassName: gp3
  claimRef: {namespace: pay, name: data-0}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: topology.ebs.csi.aws.com/zone, operator: In, values: [eu-west-2a]}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-local}
spec:
  claimRef: {namespace: pay, name: data-1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [oslo-node-1]}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-nowhere}
spec:
  claimRef: {namespace: pay, name: data-2}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-tools}
spec:
  claimRef: {namespace: tools, name: cache}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: london}
provisioner: ebs.csi.aws.com
parameters: {type: gp3, zones: "eu-west-2a, eu-west-2b"}
allowedTopologies:
- matchLabelExpressions:
  - {key: topology.kubernetes.io/zone, values: [eu-west-2a]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: a, namespace: pay}
spec: {}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: b, namespace: pay}
spec: {storageClassName: london}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c, namespace: tools}
spec: {storageClassName: london}
`

func TestVolumesAndClasses(t *testing.T) {
	r := eea(t)
	s := snapshot(t, storageYAML)
	nodes := Nodes(s, r)
	inScope := func(ns string) bool { return ns == "pay" }
	vols := Volumes(s, r, nodes, inScope)
	got := map[string]Volume{}
	for _, v := range vols {
		got[v.Name] = v
	}
	if len(vols) != 3 {
		t.Fatalf("%d volumes, want the 3 bound to personal-data claims", len(vols))
	}
	if v := got["pv-london"]; v.Allowed || !cmp.Equal(v.Countries, []string{"GB"}) || v.Evidence[0].Region != "eu-west-2" || v.Size != "10Gi" ||
		v.Evidence[0].Field != "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]" {
		t.Errorf("pv-london = %+v", v)
	}
	if v := got["pv-local"]; !v.Allowed || !cmp.Equal(v.Countries, []string{"SE"}) {
		t.Errorf("pv-local = %+v: a hostname pin resolves through the node", v)
	}
	if v := got["pv-nowhere"]; v.Allowed || len(v.Evidence) != 0 || len(v.Countries) != 0 {
		t.Errorf("pv-nowhere = %+v", v)
	}
	classes := StorageClasses(s, r, nodes, inScope)
	byName := map[string]StorageClass{}
	for _, c := range classes {
		byName[c.Name] = c
	}
	if c := byName["gp3"]; !c.Default || c.PersonalDataClaims != 1 || len(c.Topology) != 0 {
		t.Errorf("gp3 = %+v", c)
	}
	if c := byName["london"]; c.PersonalDataClaims != 1 || c.VolumeBindingMode != "Immediate" || len(c.Topology) != 1 ||
		c.Topology[0].Country != "GB" || len(c.Parameters) != 2 || c.Parameters[1].Value != "eu-west-2b" || c.Parameters[1].Country != "GB" {
		t.Errorf("london = %+v", c)
	}
}

const backupsYAML = `
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: stockholm, namespace: velero}
spec:
  provider: aws
  objectStorage: {bucket: b}
  config: {region: eu-north-1, kmsKeyId: alias/x}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: no-region, namespace: velero}
spec:
  provider: velero.io/aws
  objectStorage: {bucket: b}
  config: {s3Url: "http://s3.example.net", insecureSkipTLSVerify: true}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: hetzner, namespace: velero}
spec:
  provider: aws
  objectStorage: {bucket: b}
  config: {s3Url: "https://fsn1.your-objectstorage.com", customerKeyEncryptionFile: /credentials/key}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: minio, namespace: velero}
spec:
  provider: aws
  config: {s3Url: "http://minio.velero.svc:9000", region: minio}
---
apiVersion: velero.io/v1
kind: VolumeSnapshotLocation
metadata: {name: gcp, namespace: velero}
spec:
  provider: gcp
  config: {snapshotLocation: europe-west6}
`

func TestBackups(t *testing.T) {
	r := eea(t)
	got := map[string]Backup{}
	for _, b := range Backups(snapshot(t, backupsYAML), r, "cluster.local") {
		got[b.Name] = b
	}
	if b := got["stockholm"]; b.Country != "SE" || !b.Allowed || b.Holder.Provider != "aws" || b.Holder.Allowed ||
		b.Encryption.CustomerKey || b.Encryption.KMSKeyID != "alias/x" || b.CountrySource != "spec.config.region" {
		t.Errorf("stockholm = %+v", b)
	}
	if b := got["no-region"]; b.Country != Unknown || b.Allowed || b.URLScheme != "http" || b.InsecureSkipTLSVerify != "true" ||
		b.Holder.Headquarters != Unknown {
		t.Errorf("no-region = %+v", b)
	}
	if b := got["hetzner"]; b.Country != "DE" || !b.Allowed || b.Holder.Provider != "hcloud" || !b.Holder.Allowed || !b.Encryption.CustomerKey {
		t.Errorf("hetzner = %+v", b)
	}
	if b := got["minio"]; !b.InCluster || b.Region != "minio" || b.Country != Unknown {
		t.Errorf("minio = %+v", b)
	}
	if b := got["gcp"]; b.Kind != "VolumeSnapshotLocation" || b.Country != "CH" || b.Allowed || b.RegionField != "spec.config.snapshotLocation" {
		t.Errorf("gcp = %+v", b)
	}
}

func TestPlacement(t *testing.T) {
	r := eea(t)
	pl := NewPlacer(r, nil)
	spec := map[string]any{
		"nodeSelector": map[string]any{"topology.kubernetes.io/region": "eu-north-1", "disktype": "ssd"},
		"affinity": map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
			"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{
				map[string]any{"key": "topology.kubernetes.io/zone", "operator": "In", "values": []any{"eu-north-1a", "eu-west-2a"}},
				map[string]any{"key": "topology.kubernetes.io/zone", "operator": "NotIn", "values": []any{"eu-north-1b"}},
			}}}}}},
	}
	p, ok := pl.Of(spec, "spec.template.spec")
	if !ok || len(p.Pins) != 3 || p.Allowed || !cmp.Equal(p.Countries, []string{"GB", "SE"}) {
		t.Errorf("placement = %+v", p)
	}
	if p.Pins[0].Field != "spec.template.spec.nodeSelector[topology.kubernetes.io/region]" {
		t.Errorf("field = %s", p.Pins[0].Field)
	}
	if _, ok := pl.Of(map[string]any{"nodeSelector": map[string]any{"disktype": "ssd"}}, "spec"); ok {
		t.Error("a selector without topology keys pins nothing")
	}
}

func TestHostHelpers(t *testing.T) {
	r := eea(t)
	if pl := r.RegionInHost("s3.eu-north-1.amazonaws.com", "aws"); pl.Country != "SE" {
		t.Errorf("RegionInHost = %+v", pl)
	}
	if pl := r.RegionInHost("eu-west.example.com", ""); pl.Known() {
		t.Errorf("RegionInHost matched a prefix: %+v", pl)
	}
	if got := r.HostProvider("bucket.s3.amazonaws.com"); got != "aws" {
		t.Errorf("HostProvider = %q", got)
	}
	if got := r.HostProvider("notamazonaws.com"); got != "" {
		t.Errorf("HostProvider matched a suffix that is not a domain: %q", got)
	}
	p := r.Profile()
	p.Spec.Transfers.Destinations = map[string]string{"*.stripe.com": "US", "api.vipps.no": "NO", "*.eu.stripe.com": "IE"}
	for host, want := range map[string]string{"api.stripe.com": "US", "files.eu.stripe.com": "IE", "api.vipps.no": "NO", "stripe.com": ""} {
		if c, _, _ := r.Destination(host); c != want {
			t.Errorf("Destination(%s) = %q, want %q", host, c, want)
		}
	}
}
