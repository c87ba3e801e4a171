package synth

import (
	"math/rand/v2"
	"time"
)

// The plan is the small skeleton of the cluster, decided before anything is
// written: which namespaces exist and how they are labelled, which
// controllers live where and how many pods each runs, how many claims,
// PeerAuthentications, DestinationRules and ServiceEntries each namespace
// holds. It is a few hundred bytes per controller; the objects themselves are
// streamed from it.

// rootNS is the index of istio-system, the mesh root namespace.
const rootNS = 0

type kind uint8

const (
	deployment kind = iota
	statefulSet
	daemonSet
	cronJob
)

type injection uint8

const (
	injectNone     injection = iota
	injectEnabled            // istio-injection: enabled
	injectRevision           // istio.io/rev: <revision>
	injectDisabled           // istio-injection: disabled
)

// Pod-label override of injection.
const (
	podInjectUnset uint8 = iota
	podInjectFalse
	podInjectTrue
)

type namespace struct {
	name    string
	inject  injection
	pd      bool // tilsyn.io/personal-data: "true"
	system  bool // istio-system and kube-*: no application workloads
	created time.Time

	ctrl0, ctrlN int // controllers [ctrl0, ctrl0+ctrlN) of plan.ctrl
	pvc0, pvcN   int // claims, numbered across the cluster
	dr0, drN     int
	se0, seN     int
	pas          []peerAuth
}

type controller struct {
	name     string
	word     string // application name: container and image name
	ns       int
	kind     kind
	created  time.Time
	pods     int
	pod0     int // global number of the first pod
	pvcPods  int // StatefulSet pods that mount a claim (data-<name>-<ordinal>)
	port     int // container port of the main container
	portName string
	svcPort  int
	metrics  bool // also serves http-metrics on 9102
	version  string
	image    string
	inject   uint8 // podInject*
	native   bool  // sidecar injected as a native sidecar (init container)
	hostNet  bool
	exclIn   string // traffic.sidecar.istio.io/excludeInboundPorts
	exclOut  string // traffic.sidecar.istio.io/excludeOutboundIPRanges
	proxyRes uint8  // sidecar.istio.io/proxyCPU and proxyMemory (1), and their limits (2)
	requests bool   // the main container declares resource requests and limits
	hash     string // pod-template-hash or controller-revision-hash
	suffix   uint64 // base of the generated pod-name suffixes
}

// Kinds of PeerAuthentication in the plan.
const (
	paNamespace = -1 // no selector
	paRootSel   = -2 // root namespace with a selector: ignored by istiod
)

type peerAuth struct {
	idx  int // creation order across the cluster: older first
	ctrl int // controller selected, or paNamespace / paRootSel
	name string
}

type plan struct {
	ns    []namespace
	ctrl  []controller
	pool  []int // namespaces that hold workloads
	nodes int

	nodeName, nodeIP []string // filled by gen.hosts
}

var systemNamespaces = []string{"istio-system", "kube-system", "kube-public", "kube-node-lease", "default"}

var teamWords = []string{
	"payments", "billing", "orders", "checkout", "identity", "customers", "claims",
	"loyalty", "shipping", "catalog", "search", "analytics", "support", "hr",
	"ledger", "booking", "patients", "accounts", "marketing", "risk",
}

var appWords = []string{
	"api", "web", "worker", "frontend", "backend", "gateway", "auth", "profile",
	"cart", "inventory", "notify", "reports", "ledger", "cache", "search",
	"export", "import", "scheduler", "consumer", "ingest",
}

type portSpec struct {
	port    int
	name    string
	svcPort int
}

var appPorts = []portSpec{
	{8080, "http", 80}, {8080, "http", 80}, {8443, "https", 443},
	{3000, "http-web", 80}, {50051, "grpc", 50051}, {9000, "tcp", 9000},
}

var statefulPorts = []portSpec{
	{5432, "tcp-postgres", 5432}, {6379, "tcp-redis", 6379},
	{9092, "tcp-kafka", 9092}, {8080, "http", 80},
}

func newPlan(c Config, rng *rand.Rand) *plan {
	p := &plan{}
	p.namespaces(c, rng)
	if len(p.ns) == 0 {
		return p
	}
	p.controllers(c, rng)
	p.pods(c, rng)
	p.claims(c, rng)
	p.peerAuthentications(c, rng)
	p.spread(c.DestinationRules, rng, func(ns *namespace) *int { return &ns.drN }, func(ns *namespace) *int { return &ns.dr0 })
	p.spread(c.ServiceEntries, rng, func(ns *namespace) *int { return &ns.seN }, func(ns *namespace) *int { return &ns.se0 })
	if c.Pods > 0 {
		p.nodes = min(2000, (c.Pods+24)/25)
	}
	return p
}

