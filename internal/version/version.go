// Package version holds the tilsyn version, set at build time with
// -ldflags "-X github.com/tilsyn/tilsyn/internal/version.Version=v1.2.3".
package version

// Version is the tilsyn release; "dev" for untagged builds.
var Version = "dev"
