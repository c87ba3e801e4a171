package synth

import "time"

// service writes the Service of a controller: ClusterIP (headless for a
// StatefulSet), service port svcPort to the container port, by number or,
// for one in five, by name.
func (g *gen) service(ns *namespace, ctl *controller, ci int) {
	created := ctl.created.Add(-time.Second)
	ip := "None"
	if ctl.kind != statefulSet {
		n := ci + 10 // skip the network address and the kubernetes Service
		ip = "10." + itoa(100+n>>16) + "." + itoa(n>>8&255) + "." + itoa(n&255)
	}
	named := g.rng.IntN(5) == 0

	g.doc("v1", "Service")
	g.m("metadata")
	g.ts("creationTimestamp", created)
	g.m("labels")
	g.str("app", ctl.name)
	g.up()
	g.managed("v1", "kubectl-client-side-apply", "f:spec")
	g.tail(ctl.name, ns.name, tagService, ci)
	g.up()
	g.m("spec")
	g.str("clusterIP", ip)
	g.l("ports")
	g.item()
	g.str("name", ctl.portName)
	g.num("port", ctl.svcPort)
	if named {
		g.str("targetPort", ctl.portName)
	} else {
		g.num("targetPort", ctl.port)
	}
	g.up()
	if ctl.metrics {
		g.item()
		g.str("name", "http-metrics")
		g.num("port", 9102)
		g.num("targetPort", 9102)
		g.up()
	}
	g.up()
	g.m("selector")
	g.str("app", ctl.name)
	g.up()
	g.str("type", "ClusterIP")
	g.up()
	g.end()
}
