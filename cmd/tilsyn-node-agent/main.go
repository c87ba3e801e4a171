// Command tilsyn-node-agent is tilsyn's node agent on its own: the same
// agent as `tilsyn node-agent`, in a binary that links nothing else.
//
// It exists because a Go program initialises every package it links
// before main runs. tilsyn links OPA, Istio's API types and every
// Kubernetes API group: `tilsyn version` alone takes about 39 MiB, and the
// agent as `tilsyn node-agent` idles at about 45 MiB, where this binary
// idles at about 12.5 MiB. The agent runs on every node: the DaemonSet
// runs this binary; the subcommand is there for ad hoc use on a machine
// that has tilsyn.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tilsyn/tilsyn/nodeagent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := nodeagent.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
