package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/tilsyn/tilsyn/nodetuning"
)

// ControlPlaneNamespace is where Istio's control plane and mesh-wide
// policies live by default. A collection narrowed to some namespaces
// always includes it: the mesh-wide PeerAuthentication and the mesh
// configuration decide what every other namespace enforces.
const ControlPlaneNamespace = "istio-system"

// Defaults of a live collection.
const (
	DefaultPageSize = 500
	DefaultQPS      = 50
	DefaultWorkers  = 8
)

// LiveOptions configure a collection from a live cluster.
type LiveOptions struct {
	Connection *Connection
	// Namespaces narrows the namespaced types to these namespaces (plus
	// ControlPlaneNamespace); cluster-scoped types are collected in full.
	// Empty means every namespace.
	Namespaces []string
	// QPS and Burst bound the request rate of the whole collection;
	// 0 means DefaultQPS and twice the QPS.
	QPS   float32
	Burst int
	// PageSize is the limit of each list request; 0 means DefaultPageSize.
	PageSize int64
	// Workers is how many resource types are listed at once; 0 means
	// DefaultWorkers.
	Workers int
	// Timeout bounds the whole collection; a type not listed in time is
	// recorded as failed. 0 means no limit.
	Timeout time.Duration
	// Now is the collection time recorded in the snapshot.
	Now time.Time
	// NodeRecordNamespace holds the node agent's records
	// (nodetuning.Namespace when empty); NodeRecordMaxAge is how old a
	// record may be (DefaultNodeRecordMaxAge when 0).
	NodeRecordNamespace string
	NodeRecordMaxAge    time.Duration
	// Progress, when set, is told about each page and each finished type;
	// calls are serialised.
	Progress func(Progress)

	afterPage func(continueToken string) // test hook, see pager.afterPage
}

// Progress reports on the collection of one resource type.
type Progress struct {
	Resource string
	// Count is the number of objects gathered so far.
	Count int
	// Done is set once the type is finished; Coverage then says how.
	Done     bool
	Coverage Coverage
}

// FromCluster collects every registered resource type from a live cluster
// into a snapshot, each type concurrently and page by page. A type the
// cluster does not serve, that RBAC forbids, or that fails or times out is
// recorded in the coverage with the reason, and its list left empty; the
// controls that need it become not-assessed. An error is returned only
// when the cluster cannot be used at all: unreachable, credentials
// rejected, or a namespace asked for that does not exist.
func FromCluster(ctx context.Context, opts LiveOptions) (*Snapshot, error) {
	snap, objs, err := collectAll(ctx, opts, func(o Object) (Object, error) { return o, nil })
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range objs[Namespaces] {
		names = append(names, Meta(o).Name)
	}
	if err := checkNamespacesExist(snap, names, opts.Namespaces); err != nil {
		return nil, err
	}
	for key, l := range objs {
		snap.Resources[key] = l
	}
	snap.Sort()
	return snap, nil
}

// EncodedSnapshot is a live snapshot whose objects are held as their
// canonical JSON encoding rather than decoded, for writing to a file: a
// fraction of the memory of a Snapshot. Encode writes exactly the bytes
// the decoded Snapshot would.
type EncodedSnapshot struct {
	header  *Snapshot // metadata and coverage; no objects
	objects map[string][]rawObject
}

// Coverage is the coverage of the collection.
func (e *EncodedSnapshot) Coverage() []Coverage { return e.header.Coverage }

// Encode writes the snapshot as Snapshot.Encode does.
func (e *EncodedSnapshot) Encode(w io.Writer) error { return e.header.encode(w, e.objects) }

// FromClusterEncoded collects like FromCluster, keeping each object only
// as its encoding.
func FromClusterEncoded(ctx context.Context, opts LiveOptions) (*EncodedSnapshot, error) {
	snap, objs, err := collectAll(ctx, opts, toRaw)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range objs[Namespaces] {
		names = append(names, o.name)
	}
	if err := checkNamespacesExist(snap, names, opts.Namespaces); err != nil {
		return nil, err
	}
	for _, l := range objs {
		sort.SliceStable(l, func(i, j int) bool { return l[i].id < l[j].id })
	}
	return &EncodedSnapshot{header: snap, objects: objs}, nil
}

