// Command synth writes a synthetic cluster as manifests, for benchmarks:
//
//	go run ./hack/synth -scale 1 -out /tmp/cluster-1x
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tilsyn/tilsyn/internal/synth"
)

func main() {
	scale := flag.Float64("scale", 1, "size relative to the 70,000-object reference cluster")
	out := flag.String("out", "", "directory to write the manifests into")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "synth: -out DIR is required")
		os.Exit(2)
	}
	start := time.Now()
	n, err := synth.WriteDir(*out, synth.Scaled(*scale))
	if err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
	fmt.Printf("%d objects written to %s in %v\n", n, *out, time.Since(start).Round(time.Millisecond))
}
