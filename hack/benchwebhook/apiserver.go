package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/internal/testcluster"
)

// throughAPIServer creates a cluster's objects on a real kube-apiserver
// (internal/testcluster: the pinned builds of make tools) and collects
// them back as a live collection reads them, with what the API server
// adds: defaults, uids, resource versions and timestamps. The webhook's
// informers hold objects in that form, and the API server sends new ones
// in it. The API server is stopped before anything is measured.
func throughAPIServer(ctx context.Context, snap *collect.Snapshot) (*collect.Snapshot, error) {
	start := time.Now()
	c, err := testcluster.New(ctx, testcluster.Options{})
	if err != nil {
		return nil, err
	}
	defer c.Stop()
	if err := c.InstallCRDs(ctx, append(testcluster.IstioCRDs(), testcluster.VeleroCRDs()...)); err != nil {
		return nil, err
	}
	// The synthetic cluster has the system namespaces the API server
	// creates by itself.
	n, err := c.CreateSnapshot(ctx, snap, testcluster.CreateOptions{AnyOrder: true, IgnoreExisting: true, Workers: 16})
	if err != nil {
		return nil, fmt.Errorf("creating the cluster on the API server: %w", err)
	}
	live, err := collect.FromCluster(ctx, collect.LiveOptions{
		Connection: &collect.Connection{Config: c.AdminConfig()},
		Now:        time.Now().UTC().Truncate(time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("collecting the cluster back: %w", err)
	}
	var missing []string
	for _, cov := range live.Coverage {
		if cov.Status != collect.Collected && len(snap.Resources[cov.Resource]) > 0 {
			missing = append(missing, fmt.Sprintf("%s (%s: %s)", cov.Resource, cov.Status, cov.Reason))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("collecting the cluster back: not collected: %s", strings.Join(missing, ", "))
	}
	fmt.Printf("created %d objects on kube-apiserver and collected them back in %s\n", n, time.Since(start).Round(time.Second))
	return live, nil
}
