package webhook

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/internal/synth"
)

// TestHostsIndexed checks the neighbourhood's host relations, found through
// the state's indexes, against their definition (hostMatches, tried on
// every Service and every rule): a pattern's Services, and a host's rules
// and entries with wildcard hosts.
func TestHostsIndexed(t *testing.T) {
	s := NewState()
	svcType, _ := collect.TypeByKey(collect.Services)
	drType, _ := collect.TypeByKey(collect.DestinationRules)
	seType, _ := collect.TypeByKey(collect.ServiceEntries)
	services := []struct{ ns, name string }{
		{"shop", "cart"}, {"shop", "pay"}, {"billing", "cart"}, {"billing", "invoice"},
		{"istio-system", "istiod"}, {"a.b", "x"}, {"b", "y.a"}, {"shop", "x.cart"},
	}
	for _, svc := range services {
		s.Upsert(svcType, collect.Object{"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": svc.name, "namespace": svc.ns}})
	}
	patterns := []string{"*", "*.local", "*.cluster.local", "*.svc.cluster.local", "*.shop.svc.cluster.local",
		"*.b.svc.cluster.local", "*.a.b.svc.cluster.local", "*.cart.shop.svc.cluster.local", "*.hop.svc.cluster.local",
		"*.example.com", "*.com", "*.svc", "*.t.shop.svc.cluster.local", "*.y.a.b.svc.cluster.local"}
	for i, p := range patterns {
		s.Upsert(drType, collect.Object{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
			"metadata": map[string]any{"name": fmt.Sprintf("dr-%d", i), "namespace": "shop"},
			"spec":     map[string]any{"host": p}})
	}
	s.Upsert(seType, collect.Object{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
		"metadata": map[string]any{"name": "mixed", "namespace": "shop"},
		"spec":     map[string]any{"hosts": []any{"api.example.com", "*.example.org"}}})

	var all []*entry
	for _, byNS := range s.objects {
		for _, byName := range byNS {
			all = slices.AppendSeq(all, maps.Values(byName))
		}
	}
	newHood := func() *hood {
		return &hood{s: s, set: map[*entry]bool{}, hostsDone: map[string]bool{}, truncated: map[objRef]bool{}}
	}

	for _, p := range patterns {
		h := newHood()
		h.servicesMatching(p)
		var want []*entry
		for _, e := range all {
			if e.t.Key == collect.Services && hostMatches(p, e.name+"."+e.ns+".svc."+s.domain) {
				want = append(want, e)
			}
		}
		if diff := cmp.Diff(entryNames(want), entryNames(h.list)); diff != "" {
			t.Errorf("Services pattern %q matches (-want +got):\n%s", p, diff)
		}
	}

	hosts := []string{"cart.shop.svc.cluster.local", "x.cart.shop.svc.cluster.local", "x.a.b.svc.cluster.local",
		"api.example.com", "www.example.org", "example.org", "db.example.com", "local", "cart.shop.svc"}
	for _, host := range hosts {
		h := newHood()
		h.hosts([]string{host})
		var want []*entry
		for _, e := range all {
			for _, p := range e.hosts {
				if hostMatches(p, host) || hostMatches(host, p) {
					want = append(want, e)
					break
				}
			}
		}
		if name, ns, ok := h.serviceHost(host); ok {
			if svc := s.get(collect.Services, ns, name); svc != nil {
				want = append(want, svc)
			}
		}
		if diff := cmp.Diff(entryNames(want), entryNames(h.list)); diff != "" {
			t.Errorf("host %q brings (-want +got):\n%s", host, diff)
		}
	}

	// Deleting a rule takes it out of the index.
	s.Delete(drType, "shop", "dr-0") // "*"
	h := newHood()
	h.hosts([]string{"db.example.com"})
	if diff := cmp.Diff([]string{"DestinationRule shop/dr-10", "DestinationRule shop/dr-9"}, entryNames(h.list)); diff != "" {
		t.Errorf("after deleting the rule for \"*\", db.example.com brings (-want +got):\n%s", diff)
	}
}

// TestWholeNamespaceServices: a Service of a namespace added whole brings
// nothing its namespace has not brought already, so its workloads and
// policies are not followed again. Every object of a synthetic cluster,
// created under a new name and updated, has the same neighbourhood either
// way.
func TestWholeNamespaceServices(t *testing.T) {
	e, p := testEngine(t)
	snap := synthCluster(t, synth.Scaled(0.02))
	j := newTestJudge(t, e, p, snap)
	s := j.state
	hood := func(c change, sub *evaluate.Subset, whole bool) ([]string, []objRef, bool) {
		followWhole = whole
		defer func() { followWhole = false }()
		s.mu.RLock()
		defer s.mu.RUnlock()
		entries, truncated, global := s.neighbourhood(c, j.reads[sub], sub.ReadsObjects(), true)
		return entryNames(entries), slices.SortedFunc(maps.Keys(truncated), func(a, b objRef) int {
			return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
		}), global
	}
	compared := 0
	for _, rt := range collect.Registry {
		sub := j.subsets[rt.Key]
		if len(sub.IDs()) == 0 {
			continue
		}
		for i, o := range snap.Resources[rt.Key] {
			m := collect.Meta(o)
			ns := m.Namespace
			if !rt.Namespaced {
				ns = ""
			}
			created := deepCopy(o)
			collect.Map(created, "metadata")["name"] = fmt.Sprintf("%s-new-%d", m.Name, i)
			for _, c := range []change{
				{t: rt, ns: ns, name: m.Name + fmt.Sprintf("-new-%d", i), new: created},
				{t: rt, ns: ns, name: m.Name, old: o, new: o},
			} {
				want, wantTrunc, wantGlobal := hood(c, sub, true)
				got, gotTrunc, gotGlobal := hood(c, sub, false)
				if diff := cmp.Diff(want, got); diff != "" || !slices.Equal(wantTrunc, gotTrunc) || wantGlobal != gotGlobal {
					t.Errorf("%s %s/%s: neighbourhood differs (-following +not):\n%s", rt.Kind, c.ns, c.name, diff)
				}
				compared++
			}
		}
	}
	t.Logf("%d neighbourhoods compared", compared)
}

// entryNames are the kinds, namespaces and names of entries, sorted.
func entryNames(es []*entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.t.Kind+" "+e.ns+"/"+e.name)
	}
	slices.Sort(out)
	return out
}
