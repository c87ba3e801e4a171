// Package bench measures the audit pipeline on synthetic clusters: collect
// from manifests, resolve the mesh, evaluate every control and write the
// JSON report, at 1x, 2x and 4x the 70,000-object reference cluster.
// Run it with `make bench`.
package bench
