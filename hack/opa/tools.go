//go:build tools

// Package tools records the command built from this module so that `go
// mod tidy` keeps its requirements: the Makefile builds
// github.com/open-policy-agent/opa into bin/opa.
package tools

import _ "github.com/open-policy-agent/opa"
