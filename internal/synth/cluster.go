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
	g.ln(0, "metadata:")
	if !ns.system {
		g.ln(2, "annotations:")
		g.jmeta("v1", "Namespace")
		g.jmap("labels", labels)
		g.jname(ns.name, "")
		g.jraw("}")
		g.lastApplied(4)
	}
	g.kt(2, "creationTimestamp", ns.created)
	g.ln(2, "labels:")
	all := append(labels, pair{"kubernetes.io/metadata.name", ns.name})
	g.pairs(4, all)
	g.ln(2, "managedFields:")
	if ns.system {
		g.mfBegin(2, "v1")
		md := g.f(6, "metadata")
		g.mfMapKeys(md, "labels", []pair{{"kubernetes.io/metadata.name", ""}})
		g.mfEnd(2, "kube-apiserver", "Update", "", ns.created)
	} else {
		g.mfApplied(2, "v1", all)
		g.mfEnd(2, "kubectl-client-side-apply", "Update", "", ns.created)
	}
	g.tail(ns.name, "", tagNamespace, i)
	g.raw("spec:\n  finalizers:\n  - kubernetes\nstatus:\n  phase: Active\n")
	g.end()
}

// Node facts are derived from the node number alone, so that pods can name
// their node and host IP without the nodes being kept.

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

func (g *gen) nodeName(i int) string {
	z := g.nodeZone(i)
	return "ip-" + dashed(nodeIP(i)) + "." + z[:len(z)-1] + ".compute.internal"
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
	name, zone, ip := g.nodeName(i), g.nodeZone(i), nodeIP(i)
	region := zone[:len(zone)-1]
	h := g.hash(tagNode, i)
	labeled := (h>>20)%1000 >= 5
	itype := instanceTypes[(h>>32)%uint64(len(instanceTypes))]
	created := base.Add(time.Duration(i) * time.Second)

	g.doc("v1", "Node")
	g.ln(0, "metadata:")
	g.ln(2, "annotations:")
	g.kv(4, "alpha.kubernetes.io/provided-node-ip", ip)
	g.kv(4, "node.alpha.kubernetes.io/ttl", "0")
	g.kv(4, "volumes.kubernetes.io/controller-managed-attach-detach", "true")
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "labels:")
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
	g.pairs(4, labels)
	g.ln(2, "managedFields:")
	g.mfBegin(2, "v1")
	md := g.f(6, "metadata")
	an := g.f(md, "annotations")
	g.fdot(an)
	g.leaves(an, "alpha.kubernetes.io/provided-node-ip", "volumes.kubernetes.io/controller-managed-attach-detach")
	g.mfMapKeys(md, "labels", labels)
	g.leaves(g.f(6, "spec"), "providerID")
	g.mfEnd(2, "kubelet", "Update", "", created)
	g.tail(name, "", tagNode, i)
	g.ln(0, "spec:")
	g.kv(2, "podCIDR", "100."+itoa(64+i/256)+"."+itoa(i%256)+".0/24")
	g.indent(2)
	g.b = append(g.b, "providerID: aws:///"...)
	g.b = append(g.b, zone...)
	g.b = append(g.b, "/i-0"...)
	g.b = strconv.AppendUint(g.b, h|1<<63, 16) // 16 digits: "i-0" and 16 make 17
	g.b = append(g.b, '\n')
	g.ln(0, "status:")
	g.ln(2, "addresses:")
	g.ln(2, "- address: "+ip)
	g.ln(4, "type: InternalIP")
	g.ln(2, "- address: "+name)
	g.ln(4, "type: Hostname")
	g.raw(nodeCapacity)
	g.ln(2, "conditions:")
	g.ln(2, "- lastHeartbeatTime: \"2025-03-03T12:00:00Z\"")
	g.kt(4, "lastTransitionTime", created.Add(time.Minute))
	g.ln(4, "message: kubelet is posting ready status")
	g.ln(4, "reason: KubeletReady")
	g.ln(4, "status: \"True\"")
	g.ln(4, "type: Ready")
	g.raw(nodeInfo)
	g.end()
}

const nodeCapacity = `  allocatable:
    cpu: 7910m
    ephemeral-storage: "95491281146"
    memory: 31655840Ki
    pods: "110"
  capacity:
    cpu: "8"
    ephemeral-storage: 104845292Ki
    memory: 32673696Ki
    pods: "110"
`

const nodeInfo = `  nodeInfo:
    architecture: amd64
    containerRuntimeVersion: containerd://1.7.25
    kernelVersion: 6.1.128-136.201.amzn2023.x86_64
    kubeProxyVersion: v1.32.1-eks-5d632ec
    kubeletVersion: v1.32.1-eks-5d632ec
    operatingSystem: linux
    osImage: Amazon Linux 2023.6.20250203
`
