package mesh

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/tilsyn/tilsyn/collect"
)

// Row is one line of the mTLS inventory: the mode a workload accepts on one
// port (0 = every port without a row of its own) and the policy that
// decided it ("namespace/name", or "default" when no policy matched).
type Row struct {
	Namespace string     `json:"namespace"`
	Workload  WorkloadID `json:"workload"`
	Port      int        `json:"port"`
	Mode      string     `json:"mode"`
	Policy    string     `json:"policy"`
	// Field is the field of Policy that decided Mode; empty for "default".
	Field   string `json:"field,omitempty"`
	Sidecar bool   `json:"sidecar"`
	Ambient bool   `json:"ambient,omitempty"`
	// ClientDisable lists DestinationRules that make some callers send
	// plaintext to this workload ("namespace/name").
	ClientDisable []string `json:"clientDisable,omitempty"`
	// Encrypted: STRICT, in the mesh (sidecar or ambient), and no
	// DestinationRule forces plaintext toward it.
	Encrypted bool   `json:"encrypted"`
	Note      string `json:"note,omitempty"`
}

// WorkloadID names a workload.
type WorkloadID struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Result is everything the resolver derives from a snapshot.
type Result struct {
	Config   Config         `json:"config"`
	Injector InjectorConfig `json:"injector"`
	// Workloads are sorted by namespace, kind and name; Rows follow them.
	Workloads []*Workload `json:"workloads"`
	Rows      []Row       `json:"mtls"`
	// PeerAuthentication states the mesh-level winner, the namespace-level
	// winners and the conflicts istiod resolves by age.
	PeerAuthentication PeerAuthFacts `json:"peerAuthentication"`
	// DestinationRules classifies every DestinationRule's host.
	DestinationRules []DestinationRuleFact `json:"destinationRules"`

	dr *destRuleIndex
}

// ClientTLSFor is what a caller in namespace caller sends toward host:port,
// a host declared in namespace svcNS (a Service's, or a ServiceEntry's):
// the DestinationRule istiod picks and its tls block for that port.
// external marks MESH_EXTERNAL hosts, toward which auto mTLS never applies.
func (r *Result) ClientTLSFor(caller, host, svcNS string, port uint32, external bool) ClientTLS {
	if r.dr == nil {
		return ClientTLS{Mode: ClientPlaintext}
	}
	fqdn := resolveHost(host, svcNS, r.Config.DomainSuffix)
	return r.dr.clientTLS(caller, fqdn, svcNS, port, "", external, "")
}

// PeerAuthFacts summarises PeerAuthentications by level.
type PeerAuthFacts struct {
	// Mesh is the winning mesh-wide policy, nil when there is none.
	Mesh *PolicyFact `json:"mesh"`
	// Namespaces maps a namespace to its winning namespace-wide policy.
	Namespaces map[string]PolicyFact `json:"namespaces"`
	Conflicts  []Conflict            `json:"conflicts"`
	// IgnoredSelectors are root-namespace policies with a selector, which
	// istiod ignores.
	IgnoredSelectors []PolicyFact `json:"ignoredSelectors"`
}

// PolicyFact names one PeerAuthentication and its mode.
type PolicyFact struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Mode      string `json:"mode"`
	Ref       Ref    `json:"ref"`
}

// DestinationRuleFact classifies a DestinationRule's host.
type DestinationRuleFact struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Ref       Ref    `json:"ref"`
	Host      string `json:"host"`
	FQDN      string `json:"fqdn"`
	// Target is "mesh" for cluster-local and MESH_INTERNAL hosts,
	// "external" for MESH_EXTERNAL ServiceEntry hosts and other names.
	Target string `json:"target"`
	// Services are the Services the host matches (at most 20 listed;
	// ServiceCount has them all).
	Services     []string `json:"services"`
	ServiceCount int      `json:"serviceCount"`
	// MeshBackends: a matched Service selects workloads that are in the mesh.
	MeshBackends bool `json:"meshBackends"`
}

// Resolve derives workloads, the mTLS inventory and the PeerAuthentication
// and DestinationRule facts from a snapshot.
func Resolve(s *collect.Snapshot) (*Result, error) { return resolveWith(s, nil) }

// ResolveShared is Resolve for callers that resolve many snapshots sharing
// objects which are never modified once resolved (the admission webhook's
// cluster state): what is decoded from an object is remembered by the
// object's identity, not read again. passing, when not nil, is an object
// of s seen this once, such as a change under review: nothing is
// remembered by its identity.
func ResolveShared(s *collect.Snapshot, passing collect.Object) (*Result, error) {
	return resolveWith(s, &sharing{passing: reflect.ValueOf(passing).UnsafePointer()})
}