func (p *plan) namespaces(c Config, rng *rand.Rand) {
	system := 1
	if c.Namespaces >= 8 {
		system = len(systemNamespaces)
	}
	p.ns = make([]namespace, c.Namespaces)
	for i := range p.ns {
		ns := &p.ns[i]
		ns.created = base.Add(time.Duration(i) * 47 * time.Second)
		if i < system {
			ns.name, ns.system = systemNamespaces[i], true
			continue
		}
		ns.name = teamWords[i%len(teamWords)] + "-" + itoa(i)
		switch r := rng.IntN(100); {
		case r < 50:
			ns.inject = injectEnabled
		case r < 55:
			ns.inject = injectRevision
		case r < 65:
			ns.inject = injectDisabled
		}
		ns.pd = rng.IntN(100) < 40
		p.pool = append(p.pool, i)
	}
	if len(p.pool) == 0 {
		p.pool = []int{rootNS}
	}
}

func (p *plan) controllers(c Config, rng *rand.Rand) {
	for range c.Controllers {
		k := rng.IntN(len(p.pool))
		if rng.IntN(4) == 0 {
			k -= k % 8 // every eighth namespace is much busier than the rest
		}
		p.ns[p.pool[k]].ctrlN++
	}
	p.ctrl = make([]controller, 0, c.Controllers)
	for i := range p.ns {
		ns := &p.ns[i]
		ns.ctrl0 = len(p.ctrl)
		for j := 0; j < ns.ctrlN; j++ {
			p.ctrl = append(p.ctrl, newController(i, ns, j, rng))
		}
	}
}

func newController(nsIdx int, ns *namespace, j int, rng *rand.Rand) controller {
	word := appWords[rng.IntN(len(appWords))]
	c := controller{
		name:    word + "-" + itoa(j),
		word:    word,
		ns:      nsIdx,
		created: ns.created.Add(time.Duration(300+j*37) * time.Second),
		version: "v1",
		hash:    nameSuffix(rng.Uint64()%141167095653376, 10), // 27^10
		suffix:  rng.Uint64(),
	}
	switch r := rng.IntN(100); {
	case r < 75:
		c.kind = deployment
	case r < 87:
		c.kind = statefulSet
	case r < 92:
		c.kind = daemonSet
	default:
		c.kind = cronJob
	}
	ps := appPorts[rng.IntN(len(appPorts))]
	if c.kind == statefulSet {
		ps = statefulPorts[rng.IntN(len(statefulPorts))]
	}
	c.port, c.portName, c.svcPort = ps.port, ps.name, ps.svcPort
	c.metrics = rng.IntN(100) < 40
	if rng.IntN(5) == 0 {
		c.version = "v2"
	}
	c.image = "registry.example.com/" + ns.name + "/" + word + ":1." + itoa(rng.IntN(30)) + "." + itoa(rng.IntN(10))
	switch r := rng.IntN(100); {
	case r < 4:
		c.inject = podInjectFalse
	case r < 7:
		c.inject = podInjectTrue
	}
	if c.inject == podInjectTrue && ns.inject == injectDisabled {
		// istiod's webhooks do not inject here whatever the pod says;
		// keep the data clear of that corner.
		c.inject = podInjectUnset
	}
	c.native = rng.IntN(100) < 15
	if c.kind == daemonSet {
		c.hostNet = rng.IntN(100) < 40
	} else {
		c.hostNet = rng.IntN(1000) < 3
	}
	if rng.IntN(100) < 3 {
		c.exclIn = itoa(c.port)
		if c.metrics {
			c.exclIn = "9102"
		}
	}
	switch r := rng.IntN(100); {
	case r < 2:
		c.exclOut = "169.254.169.254/32"
	case r < 3:
		c.exclOut = "10.0.0.0/8,172.16.0.0/12"
	}
	// Later additions come from a hash of the suffix rather than from rng,
	// which would shift every draw that follows.
	h := mix(c.suffix ^ 0x7265736f75726365) // "resource"
	c.requests = h%100 < 30
	switch r := h >> 8 % 100; {
	case r < 3:
		c.proxyRes = 2
	case r < 8:
		c.proxyRes = 1
	}
	return c
}

// pods spreads the pods over the controllers.
func (p *plan) pods(c Config, rng *rand.Rand) {
	if len(p.ctrl) == 0 {
		return
	}
	for range c.Pods {
		p.ctrl[rng.IntN(len(p.ctrl))].pods++
	}
	n := 0
	for i := range p.ctrl {
		p.ctrl[i].pod0 = n
		n += p.ctrl[i].pods
	}
}

