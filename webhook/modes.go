package webhook

import (
	"fmt"
	"sort"
	"strings"
)

// Mode says what a control's introduced findings do to a request.
type Mode string

// Modes.
const (
	// Enforce denies the request.
	Enforce Mode = "enforce"
	// Warn admits it with a warning the client shows.
	Warn Mode = "warn"
	// DryRun admits it silently; the decision log records what enforce
	// would have done.
	DryRun Mode = "dryrun"
)

// Modes lists the modes for messages.
var Modes = []Mode{Enforce, Warn, DryRun}

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("mode %q: want one of enforce, warn, dryrun", s)
}

// Policy is the mode of every control: a default and per-control
// exceptions.
type Policy struct {
	Default  Mode
	Controls map[string]Mode
}

// For returns the mode of a control.
func (p Policy) For(id string) Mode {
	if m, ok := p.Controls[id]; ok {
		return m
	}
	if p.Default == "" {
		return Enforce
	}
	return p.Default
}

// ParseControlModes reads per-control modes written as ID=mode
// (MESH-05=warn).
func ParseControlModes(specs []string) (map[string]Mode, error) {
	out := map[string]Mode{}
	for _, s := range specs {
		id, mode, ok := strings.Cut(s, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			return nil, fmt.Errorf("%q: want CONTROL=MODE, such as MESH-05=warn", s)
		}
		m, err := ParseMode(strings.TrimSpace(mode))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		if prev, dup := out[id]; dup && prev != m {
			return nil, fmt.Errorf("%q: %s is already %s", s, id, prev)
		}
		out[id] = m
	}
	return out, nil
}

// Check reports a per-control mode for a control that is not loaded: a
// typo would otherwise leave the control in the default mode unnoticed.
func (p Policy) Check(known []string) error {
	ids := map[string]bool{}
	for _, id := range known {
		ids[id] = true
	}
	for _, id := range sortedKeys(p.Controls) {
		if !ids[id] {
			sorted := append([]string{}, known...)
			sort.Strings(sorted)
			return fmt.Errorf("no control %s is loaded (have %s)", id, strings.Join(sorted, ", "))
		}
	}
	return nil
}
