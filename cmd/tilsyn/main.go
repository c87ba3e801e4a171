// Command tilsyn produces GDPR and Schrems II audit evidence for
// Kubernetes clusters running the Istio service mesh.
package main

import (
	"os"

	"github.com/tilsyn/tilsyn/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
