// Package policies embeds tilsyn's built-in Rego policies: one package per
// control under tilsyn.controls, each with METADATA and a _test.rego file,
// plus shared helpers under tilsyn.lib.
package policies

import "embed"

// FS holds every built-in .rego file (policies and their tests).
//
//go:embed */*.rego
var FS embed.FS
