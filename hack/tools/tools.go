//go:build tools

// Package tools records the commands built from this module so that
// `go mod tidy` keeps their requirements. It is never compiled: tools.mk
// builds the packages below (and ./etcd) directly with `go build`.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
