package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/tilsyn/tilsyn/collect"
)

// Informers keep a State current from a live cluster: one informer (list,
// then watch) per registered type the cluster serves, objects read into
// the same form as a live collection's (Secrets as metadata only). A type
// the cluster does not serve, or that RBAC forbids, is recorded in the
// state's coverage and the controls that need it are not assessed.
type Informers struct {
	state   *State
	log     *slog.Logger
	mu      sync.Mutex
	pending []watched
	ready   bool
}

type watched struct {
	synced cache.InformerSynced
	t      collect.ResourceType
}

// StartInformers discovers the served types and starts their informers;
// they stop when ctx ends. Ready reports when every one has synced.
func StartInformers(ctx context.Context, cfg *rest.Config, s *State, log *slog.Logger) (*Informers, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = rest.NoWarnings{}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	served, err := collect.ServedTypes(dc)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", cfg.Host, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	inf := &Informers{state: s, log: log}
	for _, st := range served {
		cov := collect.Coverage{Resource: st.Type.Key, Kind: st.Type.Kind, Group: st.Type.Group}
		if st.Version == "" {
			cov.Status, cov.Reason = st.Status, st.Reason
			s.SetCoverage(cov)
			continue
		}
		gvr := schema.GroupVersionResource{Group: st.Type.Group, Version: st.Version, Resource: st.Type.Key}
		// A type RBAC forbids would make its informer retry forever;
		// find out first, with a list of one.
		var probe error
		if st.Type.Key == collect.Secrets {
			_, probe = md.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		} else {
			_, probe = dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		}
		if probe != nil {
			cov.Status, cov.Reason = collect.Failed, probe.Error()
			switch {
			case apierrors.IsForbidden(probe):
				cov.Status = collect.Forbidden
			case apierrors.IsNotFound(probe):
				cov.Status = collect.Absent
			}
			s.SetCoverage(cov)
			log.Warn("resource type not watched", "resource", st.Type.Key, "status", cov.Status, "reason", cov.Reason)
			continue
		}
		var informer cache.SharedIndexInformer
		if st.Type.Key == collect.Secrets {
			informer = metadatainformer.NewFilteredMetadataInformer(md, gvr, "", 0, cache.Indexers{}, nil).Informer()
		} else {
			informer = dynamicinformer.NewFilteredDynamicInformer(dyn, gvr, "", 0, cache.Indexers{}, nil).Informer()
		}
		if err := inf.watch(ctx, informer, st); err != nil {
			return nil, err
		}
	}
	return inf, nil
}

// watch wires one informer to the state and starts it.
func (inf *Informers) watch(ctx context.Context, informer cache.SharedIndexInformer, st collect.ServedType) error {
	s, log := inf.state, inf.log
	if err := informer.SetTransform(keep(st)); err != nil {
		return err
	}
	upsert := func(obj any) {
		o, err := objectOf(obj, st)
		if err != nil {
			log.Error("cannot read object from watch", "resource", st.Type.Key, "error", err)
			return
		}
		s.Upsert(st.Type, o)
	}
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    upsert,
		UpdateFunc: func(_, obj any) { upsert(obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if m, err := meta.Accessor(obj); err == nil {
				s.Delete(st.Type, m.GetNamespace(), m.GetName())
			}
		},
	})
	if err != nil {
		return err
	}
	_ = informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
		log.Warn("watch failed; retrying", "resource", st.Type.Key, "error", err)
	})
	go informer.Run(ctx.Done())
	inf.mu.Lock()
	inf.pending = append(inf.pending, watched{informer.HasSynced, st.Type})
	inf.mu.Unlock()
	return nil
}

// keep is an informer's transform. The informer keeps every object in its
// store until the next event for it; keep reads each into the state's form
// as it arrives, so that the store keeps the very map the state keeps
// rather than a copy of its own. An object that cannot be read is stored
// as it came (the event handler logs it); one already read is kept as it
// is.
func keep(st collect.ServedType) cache.TransformFunc {
	return func(obj any) (any, error) {
		if _, ok := obj.(*kept); ok {
			return obj, nil
		}
		o, err := objectOf(obj, st)
		if err != nil {
			return obj, nil
		}
		return &kept{Unstructured: unstructured.Unstructured{Object: o}}, nil
	}
}

// objectOf reads an informer's object into the live collector's form.
func objectOf(obj any, st collect.ServedType) (collect.Object, error) {
	switch o := obj.(type) {
	case *kept:
		return o.Object, nil
	case *unstructured.Unstructured:
		return collect.LiveObject(o.Object, st)
	case *metav1.PartialObjectMetadata:
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, err
		}
		return collect.LiveObject(m, st)
	}
	return nil, fmt.Errorf("unexpected object %T", obj)
}

// kept is an informer's object already in the state's form (numbers as
// json.Number, sanitized), shared by the informer's store and the state.
// Neither changes it: an update replaces the whole object in both.
type kept struct{ unstructured.Unstructured }

// Ready reports whether every informer has synced; the types are then
// recorded as collected in the state's coverage.
func (inf *Informers) Ready() bool {
	inf.mu.Lock()
	defer inf.mu.Unlock()
	if inf.ready {
		return true
	}
	for _, w := range inf.pending {
		if !w.synced() {
			return false
		}
	}
	for _, w := range inf.pending {
		inf.state.SetCoverage(collect.Coverage{Resource: w.t.Key, Kind: w.t.Kind, Group: w.t.Group, Status: collect.Collected})
	}
	inf.log.Info("cluster state complete: every informer synced", "objects", inf.state.Len())
	inf.ready = true
	return true
}

// WaitReady waits until every informer has synced or ctx ends.
func (inf *Informers) WaitReady(ctx context.Context) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !inf.Ready() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("informers did not sync: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
