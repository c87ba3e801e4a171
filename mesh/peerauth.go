package mesh

import (
	"encoding/json"
	"fmt"
	"sort"

	securityv1beta1 "istio.io/api/security/v1beta1"

	"github.com/tilsyn/tilsyn/collect"
)

// fieldMode is the field of a PeerAuthentication that sets its mode.
const fieldMode = "spec.mtls.mode"

// mTLS modes as istiod names them.
const (
	ModeStrict     = "STRICT"
	ModePermissive = "PERMISSIVE"
	ModeDisable    = "DISABLE"
	ModeUnset      = "UNSET"
)

// Policy levels of a PeerAuthentication.
const (
	LevelMesh      = "mesh"
	LevelNamespace = "namespace"
	LevelWorkload  = "workload"
	LevelIgnored   = "ignored" // root namespace with a selector
)

// peerAuth is one PeerAuthentication, decoded with Istio's own types.
type peerAuth struct {
	namespace, name string
	created         string // RFC 3339; "" when the manifest has none
	index           int
	selector        map[string]string
	level           string
	mode            string // mode of spec.mtls, UNSET when absent
	ports           map[uint32]string
}

func (p *peerAuth) id() string { return p.namespace + "/" + p.name }

// older reports whether a wins over b among policies of one level:
// the oldest creationTimestamp, then namespace and name (istiod's order).
// A policy without a timestamp sorts after every one that has one.
func older(a, b *peerAuth) bool {
	if a.created != b.created {
		switch {
		case a.created == "":
			return false
		case b.created == "":
			return true
		}
		return a.created < b.created
	}
	if a.namespace != b.namespace {
		return a.namespace < b.namespace
	}
	return a.name < b.name
}

