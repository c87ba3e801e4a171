// Package synth generates synthetic clusters, as Kubernetes manifests, for
// benchmarks.
//
// The output reads like the manifests of a cluster running Istio, as
// `kubectl get -o yaml` (or, in JSON, `kubectl get -o json | jq -c
// '.items[]'`) prints them: objects carry uids, creationTimestamps, a
// managedFields entry and, on objects applied with kubectl, a
// last-applied-configuration annotation; pods point at their
// ReplicaSet, StatefulSet, DaemonSet or Job through ownerReferences, and
// those at their Deployment or CronJob; injected pods carry the istio-proxy
// container. Objects hold what an audit reads rather than full status
// dumps: no resourceVersions, few defaulted fields, status only where it says
// something (a pod's phase and addresses, a volume's binding). The same
// Config always produces the same bytes.
//
// Labels that matter to tilsyn:
//   - namespace `tilsyn.io/personal-data: "true"` marks personal-data scope;
//   - namespace `istio-injection: enabled|disabled` or `istio.io/rev` drives
//     injection, pod label `sidecar.istio.io/inject` overrides it;
//   - injected pods carry `security.istio.io/tlsMode: istio`.
package synth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Config sizes a synthetic cluster. Every count is honoured exactly.
// Controllers are Deployments, StatefulSets, DaemonSets and CronJobs; on top
// come one ReplicaSet per Deployment, one Job per CronJob, one Service per
// controller, one PersistentVolumeClaim per PersistentVolume, one Node per 25
// pods (at most 2,000), three StorageClasses, and in istio-system the
// ConfigMaps istio and istio-ca-root-cert and the Secret istio-ca-secret.
// Namespaces includes istio-system (and, from 8 namespaces on, kube-system,
// kube-public, kube-node-lease and default, which hold no workloads).
// PeerAuthentications includes the mesh-wide default in istio-system.
// Format is FormatYAML (the default when empty) or FormatJSON.
type Config struct {
	Namespaces          int
	Controllers         int
	Pods                int
	PersistentVolumes   int
	PeerAuthentications int
	DestinationRules    int
	ServiceEntries      int
	Seed                int64
	Format              string
}

// Reference sizes at factor 1.
const (
	refNamespaces  = 2000
	refControllers = 10000
	refPods        = 50000
	refPVs         = 10000
	refPAs         = 5000
	refDRs         = 5000
	refSEs         = 1000
)

// Scaled returns the reference 70,000-object cluster multiplied by factor
// (2,000 namespaces, 10,000 controllers, 50,000 pods, 10,000 PVs (+ matching
// PVCs), 5,000 PeerAuthentications, 5,000 DestinationRules, 1,000
// ServiceEntries at factor 1). Small factors keep the cluster coherent: there
// are at least two namespaces, and a controller whenever there are pods.
func Scaled(factor float64) Config {
	if factor < 0 || math.IsNaN(factor) {
		factor = 0
	}
	n := func(ref int) int { return int(math.Round(float64(ref) * factor)) }
	c := Config{
		Namespaces:          n(refNamespaces),
		Controllers:         n(refControllers),
		Pods:                n(refPods),
		PersistentVolumes:   n(refPVs),
		PeerAuthentications: n(refPAs),
		DestinationRules:    n(refDRs),
		ServiceEntries:      n(refSEs),
		Seed:                1,
	}
	if c.Pods > 0 && c.Controllers == 0 {
		c.Controllers = 1
	}
	if c != (Config{Seed: 1}) && c.Namespaces < 2 {
		c.Namespaces = 2
	}
	return c
}

// validate reports a Config that cannot be generated.
func (c Config) validate() error {
	if c.Namespaces < 0 || c.Controllers < 0 || c.Pods < 0 || c.PersistentVolumes < 0 ||
		c.PeerAuthentications < 0 || c.DestinationRules < 0 || c.ServiceEntries < 0 {
		return errors.New("synth: negative count")
	}
	if c.Namespaces == 0 && (c.Controllers > 0 || c.Pods > 0 || c.PersistentVolumes > 0 ||
		c.PeerAuthentications > 0 || c.DestinationRules > 0 || c.ServiceEntries > 0) {
		return errors.New("synth: namespaced objects need at least one namespace")
	}
	if c.Pods > 0 && c.Controllers == 0 {
		return errors.New("synth: pods need at least one controller")
	}
	if c.Format != "" && c.Format != FormatYAML && c.Format != FormatJSON {
		return fmt.Errorf("synth: unknown format %q (want %q or %q)", c.Format, FormatYAML, FormatJSON)
	}
	return nil
}

// base is the fixed creation time of the cluster; every timestamp is an
// offset from it.
var base = time.Date(2025, time.January, 6, 8, 0, 0, 0, time.UTC)

