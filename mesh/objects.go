package mesh

import "github.com/tilsyn/tilsyn/collect"

// What the resolver reads from Services, ServiceEntries and object names.

// service is a Kubernetes Service as the resolver needs it.
type service struct {
	namespace, name, fqdn string
	selector              map[string]string
	ports                 []uint32
}

func decodeServices(s *collect.Snapshot, domain string) []service {
	out := make([]service, 0, len(s.Resources[collect.Services]))
	for _, o := range s.Resources[collect.Services] {
		ns, name := collect.NamespaceName(o)
		svc := service{namespace: ns, name: name, fqdn: name + "." + ns + ".svc." + domain,
			selector: collect.StringMap(o, "spec", "selector")}
		for _, p := range collect.List(o, "spec", "ports") {
			pm, _ := p.(map[string]any)
			if n, ok := collect.Int(pm, "port"); ok {
				svc.ports = append(svc.ports, uint32(n))
			}
		}
		out = append(out, svc)
	}
	return out
}

// externalHosts returns the hosts of MESH_EXTERNAL ServiceEntries (the
// default location).
func externalHosts(s *collect.Snapshot) []string {
	var hosts []string
	for _, o := range s.Resources[collect.ServiceEntries] {
		if loc := collect.Str(o, "spec", "location"); loc != "" && loc != "MESH_EXTERNAL" {
			continue
		}
		for _, h := range collect.List(o, "spec", "hosts") {
			if hs, ok := h.(string); ok {
				ns, _ := collect.NamespaceName(o)
				hosts = append(hosts, resolveHost(hs, ns, DefaultDomainSuffix))
			}
		}
	}
	return hosts
}

func isExternal(host string, external []string) bool {
	for _, e := range external {
		if hostMatches(e, host) || hostMatches(host, e) {
			return true
		}
	}
	return false
}

// selects reports whether a Service selects a workload.
func selects(svc service, w *Workload) bool {
	return len(svc.selector) > 0 && subsetOf(svc.selector, w.Labels)
}

// nameMeta is collect.Meta without the labels and annotations, which
// collect.Meta copies: for code that reads names only.
func nameMeta(o collect.Object) collect.ObjectMeta {
	md, _ := o["metadata"].(map[string]any)
	return collect.ObjectMeta{Name: collect.Str(md, "name"), Namespace: collect.Str(md, "namespace"),
		UID: collect.Str(md, "uid"), CreationTimestamp: collect.Str(md, "creationTimestamp")}
}
