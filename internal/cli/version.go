package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/tilsyn/tilsyn/internal/version"
)

func runVersion(ctx context.Context, s Streams, args []string) error {
	fs := newFlagSet("version", "Usage: tilsyn version\n\nPrint the tilsyn version and the versions it was built with.", "", s.Out)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opa := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/open-policy-agent/opa" {
				opa = d.Version
			}
		}
	}
	fmt.Fprintf(s.Out, "tilsyn %s (%s, OPA %s)\n", version.Version, runtime.Version(), opa)
	return nil
}