func resolveWith(s *collect.Snapshot, sh *sharing) (*Result, error) {
	cfg, err := ConfigFromSnapshot(s)
	if err != nil {
		return nil, err
	}
	inj := InjectorFromSnapshot(s, cfg.RootNamespace)
	// Decoding policies and deriving workloads are independent: on large
	// snapshots, do them at once.
	var (
		pas       []*peerAuth
		drs       []*destRule
		svcs      []service
		external  []string
		workloads []*Workload
		g         errgroup.Group
	)
	steps := []func() error{
		func() (err error) { pas, err = decodePeerAuths(s, cfg.RootNamespace, sh); return err },
		func() (err error) { drs, err = decodeDestRules(s, cfg, sh); return err },
		func() error {
			if sh != nil {
				svcs = serviceMemo.get(s, sh, serviceInputs, cfg.DomainSuffix, func() []service { return decodeServices(s, cfg.DomainSuffix) })
			} else {
				svcs = decodeServices(s, cfg.DomainSuffix)
			}
			external = externalHosts(s)
			return nil
		},
		func() error {
			if sh != nil {
				workloads = workloadMemo.get(s, sh, workloadInputs, inj.Policy, func() []*Workload { return workloadsOf(s, inj, sh) })
			} else {
				workloads = workloadsOf(s, inj, nil)
			}
			return nil
		},
	}
	n := 0
	for _, objs := range s.Resources {
		n += len(objs)
	}
	for _, step := range steps {
		if n < smallSnapshot {
			// Goroutines cost more than they save on a few objects (the
			// webhook resolves thousands of small parts a second).
			if err := step(); err != nil {
				return nil, err
			}
		} else {
			g.Go(step)
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	paIx := indexPeerAuths(pas, cfg.RootNamespace)
	drIx := indexDestRules(drs, cfg)

	r := &Result{Config: cfg, Injector: inj, Workloads: workloads, dr: drIx}
	byNS := map[string][]*Workload{}
	for _, w := range r.Workloads {
		byNS[w.Namespace] = append(byNS[w.Namespace], w)
	}
	clientDisable := clientDisables(svcs, byNS, drs, drIx, external)

	wlConflicts := map[string]*Conflict{}
	for _, w := range r.Workloads {
		r.Rows = append(r.Rows, rowsFor(w, paIx, clientDisable[w], wlConflicts)...)
	}
	r.PeerAuthentication = paFacts(paIx, wlConflicts)
	r.DestinationRules = drFacts(drs, svcs, byNS, external)
	return r, nil
}

// smallSnapshot is the number of objects below which Resolve works in the
// calling goroutine.
const smallSnapshot = 512

var modeRank = map[string]int{ModeDisable: 0, ModePermissive: 1, ModeStrict: 2}

// rowsFor resolves every member of a workload and keeps, per port, the
// weakest mode any member accepts.
func rowsFor(w *Workload, ix *peerAuthIndex, disable []string, conflicts map[string]*Conflict) []Row {
	type pick struct{ mode, policy, field, note string }
	merged := map[int]pick{}
	set := func(port int, p pick) {
		if cur, ok := merged[port]; !ok || modeRank[p.mode] < modeRank[cur.mode] {
			merged[port] = p
		}
	}
	declared := map[int]bool{}
	for _, p := range w.Ports {
		declared[p] = true
	}
	for _, m := range w.members {
		res := ix.resolve(w.Namespace, m.labels)
		noteConflict(ix, w, m.labels, conflicts)
		ambient := m.dataplane == DataplaneAmbient
		adjust := func(mode string) (string, string) {
			if ambient && mode == ModeDisable {
				return ModePermissive, "DISABLE is not supported in ambient mode; ztunnel accepts plaintext as under PERMISSIVE"
			}
			return mode, ""
		}
		mode, note := adjust(res.Mode)
		set(0, pick{mode, res.Policy, res.Field, note})
		for port, pm := range res.Ports {
			mode, note := adjust(pm.Mode)
			if len(declared) > 0 && !declared[int(port)] {
				note = joinNote(note, fmt.Sprintf("port %d is not a declared container port; portLevelMtls keys are container ports, not Service ports", port))
			}
			set(int(port), pick{mode, pm.Policy, pm.Field, note})
		}
	}
	ports := make([]int, 0, len(merged))
	for p := range merged {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	inMesh := w.Dataplane != DataplaneNone
	rows := make([]Row, 0, len(ports))
	for _, port := range ports {
		p := merged[port]
		rows = append(rows, Row{
			Namespace: w.Namespace, Workload: WorkloadID{w.Kind, w.Name}, Port: port,
			Mode: p.mode, Policy: p.policy, Field: p.field,
			Sidecar: w.Dataplane == DataplaneSidecar, Ambient: w.Dataplane == DataplaneAmbient,
			ClientDisable: disable,
			Encrypted:     p.mode == ModeStrict && inMesh && len(disable) == 0,
			Note:          p.note,
		})
	}
	return rows
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// noteConflict records workload-level policies that match a workload but
// lose to an older one.
func noteConflict(ix *peerAuthIndex, w *Workload, labels map[string]string, out map[string]*Conflict) {
	var matched []*peerAuth
	for _, p := range ix.workload[w.Namespace] {
		if subsetOf(p.selector, labels) {
			matched = append(matched, p)
		}
	}
	if len(matched) < 2 {
		return
	}
	key := ""
	for _, p := range matched {
		key += p.id() + "\x00"
	}
	if _, seen := out[key]; seen {
		return
	}
	c := &Conflict{Level: LevelWorkload, Namespace: w.Namespace, Selector: selectorString(matched[0].selector), Winner: matched[0].id()}
	for _, p := range matched[1:] {
		c.Ignored = append(c.Ignored, p.id())
		c.Refs = append(c.Refs, Ref{collect.PeerAuthentications, p.index})
	}
	out[key] = c
}

func paFacts(ix *peerAuthIndex, wl map[string]*Conflict) PeerAuthFacts {
	f := PeerAuthFacts{Namespaces: map[string]PolicyFact{}, Conflicts: []Conflict{}, IgnoredSelectors: []PolicyFact{}}
	fact := func(p *peerAuth) PolicyFact {
		return PolicyFact{Namespace: p.namespace, Name: p.name, Mode: p.mode, Ref: Ref{collect.PeerAuthentications, p.index}}
	}
	if ix.mesh != nil {
		m := fact(ix.mesh)
		f.Mesh = &m
	}
	for ns, p := range ix.namespace {
		f.Namespaces[ns] = fact(p)
	}
	for _, c := range ix.conflicts {
		if c.Level != LevelWorkload {
			f.Conflicts = append(f.Conflicts, c)
		}
	}
	seen := map[string]bool{}
	for _, c := range wl {
		k := c.Winner + "\x00" + fmt.Sprint(c.Ignored)
		if !seen[k] {
			seen[k] = true
			f.Conflicts = append(f.Conflicts, *c)
		}
	}
	sort.Slice(f.Conflicts, func(i, j int) bool {
		a, b := f.Conflicts[i], f.Conflicts[j]
		if a.Winner != b.Winner {
			return a.Winner < b.Winner
		}
		return fmt.Sprint(a.Ignored) < fmt.Sprint(b.Ignored)
	})
	for _, p := range ix.ignoredSel {
		f.IgnoredSelectors = append(f.IgnoredSelectors, fact(p))
	}
	return f
}

// clientDisables finds, per workload, the DestinationRules that make some
// callers send plaintext to one of its Services. The callers considered
// are those in every namespace holding a rule for the Service's host, the
// Service's own namespace, and any other namespace.
func clientDisables(svcs []service, byNS map[string][]*Workload, drs []*destRule, ix *destRuleIndex,
	external []string) map[*Workload][]string {
	if len(drs) == 0 {
		return nil
	}
	exactNS := map[string][]string{} // fqdn -> namespaces with an exact rule
	// Wildcard rules by host pattern, as positions in drs: a name matches
	// "*" and "*" followed by any of its suffixes that starts with a dot,
	// so a Service looks up its few patterns instead of trying every rule.
	wildcards := map[string][]int{}
	for i, d := range drs {
		if isWildcard(d.fqdn) {
			wildcards[d.fqdn] = append(wildcards[d.fqdn], i)
		} else {
			exactNS[d.fqdn] = appendUnique(exactNS[d.fqdn], d.namespace)
		}
	}
	const otherNamespace = "\x00other"
	out := map[*Workload][]string{}
	var matching []int
	for _, svc := range svcs {
		var backends []*Workload
		for _, w := range byNS[svc.namespace] {
			if selects(svc, w) {
				backends = append(backends, w)
			}
		}
		if len(backends) == 0 {
			continue
		}
		callers := append([]string{}, exactNS[svc.fqdn]...)
		if len(wildcards) > 0 {
			matching = append(matching[:0], wildcards["*"]...)
			for i := 0; i < len(svc.fqdn); i++ {
				if svc.fqdn[i] == '.' {
					matching = append(matching, wildcards["*"+svc.fqdn[i:]]...)
				}
			}
			slices.Sort(matching) // in the rules' order, as before
			for _, i := range matching {
				callers = appendUnique(callers, drs[i].namespace)
			}
		}
		if len(callers) == 0 {
			continue // no rule can apply to this host
		}
		callers = append(callers, svc.namespace, otherNamespace)
		ext := isExternal(svc.fqdn, external)
		found := map[string]bool{}
		for _, caller := range callers {
			d := ix.lookup(caller, svc.fqdn, svc.namespace)
			if d == nil {
				continue
			}
			for _, port := range svc.ports {
				if ct := ix.clientTLS(caller, svc.fqdn, svc.namespace, port, "", ext, ""); ct.Mode == "DISABLE" {
					found[d.id()] = true
				}
				// A subset can set its own tls; a DISABLE in any subset counts.
				for _, sub := range d.spec.Subsets {
					if tls, _ := selectTLS(d.spec, port, sub.GetName()); tls != nil && tls.GetMode().String() == "DISABLE" {
						found[d.id()] = true
					}
				}
			}
		}
		for _, w := range backends {
			for rule := range found {
				out[w] = appendUnique(out[w], rule)
			}
		}
	}
	for w := range out {
		sort.Strings(out[w])
	}
	return out
}

func isWildcard(h string) bool { return h == "*" || strings.HasPrefix(h, "*.") }

func appendUnique(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

func drFacts(drs []*destRule, svcs []service, byNS map[string][]*Workload, external []string) []DestinationRuleFact {
	byFQDN := make(map[string][]int, len(svcs))
	for i, svc := range svcs {
		byFQDN[svc.fqdn] = append(byFQDN[svc.fqdn], i)
	}
	// Services by the wildcard patterns they match ("*" aside), in order,
	// when some rule has a wildcard host.
	var byPattern map[string][]int
	if slices.ContainsFunc(drs, func(d *destRule) bool { return isWildcard(d.fqdn) && d.fqdn != "*" }) {
		byPattern = map[string][]int{}
		for i, svc := range svcs {
			for j := 0; j < len(svc.fqdn); j++ {
				if svc.fqdn[j] == '.' {
					p := "*" + svc.fqdn[j:]
					byPattern[p] = append(byPattern[p], i)
				}
			}
		}
	}
	out := make([]DestinationRuleFact, 0, len(drs))
	for _, d := range drs {
		f := DestinationRuleFact{Namespace: d.namespace, Name: d.name, Ref: Ref{collect.DestinationRules, d.index},
			Host: d.host, FQDN: d.fqdn, Services: []string{}}
		visit := func(svc service) {
			f.ServiceCount++
			if len(f.Services) < 20 {
				f.Services = append(f.Services, svc.namespace+"/"+svc.name)
			}
			if !f.MeshBackends {
				for _, w := range byNS[svc.namespace] {
					if selects(svc, w) && w.Dataplane != DataplaneNone {
						f.MeshBackends = true
						break
					}
				}
			}
		}
		switch {
		case d.fqdn == "*":
			for _, svc := range svcs {
				visit(svc)
			}
		case isWildcard(d.fqdn):
			for _, i := range byPattern[d.fqdn] {
				visit(svcs[i])
			}
		default:
			for _, i := range byFQDN[d.fqdn] {
				visit(svcs[i])
			}
		}
		f.Target = classify(d.fqdn, f.ServiceCount > 0, external)
		out = append(out, f)
	}
	return out
}

// classify says whether a host is in the mesh: cluster-local names and
// hosts matching Services are; MESH_EXTERNAL ServiceEntry hosts and other
// names are external.
func classify(fqdn string, matchesService bool, external []string) string {
	if matchesService {
		return "mesh"
	}
	if isExternal(fqdn, external) {
		return "external"
	}
	if fqdn == "*" || hostMatches("*.svc."+DefaultDomainSuffix, fqdn) || hostMatches("*."+DefaultDomainSuffix, fqdn) ||
		fqdn == "*."+DefaultDomainSuffix || hasLocalSuffix(fqdn) {
		return "mesh"
	}
	return "external"
}

func hasLocalSuffix(fqdn string) bool {
	const s = ".svc." + DefaultDomainSuffix
	return len(fqdn) > len(s) && fqdn[len(fqdn)-len(s):] == s
}