// gen writes objects of one cluster. The plan is shared and read-only; the
// rest is the state of one output stream. Every namespace draws from its own
// random stream, so a namespace's objects do not depend on what was written
// before them: Write and WriteDir produce the same bytes, and WriteDir
// writes its files concurrently.
type gen struct {
	c    Config
	p    *plan
	seed uint64 // hash seed
	json bool   // write JSON lines instead of YAML
	rng  *rand.Rand
	out  io.Writer
	b    []byte  // the document being written
	st   []frame // its open collections
	j    []byte  // scratch for last-applied JSON
	n    int
	err  error
}

func newGen(c Config) *gen {
	g := &gen{
		c:    c,
		p:    newPlan(c, rand.New(rand.NewPCG(uint64(c.Seed), 0x706c616e))),
		seed: mix(uint64(c.Seed)),
		json: c.Format == FormatJSON,
	}
	g.hosts()
	return g
}

// fork returns a generator for another output stream of the same cluster.
func (g *gen) fork(out io.Writer) *gen {
	return &gen{c: g.c, p: g.p, seed: g.seed, json: g.json, out: out,
		b: make([]byte, 0, 1<<14), st: make([]frame, 0, 16)}
}

// Write writes all objects as one stream: in YAML, documents each starting
// with "---"; in JSON, one object per line. The cluster-scoped objects come
// first, then every namespace's objects in turn. The stream is the
// concatenation of the files WriteDir writes, in name order.
func Write(w io.Writer, c Config) (int, error) {
	if err := c.validate(); err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	g := newGen(c).fork(bw)
	g.clusterScoped()
	for i := range g.p.ns {
		g.namespaced(i)
	}
	if g.err == nil {
		g.err = bw.Flush()
	}
	return g.n, g.err
}

// NamespacesPerFile is how many namespaces WriteDir puts in one file.
const NamespacesPerFile = 500

// WriteDir writes the cluster into dir as cluster-scoped.yaml (Namespaces,
// Nodes, StorageClasses, PersistentVolumes) and namespaces-000.yaml,
// namespaces-001.yaml, ... holding the namespaced objects of up to
// NamespacesPerFile namespaces each, in namespace order; in JSON the files
// end in .json instead. Files are written concurrently and atomically. It
// returns the number of objects written.
func WriteDir(dir string, c Config) (int, error) {
	if err := c.validate(); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	g := newGen(c)
	files := []func(*gen){(*gen).clusterScoped}
	for first := 0; first < len(g.p.ns); first += NamespacesPerFile {
		last := min(first+NamespacesPerFile, len(g.p.ns))
		files = append(files, func(g *gen) {
			for i := first; i < last; i++ {
				g.namespaced(i)
			}
		})
	}
	counts := make([]int, len(files))
	errs := make([]error, len(files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	ext := ".yaml"
	if g.json {
		ext = ".json"
	}
	for k, emit := range files {
		name := "cluster-scoped" + ext
		if k > 0 {
			name = fmt.Sprintf("namespaces-%03d%s", k-1, ext)
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			counts[k], errs[k] = writeFile(dir, name, g, emit)
		})
	}
	wg.Wait()
	n := 0
	for _, c := range counts {
		n += c
	}
	return n, errors.Join(errs...)
}

// writeFile writes dir/name through a temporary file that is renamed into
// place once complete, and returns the number of objects emit wrote.
func writeFile(dir, name string, g *gen, emit func(*gen)) (int, error) {
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	bw := bufio.NewWriterSize(f, 1<<16)
	fg := g.fork(bw)
	emit(fg)
	err = fg.err
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return fg.n, nil
}

// clusterScoped writes Namespaces, StorageClasses, Nodes and PersistentVolumes.
func (g *gen) clusterScoped() {
	for i := range g.p.ns {
		g.namespace(i)
	}
	if len(g.p.ns) > 0 {
		g.storageClasses()
	}
	for i := 0; i < g.p.nodes; i++ {
		g.node(i)
	}
	for i := range g.p.ns {
		ns := &g.p.ns[i]
		for k := 0; k < ns.pvcN; k++ {
			g.persistentVolume(ns, k)
		}
	}
}

// namespaced writes every object of namespace i: Istio's own objects in the
// root namespace, then per controller the controller, its ReplicaSet or Job,
// its pods and its Service, then claims, PeerAuthentications,
// DestinationRules and ServiceEntries.
func (g *gen) namespaced(i int) {
	ns := &g.p.ns[i]
	g.rng = rand.New(rand.NewPCG(uint64(g.c.Seed), 0x6e73<<32|uint64(i)))
	if i == rootNS {
		g.istioSystem()
	}
	for ci := ns.ctrl0; ci < ns.ctrl0+ns.ctrlN; ci++ {
		g.workload(ns, &g.p.ctrl[ci], ci)
	}
	for k := 0; k < ns.pvcN; k++ {
		g.claim(ns, k)
	}
	for k := range ns.pas {
		g.peerAuthentication(ns, &ns.pas[k])
	}
	for k := 0; k < ns.drN; k++ {
		g.destinationRule(ns, k)
	}
	for k := 0; k < ns.seN; k++ {
		g.serviceEntry(ns, k)
	}
}
