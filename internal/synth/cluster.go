package synth

import (
	"strconv"
	"time"
)

// Namespaces and Nodes.

// meshRevision is the value of istio.io/rev on revision-labelled namespaces.
const meshRevision = "default"

func (g *gen) namespace(i int) {
	ns := &g.p.ns[i]
	var labels []pair
	switch ns.inject {
	case injectEnabled:
		labels = append(labels, pair{"istio-injection", "enabled"})
	case injectDisabled:
		labels = append(labels, pair{"istio-injection", "disabled"})
	case injectRevision:
		labels = append(labels, pair{"istio.io/rev", meshRevision})
	}
	if ns.pd {
		labels = append(labels, pair{"tilsyn.io/personal-data", "true"})
	}
	g.doc("v1", "Namespace")
	g.m("metadata")
	if !ns.system {
		g.jmeta("v1", "Namespace")
		g.jmap("labels", labels)
		g.jname(ns.name, "")
		g.jraw("}")
		g.m("annotations")
		g.lastApplied()
		g.up()
	}
	g.ts("creationTimestamp", ns.created)
	g.pairs("labels", append(labels, pair{"kubernetes.io/metadata.name", ns.name}))
	if ns.system {
		g.managed("v1", "kube-apiserver", "f:metadata")
	} else {
		g.managed("v1", "kubectl-client-side-apply", "f:metadata")
	}
	g.tail(ns.name, "", tagNamespace, i)
	g.up()
	g.m("spec")
	g.strs("finalizers", "kubernetes")
	g.up()
	g.m("status")
	g.str("phase", "Active")
	g.up()
	g.end()
}

// Node facts are derived from the node number alone, so that pods can name
// their node and host IP without the nodes being kept; hosts computes the
// names and addresses once per cluster.

func nodeIP(i int) string {
	return "10.0." + itoa(16+i/250) + "." + itoa(4+i%250)
}

// nodeZone returns the zone of node i: nearly all in eu-north-1 (Stockholm),
// 1.5% in eu-west-2a (London: outside the EEA), spread over a, b and c.
func (g *gen) nodeZone(i int) string {
	if g.hash(tagNode, i)%1000 < 15 {
		return "eu-west-2a"
	}
	return "eu-north-1" + string("abc"[i%3])
}

// hosts fills the plan's node names and addresses.
func (g *gen) hosts() {
	g.p.nodeName = make([]string, g.p.nodes)
	g.p.nodeIP = make([]string, g.p.nodes)
	for i := range g.p.nodes {
		z, ip := g.nodeZone(i), nodeIP(i)
		g.p.nodeIP[i] = ip
		g.p.nodeName[i] = "ip-" + dashed(ip) + "." + z[:len(z)-1] + ".compute.internal"
	}
}

func dashed(ip string) string {
	b := []byte(ip)
	for k := range b {
		if b[k] == '.' {
			b[k] = '-'
		}
	}
	return string(b)
}

var instanceTypes = []string{"m6i.2xlarge", "m6i.4xlarge", "r6i.2xlarge", "c6i.4xlarge"}

// node writes node i. Half a percent of the nodes lack topology labels
// (location unknown); the rest carry the standard and the legacy
// failure-domain labels, consistent with their providerID.
func (g *gen) node(i int) {
	name, zone, ip := g.p.nodeName[i], g.nodeZone(i), g.p.nodeIP[i]
	region := zone[:len(zone)-1]
	h := g.hash(tagNode, i)
	labeled := (h>>20)%1000 >= 5
	itype := instanceTypes[(h>>32)%uint64(len(instanceTypes))]
	created := base.Add(time.Duration(i) * time.Second)
	labels := []pair{
		{"beta.kubernetes.io/arch", "amd64"},
		{"beta.kubernetes.io/instance-type", itype},
		{"beta.kubernetes.io/os", "linux"},
		{"eks.amazonaws.com/nodegroup", "workers-" + string("abc"[i%3])},
		{"kubernetes.io/arch", "amd64"},
		{"kubernetes.io/hostname", name},
		{"kubernetes.io/os", "linux"},
		{"node.kubernetes.io/instance-type", itype},
	}
	if labeled {
		labels = append(labels,
			pair{"failure-domain.beta.kubernetes.io/region", region},
			pair{"failure-domain.beta.kubernetes.io/zone", zone},
			pair{"topology.ebs.csi.aws.com/zone", zone},
			pair{"topology.kubernetes.io/region", region},
			pair{"topology.kubernetes.io/zone", zone})
	}

	g.doc("v1", "Node")
	g.m("metadata")
	g.ts("creationTimestamp", created)
	g.pairs("labels", labels)
	g.managed("v1", "kubelet", "f:metadata", "f:labels")
	g.tail(name, "", tagNode, i)
	g.up()
	g.m("spec")
	g.str("podCIDR", "100."+itoa(64+i/256)+"."+itoa(i%256)+".0/24")
	var buf [64]byte
	id := append(buf[:0], "aws:///"...)
	id = append(id, zone...)
	id = append(id, "/i-0"...)
	id = strconv.AppendUint(id, h|1<<63, 16) // 16 digits: "i-0" and 16 make 17
	g.str("providerID", string(id))
	g.up()
	g.m("status")
	g.l("addresses")
	g.item()
	g.str("address", ip)
	g.str("type", "InternalIP")
	g.up()
	g.up()
	g.up()
	g.end()
}