func decodePeerAuths(s *collect.Snapshot, root string, sh *sharing) ([]*peerAuth, error) {
	var out []*peerAuth
	for i, o := range s.Resources[collect.PeerAuthentications] {
		m := nameMeta(o)
		spec := &securityv1beta1.PeerAuthentication{}
		if raw, ok := o["spec"]; ok {
			decode := func() (*securityv1beta1.PeerAuthentication, error) {
				js, err := json.Marshal(raw)
				if err != nil {
					return nil, err
				}
				return peerAuthSpecs.get(string(js), func(js string) (*securityv1beta1.PeerAuthentication, error) {
					var spec securityv1beta1.PeerAuthentication
					return &spec, json.Unmarshal([]byte(js), &spec)
				})
			}
			var err error
			if rm, isMap := raw.(map[string]any); isMap && sh.keeps(o) {
				spec, err = peerAuthShared.get(rm, decode)
			} else {
				spec, err = decode()
			}
			if err != nil {
				return nil, fmt.Errorf("PeerAuthentication %s/%s: spec: %w", m.Namespace, m.Name, err)
			}
		}
		p := &peerAuth{namespace: m.Namespace, name: m.Name, created: m.CreationTimestamp, index: i,
			selector: spec.GetSelector().GetMatchLabels(), mode: modeName(spec.GetMtls())}
		switch {
		case len(p.selector) == 0 && p.namespace == root:
			p.level = LevelMesh
		case len(p.selector) == 0:
			p.level = LevelNamespace
		case p.namespace == root:
			p.level = LevelIgnored
		default:
			p.level = LevelWorkload
		}
		if len(spec.PortLevelMtls) > 0 {
			p.ports = make(map[uint32]string, len(spec.PortLevelMtls))
			for port, mtls := range spec.PortLevelMtls {
				p.ports[port] = modeName(mtls)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// peerAuthSpecs remembers decoded specs by their JSON.
var peerAuthSpecs = newMemo[*securityv1beta1.PeerAuthentication](4096)

// peerAuthShared remembers decoded specs by the identity of their maps
// (ResolveShared).
var peerAuthShared = newIdentityMemo[*securityv1beta1.PeerAuthentication](16384)

func modeName(m *securityv1beta1.PeerAuthentication_MutualTLS) string {
	if m == nil {
		return ModeUnset
	}
	return m.Mode.String()
}

// peerAuthIndex holds the PeerAuthentications by namespace and the winner
// of every mesh and namespace level.
type peerAuthIndex struct {
	root       string
	all        []*peerAuth
	mesh       *peerAuth
	namespace  map[string]*peerAuth
	workload   map[string][]*peerAuth // by namespace, oldest first
	conflicts  []Conflict
	ignoredSel []*peerAuth
}

// Conflict is a set of PeerAuthentications at the same level and scope:
// istiod uses the oldest and ignores the rest.
type Conflict struct {
	Level     string   `json:"level"`
	Namespace string   `json:"namespace"`
	Selector  string   `json:"selector,omitempty"`
	Winner    string   `json:"winner"`
	Ignored   []string `json:"ignored"`
	Refs      []Ref    `json:"refs"` // of the ignored policies
}

func indexPeerAuths(pas []*peerAuth, root string) *peerAuthIndex {
	ix := &peerAuthIndex{root: root, all: pas, namespace: map[string]*peerAuth{}, workload: map[string][]*peerAuth{}}
	groups := map[string][]*peerAuth{}
	for _, p := range pas {
		switch p.level {
		case LevelMesh:
			groups["mesh\x00"] = append(groups["mesh\x00"], p)
			if ix.mesh == nil || older(p, ix.mesh) {
				ix.mesh = p
			}
		case LevelNamespace:
			groups["ns\x00"+p.namespace] = append(groups["ns\x00"+p.namespace], p)
			if cur := ix.namespace[p.namespace]; cur == nil || older(p, cur) {
				ix.namespace[p.namespace] = p
			}
		case LevelWorkload:
			ix.workload[p.namespace] = append(ix.workload[p.namespace], p)
			k := "wl\x00" + p.namespace + "\x00" + selectorString(p.selector)
			groups[k] = append(groups[k], p)
		case LevelIgnored:
			ix.ignoredSel = append(ix.ignoredSel, p)
		}
	}
	for _, list := range ix.workload {
		sort.Slice(list, func(i, j int) bool { return older(list[i], list[j]) })
	}
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		sort.Slice(g, func(i, j int) bool { return older(g[i], g[j]) })
		c := Conflict{Level: g[0].level, Namespace: g[0].namespace, Winner: g[0].id()}
		if g[0].level == LevelWorkload {
			c.Selector = selectorString(g[0].selector)
		}
		for _, p := range g[1:] {
			c.Ignored = append(c.Ignored, p.id())
			c.Refs = append(c.Refs, Ref{collect.PeerAuthentications, p.index})
		}
		ix.conflicts = append(ix.conflicts, c)
	}
	sort.Slice(ix.conflicts, func(i, j int) bool { return ix.conflicts[i].Winner < ix.conflicts[j].Winner })
	return ix
}

func selectorString(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ","
		}
		out += k + "=" + sel[k]
	}
	return out
}

func subsetOf(sel, labels map[string]string) bool {
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// Resolution is the server-side mTLS decision for one pod (or template):
// the workload-level mode and the per-port overrides, each with the policy
// that decided it ("namespace/name", or "default").
type Resolution struct {
	Mode   string
	Policy string
	Field  string // the field of Policy that set Mode ("" for the default)
	Ports  map[uint32]PortMode
	// Workload is the winning workload-level policy, if any.
	Workload string
}

// PortMode is the mode of one port and the policy that decided it.
type PortMode struct {
	Mode   string
	Policy string
	Field  string
}

// resolve composes the policies that apply to a workload in namespace ns
// with the given pod labels, as istiod's ComposePeerAuthentication does:
// start from PERMISSIVE; apply the mesh, namespace and workload policy in
// turn where their mode is set; take port-level modes from the winning
// workload policy only, an UNSET port inheriting the workload's mode.
func (ix *peerAuthIndex) resolve(ns string, labels map[string]string) Resolution {
	r := Resolution{Mode: ModePermissive, Policy: "default"}
	if ix.mesh != nil && ix.mesh.mode != ModeUnset {
		r.Mode, r.Policy, r.Field = ix.mesh.mode, ix.mesh.id(), fieldMode
	}
	if ns == ix.root {
		// Policies in the root namespace without a selector are mesh level
		// even for workloads in the root namespace itself.
		return ix.workloadLevel(ns, labels, r)
	}
	if p := ix.namespace[ns]; p != nil && p.mode != ModeUnset {
		r.Mode, r.Policy, r.Field = p.mode, p.id(), fieldMode
	}
	return ix.workloadLevel(ns, labels, r)
}

func (ix *peerAuthIndex) workloadLevel(ns string, labels map[string]string, r Resolution) Resolution {
	var w *peerAuth
	for _, p := range ix.workload[ns] { // oldest first
		if subsetOf(p.selector, labels) {
			w = p
			break
		}
	}
	if w == nil {
		return r
	}
	r.Workload = w.id()
	if w.mode != ModeUnset {
		r.Mode, r.Policy, r.Field = w.mode, w.id(), fieldMode
	}
	if len(w.ports) > 0 {
		r.Ports = make(map[uint32]PortMode, len(w.ports))
		for port, mode := range w.ports {
			if mode == ModeUnset {
				r.Ports[port] = PortMode{Mode: r.Mode, Policy: r.Policy, Field: r.Field}
			} else {
				r.Ports[port] = PortMode{Mode: mode, Policy: w.id(), Field: fmt.Sprintf("spec.portLevelMtls[%d].mode", port)}
			}
		}
	}
	return r
}
