package report

import "strings"

// families name what the controls of each family (the prefix of their
// ID) are about, in the order reports list them. A report speaks of a
// family only when it holds controls of it.
var families = []struct{ prefix, topic string }{
	{"MESH", "encryption in transit"},
	{"TLS", "TLS settings"},
	{"PKI", "the mesh's certificates"},
	{"EGR", "transfers out of the cluster"},
	{"LOC", "data location"},
	{"BAK", "backups"},
	{"RES", "resilience"},
	{"ACC", "accountability"},
}

// catalog is what a report's controls cover.
type catalog struct {
	// topics of the families with controls in the report, in order.
	topics []string
	// has says which families have controls.
	has map[string]bool
	// other lists the controls of no known family (user policies).
	other []string
	total int
}

func catalogOf(controls []Control) catalog {
	c := catalog{has: map[string]bool{}, total: len(controls)}
	known := map[string]bool{}
	for _, f := range families {
		known[f.prefix] = true
	}
	for _, ctl := range controls {
		prefix, _, _ := strings.Cut(ctl.ID, "-")
		if known[prefix] {
			c.has[prefix] = true
		} else {
			c.other = append(c.other, ctl.ID)
		}
	}
	for _, f := range families {
		if c.has[f.prefix] {
			c.topics = append(c.topics, f.topic)
		}
	}
	return c
}

// about says in words what the controls are about: "encryption in
// transit, data location and 2 other controls (NO-01, NO-02)".
func (c catalog) about() string {
	parts := append([]string(nil), c.topics...)
	if n := len(c.other); n > 0 {
		word := "control"
		if len(c.topics) > 0 {
			word = "other control"
		}
		parts = append(parts, plural(n, word)+" ("+strings.Join(c.other, ", ")+")")
	}
	return joinAnd(parts)
}

// joinAnd joins words as a list: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	switch n := len(words); n {
	case 0:
		return ""
	case 1:
		return words[0]
	default:
		return strings.Join(words[:n-1], ", ") + " and " + words[n-1]
	}
}
