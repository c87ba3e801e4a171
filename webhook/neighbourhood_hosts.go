package webhook

import (
	"strings"

	"github.com/tilsyn/tilsyn/collect"
)

// The host relations of neighbourhoods (see neighbourhood.go): rules and
// entries by the hosts they name, Services by the patterns that match
// them.

// hosts adds the DestinationRules and ServiceEntries for some hosts, and
// the Services the hosts name.
func (h *hood) hosts(hosts []string) {
	for _, host := range hosts {
		if host == "" || h.hostsDone[host] {
			continue
		}
		h.hostsDone[host] = true
		if isWildcard(host) {
			h.servicesMatching(host)
			// The patterns that can match a host this one matches: those
			// that end the same way, more or less specific.
			suffix := host[1:]
			for key, es := range h.s.wildcards {
				if !strings.HasSuffix(suffix, key) && !strings.HasSuffix(key, suffix) {
					continue
				}
				for e := range es {
					h.add(e)
				}
			}
			for hh, es := range h.s.hosts {
				if hostMatches(host, hh) {
					for e := range es {
						h.add(e)
					}
				}
			}
			continue
		}
		for e := range h.s.hosts[host] {
			h.add(e)
		}
		// The patterns "*" and "*.suffix" that match the host: "*.suffix"
		// matches when the host ends with ".suffix", a part of it that
		// starts at one of its dots.
		for e := range h.s.wildcards[""] {
			h.add(e)
		}
		for i := range len(host) {
			if host[i] == '.' {
				for e := range h.s.wildcards[host[i:]] {
					h.add(e)
				}
			}
		}
		if name, ns, ok := h.serviceHost(host); ok {
			h.add(h.s.get(collect.Services, ns, name))
		}
	}
}

// servicesMatching adds the Services whose host, name.namespace.svc.<domain>,
// a wildcard pattern matches (hostMatches), without spelling out the host
// of every Service of the cluster: a namespace's Services all match, or
// none does, unless the pattern is longer than ".namespace.svc.<domain>".
func (h *hood) servicesMatching(pattern string) {
	tail := ".svc." + h.s.domain
	suffix := pattern[1:] // "" for "*"
	for ns, byName := range h.s.objects[collect.Services] {
		if n := len(suffix) - (1 + len(ns) + len(tail)); n > 0 {
			if !endsWith(suffix, ".", ns, tail) {
				continue
			}
			for name, svc := range byName {
				if strings.HasSuffix(name, suffix[:n]) {
					h.add(svc)
				}
			}
			continue
		}
		if endsWith(suffix, ".", ns, tail) {
			for _, svc := range byName {
				h.add(svc)
			}
		}
	}
}

// endsWith reports whether the concatenation of parts ends with suffix or,
// when suffix is longer, whether suffix ends with their concatenation.
func endsWith(suffix string, parts ...string) bool {
	for i := len(parts) - 1; i >= 0 && suffix != ""; i-- {
		p := parts[i]
		if len(suffix) <= len(p) {
			return strings.HasSuffix(p, suffix)
		}
		if !strings.HasSuffix(suffix, p) {
			return false
		}
		suffix = suffix[:len(suffix)-len(p)]
	}
	return true
}

// serviceHost splits name.namespace.svc.<domain>.
func (h *hood) serviceHost(host string) (name, ns string, ok bool) {
	rest, found := strings.CutSuffix(host, ".svc."+h.s.domain)
	if !found {
		return "", "", false
	}
	name, ns, ok = strings.Cut(rest, ".")
	return name, ns, ok && !strings.Contains(ns, ".")
}
