// Package bench measures the audit pipeline on synthetic clusters: collect
// from manifests, resolve the mesh, evaluate every control and write the
// JSON report, at 1x, 2x and 4x the 70,000-object reference cluster; and
// the evidence around the report: the PDF of the reference cluster, and
// signing and verifying a 50 MiB report. Run it with `make bench`.
package bench
