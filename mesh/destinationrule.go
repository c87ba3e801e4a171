package mesh

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	"github.com/tilsyn/tilsyn/collect"
)

// Client TLS outcomes besides the DestinationRule modes (DISABLE, SIMPLE,
// MUTUAL, ISTIO_MUTUAL).
const (
	// ClientAutoMTLS: no DestinationRule sets tls, auto mTLS applies: mesh
	// certificates to endpoints with a sidecar, plaintext to the rest.
	ClientAutoMTLS = "AUTO_MTLS"
	// ClientPlaintext: no DestinationRule sets tls and auto mTLS does not
	// apply (disabled, external service, or a DISABLE server).
	ClientPlaintext = "PLAINTEXT"
)

// destRule is one DestinationRule, decoded with Istio's own types.
type destRule struct {
	namespace, name, created string
	index                    int
	host                     string // as written
	fqdn                     string // short names resolved against the rule's namespace
	exportTo                 []string
	spec                     *networkingv1alpha3.DestinationRule
}

func (d *destRule) id() string { return d.namespace + "/" + d.name }

// visibleTo reports whether the rule is exported to namespace ns
// ("*" all, "." its own, "~" none, or named namespaces).
func (d *destRule) visibleTo(ns string) bool {
	for _, e := range d.exportTo {
		switch e {
		case "*":
			return true
		case ".":
			if ns == d.namespace {
				return true
			}
		case "~":
		default:
			if e == ns {
				return true
			}
		}
	}
	return false
}

// resolveHost is istiod's ResolveShortnameToFQDN: a name without a dot
// becomes name.<namespace>.svc.<domain>; "*", IP addresses and names with a
// dot are kept as written.
func resolveHost(h, ns, domain string) string {
	if h == "" || h == "*" || net.ParseIP(h) != nil || strings.Contains(h, ".") {
		return h
	}
	return h + "." + ns + ".svc." + domain
}

// hostMatches reports whether pattern (exact or "*.suffix" or "*") matches
// the concrete host name.
func hostMatches(pattern, name string) bool {
	if pattern == "*" {
		return true
	}
	if strings.HasPrefix(pattern, "*.") {
		return strings.HasSuffix(name, pattern[1:])
	}
	return pattern == name
}

// destRuleSpecs remembers decoded specs by their JSON.
var destRuleSpecs = newMemo[*networkingv1alpha3.DestinationRule](4096)

// destRuleShared remembers decoded specs by the identity of their maps
// (ResolveShared).
var destRuleShared = newIdentityMemo[*networkingv1alpha3.DestinationRule](16384)

func decodeDestRules(s *collect.Snapshot, cfg Config, sh *sharing) ([]*destRule, error) {
	var out []*destRule
	for i, o := range s.Resources[collect.DestinationRules] {
		m := nameMeta(o)
		spec := &networkingv1alpha3.DestinationRule{}
		if raw, ok := o["spec"]; ok {
			decode := func() (*networkingv1alpha3.DestinationRule, error) {
				js, err := json.Marshal(raw)
				if err != nil {
					return nil, err
				}
				return destRuleSpecs.get(string(js), func(js string) (*networkingv1alpha3.DestinationRule, error) {
					spec := &networkingv1alpha3.DestinationRule{}
					return spec, json.Unmarshal([]byte(js), spec)
				})
			}
			var err error
			if rm, isMap := raw.(map[string]any); isMap && sh.keeps(o) {
				spec, err = destRuleShared.get(rm, decode)
			} else {
				spec, err = decode()
			}
			if err != nil {
				return nil, fmt.Errorf("DestinationRule %s/%s: spec: %w", m.Namespace, m.Name, err)
			}
		}
		d := &destRule{namespace: m.Namespace, name: m.Name, created: m.CreationTimestamp, index: i,
			host: spec.GetHost(), fqdn: resolveHost(spec.GetHost(), m.Namespace, cfg.DomainSuffix),
			exportTo: spec.GetExportTo(), spec: spec}
		if len(d.exportTo) == 0 {
			d.exportTo = cfg.DefaultDestinationRuleExportTo
		}
		out = append(out, d)
	}
	return out, nil
}

// destRuleIndex finds the DestinationRule a caller applies toward a host.
type destRuleIndex struct {
	root      string
	autoMtls  bool
	exact     map[string]map[string][]*destRule // namespace -> fqdn -> rules (oldest first)
	wildcards map[string][]*destRule            // namespace -> wildcard rules, most specific first
}

