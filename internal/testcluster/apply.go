package testcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/tilsyn/tilsyn/collect"
)

var getOptions = metav1.GetOptions{}

// CreateOptions tune Create.
type CreateOptions struct {
	// DryRun asks the API server to validate and admit every object
	// without storing it (server-side dry run).
	DryRun bool
	// IgnoreExisting skips objects that already exist instead of failing.
	IgnoreExisting bool
	// Workers is how many objects are created at once; 0 means 8.
	Workers int
	// AnyOrder ignores declared creationTimestamps (see Create): the
	// prerequisites first, then everything else at once, for bulk loads
	// where age does not matter.
	AnyOrder bool
}

// applier creates objects through the dynamic client, mapping kinds to
// resources by discovery.
type applier struct {
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
}

func (c *Cluster) apply() (*applier, error) {
	c.applierOnce.Do(func() {
		dyn, err := dynamic.NewForConfig(c.AdminConfig())
		if err != nil {
			c.applierErr = err
			return
		}
		c.applier = &applier{
			dynamic: dyn,
			mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.admin.Discovery())),
		}
	})
	return c.applier, c.applierErr
}

// CreateFromDir reads manifests with collect.FromManifests and creates the
// objects of every registered type (see Create). Objects of other kinds
// are not created: a live collection does not read them.
func (c *Cluster) CreateFromDir(ctx context.Context, dir string, opts CreateOptions) (*collect.Snapshot, error) {
	snap, err := collect.FromManifests(collect.ManifestOptions{Paths: []string{dir}, Now: time.Now()})
	if err != nil {
		return nil, err
	}
	var objs []collect.Object
	for _, t := range collect.Registry {
		objs = append(objs, snap.Resources[t.Key]...)
	}
	return snap, c.Create(ctx, objs, opts)
}

// CreateSnapshot creates (see Create) the objects of every registered
// type of a snapshot dumped from another cluster, changed in place as far
// as a fresh API server needs to accept them: a Job's selector names the
// uid its own API server gave it, which a create accepts only as a manual
// selector, and a Service's cluster IPs come from the other cluster's
// range, so this API server allocates its own. It returns how many
// objects it sent.
func (c *Cluster) CreateSnapshot(ctx context.Context, snap *collect.Snapshot, opts CreateOptions) (int, error) {
	for _, j := range snap.Resources[collect.Jobs] {
		if spec := collect.Map(j, "spec"); spec != nil {
			spec["manualSelector"] = true
		}
	}
	for _, svc := range snap.Resources[collect.Services] {
		if spec := collect.Map(svc, "spec"); spec != nil && spec["clusterIP"] != "None" {
			delete(spec, "clusterIP")
			delete(spec, "clusterIPs")
		}
	}
	var objs []collect.Object
	for _, t := range collect.Registry {
		objs = append(objs, snap.Resources[t.Key]...)
	}
	return len(objs), c.Create(ctx, objs, opts)
}

// Create creates objects as the admin. The API server sets
// creationTimestamp itself, and tilsyn's mesh decisions depend on the
// order of creation (the oldest PeerAuthentication wins), so objects are
// created in the order of the creationTimestamp their manifest declares:
// CustomResourceDefinitions and Namespaces first, then each declared
// timestamp in turn, each in a later second than the one before, then the
// objects that declare none (which tilsyn's offline reading ranks as
// newest). Server-set fields (uid, resourceVersion, creationTimestamp,
// managedFields, status) are dropped from the request.
func (c *Cluster) Create(ctx context.Context, objs []collect.Object, opts CreateOptions) error {
	a, err := c.apply()
	if err != nil {
		return err
	}
	if opts.Workers == 0 {
		opts.Workers = 8
	}
	batches := creationBatches(objs, opts.AnyOrder)
	for i, batch := range batches {
		if i > 0 && !opts.DryRun && !opts.AnyOrder {
			// The next batch must get a later creationTimestamp (whole
			// seconds) than everything before it.
			now := time.Now()
			time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
		}
		if err := a.createAll(ctx, batch, opts); err != nil {
			return err
		}
	}
	return nil
}

// creationBatches groups objects: prerequisites, then one batch per
// declared creationTimestamp in ascending order, then the rest (with
// anyOrder, everything but the prerequisites in one batch).
func creationBatches(objs []collect.Object, anyOrder bool) [][]collect.Object {
	var first, last []collect.Object
	byTime := map[string][]collect.Object{}
	for _, o := range objs {
		kind := collect.Str(o, "kind")
		ts := collect.Str(o, "metadata", "creationTimestamp")
		switch {
		case kind == "CustomResourceDefinition" || kind == "Namespace":
			first = append(first, o)
		case ts != "" && !anyOrder:
			byTime[ts] = append(byTime[ts], o)
		default:
			last = append(last, o)
		}
	}
	times := make([]string, 0, len(byTime))
	for ts := range byTime {
		times = append(times, ts)
	}
	sort.Strings(times)
	var out [][]collect.Object
	if len(first) > 0 {
		out = append(out, first)
	}
	for _, ts := range times {
		out = append(out, byTime[ts])
	}
	if len(last) > 0 {
		out = append(out, last)
	}
	return out
}

func (a *applier) createAll(ctx context.Context, objs []collect.Object, opts CreateOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan collect.Object)
	for w := 0; w < min(opts.Workers, len(objs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range next {
				if err := a.create(ctx, o, opts); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, o := range objs {
		select {
		case next <- o:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return firstErr
}

func (a *applier) create(ctx context.Context, o collect.Object, opts CreateOptions) error {
	u, err := toUnstructured(o)
	if err != nil {
		return err
	}
	desc := u.GetKind() + " " + u.GetName()
	if u.GetNamespace() != "" {
		desc = u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
	}
	gvk := u.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		a.mapper.Reset()
		mapping, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("create %s: %s is not served: %w", desc, gvk, err)
	}
	var ri dynamic.ResourceInterface = a.dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = a.dynamic.Resource(mapping.Resource).Namespace(u.GetNamespace())
	}
	co := metav1.CreateOptions{FieldManager: "testcluster"}
	if opts.DryRun {
		co.DryRun = []string{metav1.DryRunAll}
	}
	if _, err := ri.Create(ctx, u, co); err != nil {
		if opts.IgnoreExisting && apierrors.IsAlreadyExists(err) {
			return nil
		}
		return fmt.Errorf("create %s: %w", desc, err)
	}
	return nil
}

// toUnstructured copies an object into the form the dynamic client sends,
// without the fields the API server sets.
func toUnstructured(o collect.Object) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"} {
		unstructured.RemoveNestedField(u.Object, "metadata", f)
	}
	delete(u.Object, "status")
	return u, nil
}

// Serves reports whether the API server serves a group, version and kind.
func (c *Cluster) Serves(gvk schema.GroupVersionKind) bool {
	a, err := c.apply()
	if err != nil {
		return false
	}
	_, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	return err == nil
}
