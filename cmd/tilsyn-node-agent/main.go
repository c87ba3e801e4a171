// Command tilsyn-node-agent is tilsyn's node agent on its own: the same
// agent as `tilsyn node-agent`, in a binary that links nothing else.
//
// It exists because a Go program initialises every package it links
// before main runs. tilsyn links OPA, Istio's API types and every
// Kubernetes API group, whose initialisation alone holds about 39 MiB of
// memory; the agent runs on every node and should idle at a fraction of
// that. The DaemonSet runs this binary; the subcommand is there for ad hoc
// use on a machine that has tilsyn.
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