// collectAll runs a collection, keeping what keep makes of each object. It
// returns the snapshot without objects (every list empty) and the objects
// of each collected type.
func collectAll[T any](ctx context.Context, opts LiveOptions, keep func(Object) (T, error)) (*Snapshot, map[string][]T, error) {
	if opts.Connection == nil || opts.Connection.Config == nil {
		return nil, nil, errors.New("no connection to a cluster")
	}
	if opts.QPS <= 0 {
		opts.QPS = DefaultQPS
	}
	if opts.Burst <= 0 {
		opts.Burst = int(2 * opts.QPS)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.NodeRecordNamespace == "" {
		opts.NodeRecordNamespace = nodetuning.Namespace
	}
	if opts.NodeRecordMaxAge <= 0 {
		opts.NodeRecordMaxAge = DefaultNodeRecordMaxAge
	}
	parent := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	cfg := rest.CopyConfig(opts.Connection.Config)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(opts.QPS, opts.Burst) // shared by both clients
	cfg.WarningHandler = rest.NoWarnings{}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	rawCfg := rest.CopyConfig(cfg)
	rawCfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rawCfg.AcceptContentTypes = "application/json"
	raw, err := rest.UnversionedRESTClientForConfigAndClient(rawCfg, httpClient)
	if err != nil {
		return nil, nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}

	version, err := serverVersion(cs.Discovery())
	if err != nil {
		return nil, nil, reachError(cfg.Host, opts, err)
	}
	types, err := resolveServed(cs.Discovery())
	if err != nil {
		return nil, nil, reachError(cfg.Host, opts, err)
	}

	scope := ScopeNamespaces(opts.Namespaces)
	c := &liveCollector[T]{opts: opts, scope: scope, keep: keep}
	c.pager = func(resource string) *pager {
		return &pager{client: raw, pageSize: opts.PageSize, afterPage: opts.afterPage,
			onPage: func(n int) { c.report(Progress{Resource: resource, Count: n}) }}
	}
	results := make([]typeResult[T], len(types))
	var wg sync.WaitGroup
	sem := make(chan struct{}, opts.Workers)
	for i, s := range types {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = c.collect(ctx, s)
			c.report(Progress{Resource: s.t.Key, Count: results[i].cov.Count, Done: true, Coverage: results[i].cov})
		}()
	}
	var nodeTuning *NodeTuning
	wg.Add(1)
	go func() {
		defer wg.Done()
		nodeTuning = collectNodeRecords(ctx, c.pager("node records"), opts)
	}()
	uid := ""
	nsType, _ := TypeByKey(Namespaces) // registered in types.go
	if ns, err := c.pager(Namespaces).get(ctx, "/api/v1/namespaces/kube-system", served{t: nsType, version: "v1"}); err == nil && ns != nil {
		uid = Meta(ns).UID
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return nil, nil, fmt.Errorf("collection interrupted: %w", err)
	}

	snap := New(Source{Type: "live", Namespaces: scope}, opts.Now)
	snap.Metadata.Cluster = &Cluster{UID: uid, Server: cfg.Host, Context: opts.Connection.Context, ServerVersion: version}
	snap.NodeTuning = nodeTuning
	objs := map[string][]T{}
	for _, r := range results {
		if r.cov.Status == Collected {
			objs[r.cov.Resource] = r.objs
		}
		snap.SetCoverage(r.cov)
	}
	return snap, objs, nil
}

// ScopeNamespaces is the sorted set of namespaces a collection narrowed to
// ns reads (ns and ControlPlaneNamespace), or nil for all.
func ScopeNamespaces(ns []string) []string {
	if len(ns) == 0 {
		return nil
	}
	out := append([]string{ControlPlaneNamespace}, ns...)
	sort.Strings(out)
	return slices.Compact(out)
}

// checkNamespacesExist fails a narrowed collection that names a namespace
// the cluster does not have: a typo must not read as an empty, compliant
// namespace. It can only tell when the namespaces could be read.
func checkNamespacesExist(s *Snapshot, names, asked []string) error {
	if len(asked) == 0 || !s.Has(Namespaces) {
		return nil
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, ns := range asked {
		if !have[ns] {
			return fmt.Errorf("namespace %q does not exist in the cluster", ns)
		}
	}
	return nil
}

// liveCollector lists the registered types of one collection, keeping
// what keep makes of each object.
type liveCollector[T any] struct {
	opts  LiveOptions
	scope []string
	pager func(resource string) *pager
	keep  func(Object) (T, error)
	mu    sync.Mutex
}

type typeResult[T any] struct {
	objs []T
	cov  Coverage
}

func (c *liveCollector[T]) report(p Progress) {
	if c.opts.Progress == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opts.Progress(p)
}

// collect lists one type: cluster-wide, or namespace by namespace when the
// collection is narrowed (Namespaces themselves are then read one by one).
func (c *liveCollector[T]) collect(ctx context.Context, s served) typeResult[T] {
	cov := Coverage{Resource: s.t.Key, Kind: s.t.Kind, Group: s.t.Group}
	if s.version == "" {
		cov.Status, cov.Reason = s.status, s.reason
		return typeResult[T]{cov: cov}
	}
	p := c.pager(s.t.Key)
	metaOnly := s.t.Key == Secrets
	var objs []T
	var err error
	switch {
	case c.scope == nil || (!s.t.Namespaced && s.t.Key != Namespaces):
		objs, err = listAll(ctx, p, resourcePath(s, ""), s, metaOnly, c.keep)
	case s.t.Key == Namespaces:
		for _, ns := range c.scope {
			var o Object
			if o, err = p.get(ctx, resourcePath(s, "")+"/"+ns, s); err != nil {
				break
			}
			if o == nil {
				continue
			}
			var v T
			if v, err = c.keep(o); err != nil {
				break
			}
			objs = append(objs, v)
		}
	default:
		for _, ns := range c.scope {
			var part []T
			if part, err = listAll(ctx, p, resourcePath(s, ns), s, metaOnly, c.keep); err != nil {
				err = fmt.Errorf("namespace %s: %w", ns, err)
				break
			}
			objs = append(objs, part...)
		}
	}
	if err != nil {
		cov.Status, cov.Reason = classify(ctx, c.opts, err)
		return typeResult[T]{cov: cov}
	}
	if objs == nil {
		objs = []T{}
	}
	cov.Status, cov.Count = Collected, len(objs)
	return typeResult[T]{objs: objs, cov: cov}
}