// claims spreads the PersistentVolumeClaims (one per PersistentVolume) over
// the personal-data namespaces, or over all workload namespaces if none is
// labelled. StatefulSet pods take them first, as data-<set>-<ordinal>.
func (p *plan) claims(c Config, rng *rand.Rand) {
	var pool []int
	for _, i := range p.pool {
		if p.ns[i].pd {
			pool = append(pool, i)
		}
	}
	if len(pool) == 0 {
		pool = p.pool
	}
	for range c.PersistentVolumes {
		p.ns[pool[rng.IntN(len(pool))]].pvcN++
	}
	n := 0
	for i := range p.ns {
		ns := &p.ns[i]
		ns.pvc0 = n
		n += ns.pvcN
		left := ns.pvcN
		for ci := ns.ctrl0; ci < ns.ctrl0+ns.ctrlN && left > 0; ci++ {
			if ctl := &p.ctrl[ci]; ctl.kind == statefulSet {
				ctl.pvcPods = min(ctl.pods, left)
				left -= ctl.pvcPods
			}
		}
	}
}

// claimName names claim k of namespace ns: StatefulSet claims first, then
// standalone ones.
func (p *plan) claimName(ns *namespace, k int) string {
	for ci := ns.ctrl0; ci < ns.ctrl0+ns.ctrlN; ci++ {
		ctl := &p.ctrl[ci]
		if k < ctl.pvcPods {
			return "data-" + ctl.name + "-" + itoa(k)
		}
		k -= ctl.pvcPods
	}
	return "storage-" + itoa(k)
}

// peerAuthentications places the PeerAuthentications: the mesh-wide default
// first, then about 40% namespace-level and 60% workload-level ones, with one
// in fifty a deliberate, younger duplicate at the same level (namespace
// "default" plus "mtls-override-N", or "<workload>-mtls" plus
// "<workload>-mtls-N"). From 50 on, one is a root-namespace policy with a
// selector, which istiod ignores.
func (p *plan) peerAuthentications(c Config, rng *rand.Rand) {
	a := c.PeerAuthentications
	if a == 0 {
		return
	}
	idx := 0
	add := func(ns, ctrl int, name string) {
		p.ns[ns].pas = append(p.ns[ns].pas, peerAuth{idx: idx, ctrl: ctrl, name: name})
		idx++
	}
	add(rootNS, paNamespace, "default")
	rest := a - 1
	if rest >= 50 {
		add(rootNS, paRootSel, "istiod-permissive")
		rest--
	}
	nsLevel := rest * 2 / 5
	if len(p.ctrl) == 0 {
		nsLevel = rest
	}
	wl := rest - nsLevel

	nsCount := make([]int, len(p.ns))
	addNS := func(ns int) {
		name := "default"
		if nsCount[ns] > 0 {
			name = "mtls-override-" + itoa(nsCount[ns])
		}
		nsCount[ns]++
		add(ns, paNamespace, name)
	}
	conflicts := nsLevel / 50
	perm := rng.Perm(len(p.pool))
	for j := 0; j < nsLevel-conflicts; j++ {
		addNS(p.pool[perm[j%len(perm)]])
	}
	for range conflicts {
		addNS(p.pool[perm[rng.IntN(min(nsLevel-conflicts, len(perm)))]])
	}

	if wl == 0 {
		return
	}
	ctrlCount := make([]int, len(p.ctrl))
	addWL := func(ci int) {
		name := p.ctrl[ci].name + "-mtls"
		if ctrlCount[ci] > 0 {
			name += "-" + itoa(ctrlCount[ci])
		}
		ctrlCount[ci]++
		add(p.ctrl[ci].ns, ci, name)
	}
	conflicts = wl / 50
	perm = rng.Perm(len(p.ctrl))
	for j := 0; j < wl-conflicts; j++ {
		addWL(perm[j%len(perm)])
	}
	for range conflicts {
		addWL(perm[rng.IntN(min(wl-conflicts, len(perm)))])
	}
}

// spread distributes n objects over the workload namespaces, numbering them
// across the cluster in namespace order. From 20 on, the first goes to the
// root namespace (a mesh-wide DestinationRule or an egress ServiceEntry).
func (p *plan) spread(n int, rng *rand.Rand, count, first func(*namespace) *int) {
	if n >= 20 {
		*count(&p.ns[rootNS]) = 1
		n--
	}
	for range n {
		*count(&p.ns[p.pool[rng.IntN(len(p.pool))]])++
	}
	total := 0
	for i := range p.ns {
		*first(&p.ns[i]) = total
		total += *count(&p.ns[i])
	}
}