func indexDestRules(rules []*destRule, cfg Config) *destRuleIndex {
	ix := &destRuleIndex{root: cfg.RootNamespace, autoMtls: cfg.EnableAutoMtls,
		exact: map[string]map[string][]*destRule{}, wildcards: map[string][]*destRule{}}
	for _, d := range rules {
		if d.fqdn == "*" || strings.HasPrefix(d.fqdn, "*.") {
			ix.wildcards[d.namespace] = append(ix.wildcards[d.namespace], d)
			continue
		}
		if ix.exact[d.namespace] == nil {
			ix.exact[d.namespace] = map[string][]*destRule{}
		}
		ix.exact[d.namespace][d.fqdn] = append(ix.exact[d.namespace][d.fqdn], d)
	}
	byAge := func(l []*destRule) func(i, j int) bool {
		return func(i, j int) bool {
			a, b := l[i], l[j]
			if a.created != b.created && a.created != "" && b.created != "" {
				return a.created < b.created
			}
			if (a.created == "") != (b.created == "") {
				return b.created == ""
			}
			return a.name < b.name
		}
	}
	for _, m := range ix.exact {
		for _, l := range m {
			sort.SliceStable(l, byAge(l))
		}
	}
	for ns, l := range ix.wildcards {
		sort.SliceStable(l, byAge(l))
		// Most specific (longest) wildcard first; "*" last.
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].fqdn) > len(l[j].fqdn) })
		ix.wildcards[ns] = l
	}
	return ix
}

// match returns the most specific rule in namespace ns for host that is
// visible to caller (exact beats wildcard; among equals the oldest).
func (ix *destRuleIndex) match(ns, host, caller string, local bool) *destRule {
	for _, d := range ix.exact[ns][host] {
		if local || d.visibleTo(caller) {
			return d
		}
	}
	for _, d := range ix.wildcards[ns] {
		if hostMatches(d.fqdn, host) && (local || d.visibleTo(caller)) {
			return d
		}
	}
	return nil
}

// lookup is istiod's DestinationRule choice for a caller in namespace
// caller toward a service host living in namespace svcNS: rules in the
// caller's own namespace first, then rules exported from the service's
// namespace, then rules exported from the root namespace.
func (ix *destRuleIndex) lookup(caller, host, svcNS string) *destRule {
	if d := ix.match(caller, host, caller, true); d != nil {
		return d
	}
	if svcNS != caller {
		if d := ix.match(svcNS, host, caller, false); d != nil {
			return d
		}
	}
	if ix.root != caller && ix.root != svcNS {
		return ix.match(ix.root, host, caller, false)
	}
	return nil
}

// ClientTLS is what a caller sends toward one service port.
type ClientTLS struct {
	// Mode is DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL, AUTO_MTLS or PLAINTEXT.
	Mode string `json:"mode"`
	// Rule is the DestinationRule ("namespace/name"), empty when none applies.
	Rule string `json:"rule,omitempty"`
	// Field is the path of the tls block used within the rule.
	Field string `json:"field,omitempty"`
}

// clientTLS resolves the TLS a caller in namespace caller uses toward
// host:port (a Service port) in namespace svcNS, optionally for a subset.
// external marks MESH_EXTERNAL services; serverMode is the inferred server
// mode (auto mTLS is off toward DISABLE servers).
func (ix *destRuleIndex) clientTLS(caller, host, svcNS string, port uint32, subset string, external bool, serverMode string) ClientTLS {
	d := ix.lookup(caller, host, svcNS)
	if d != nil {
		if tls, field := selectTLS(d.spec, port, subset); tls != nil {
			// An explicit tls block is used as written; its mode defaults
			// to DISABLE (the enum's zero value), as in istiod.
			return ClientTLS{Mode: tls.GetMode().String(), Rule: d.id(), Field: field}
		}
	}
	out := ClientTLS{Mode: ClientPlaintext}
	if d != nil {
		out.Rule = d.id()
	}
	if ix.autoMtls && !external && serverMode != ModeDisable {
		out.Mode = ClientAutoMTLS
	}
	return out
}

// selectTLS merges the tls settings of a DestinationRule for one port and
// subset as istiod's MergeTrafficPolicy does: top level, then the top
// level's port settings, then the subset's traffic policy, then the
// subset's port settings — each replacing the tls block where it sets one.
func selectTLS(spec *networkingv1alpha3.DestinationRule, port uint32, subset string) (*networkingv1alpha3.ClientTLSSettings, string) {
	var tls *networkingv1alpha3.ClientTLSSettings
	field := ""
	apply := func(tp *networkingv1alpha3.TrafficPolicy, prefix string) {
		if tp == nil {
			return
		}
		if tp.Tls != nil {
			tls, field = tp.Tls, prefix+".tls"
		}
		for i, pl := range tp.PortLevelSettings {
			if pl.GetPort().GetNumber() == port && pl.Tls != nil {
				tls, field = pl.Tls, prefix+".portLevelSettings["+strconv.Itoa(i)+"].tls"
				break
			}
		}
	}
	apply(spec.TrafficPolicy, "spec.trafficPolicy")
	if subset != "" {
		for i, s := range spec.Subsets {
			if s.GetName() == subset {
				apply(s.TrafficPolicy, "spec.subsets["+strconv.Itoa(i)+"].trafficPolicy")
				break
			}
		}
	}
	return tls, field
}
