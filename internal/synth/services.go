package synth

import "time"

// service writes the Service of a controller: ClusterIP (headless for a
// StatefulSet), service port svcPort to the container port, by number or,
// for one in five, by name.
func (g *gen) service(ns *namespace, ctl *controller, ci int) {
	created := ctl.created.Add(-time.Second)
	labels := []pair{{"app", ctl.name}}
	ip := "None"
	if ctl.kind != statefulSet {
		n := ci + 10 // skip the network address and the kubernetes Service
		ip = "10." + itoa(100+n>>16) + "." + itoa(n>>8&255) + "." + itoa(n&255)
	}
	named := g.rng.IntN(5) == 0
	target := itoa(ctl.port)
	if named {
		target = `"` + ctl.portName + `"`
	}

	g.jmeta("v1", "Service")
	g.jmap("labels", labels)
	g.jname(ctl.name, ns.name)
	g.jraw(`,"spec":{"ports":[{"name":"` + ctl.portName + `","port":` + itoa(ctl.svcPort) + `,"targetPort":` + target + `}`)
	if ctl.metrics {
		g.jraw(`,{"name":"http-metrics","port":9102,"targetPort":9102}`)
	}
	g.jraw(`],"selector":{"app":"` + ctl.name + `"}`)
	if ip == "None" {
		g.jraw(`,"clusterIP":"None"`)
	}
	g.jraw("}}")

	g.doc("v1", "Service")
	g.ln(0, "metadata:")
	g.ln(2, "annotations:")
	g.lastApplied(4)
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "labels:")
	g.pairs(4, labels)
	g.ln(2, "managedFields:")
	g.mfApplied(2, "v1", labels)
	sp := g.f(6, "spec")
	if ip == "None" {
		g.leaves(sp, "clusterIP")
	}
	g.leaves(sp, "internalTrafficPolicy", "ports", "selector", "sessionAffinity", "type")
	g.mfEnd(2, "kubectl-client-side-apply", "Update", "", created)
	g.tail(ctl.name, ns.name, tagService, ci)
	g.ln(0, "spec:")
	g.kv(2, "clusterIP", ip)
	g.ln(2, "clusterIPs:")
	g.item(2, ip)
	g.ln(2, "internalTrafficPolicy: Cluster")
	g.ln(2, "ipFamilies:")
	g.ln(2, "- IPv4")
	g.ln(2, "ipFamilyPolicy: SingleStack")
	g.ln(2, "ports:")
	g.kv(2, "- name", ctl.portName)
	g.ki(4, "port", ctl.svcPort)
	g.ln(4, "protocol: TCP")
	if named {
		g.kv(4, "targetPort", ctl.portName)
	} else {
		g.ki(4, "targetPort", ctl.port)
	}
	if ctl.metrics {
		g.raw("  - name: http-metrics\n    port: 9102\n    protocol: TCP\n    targetPort: 9102\n")
	}
	g.ln(2, "selector:")
	g.kv(4, "app", ctl.name)
	g.ln(2, "sessionAffinity: None")
	g.ln(2, "type: ClusterIP")
	g.ln(0, "status:")
	g.ln(2, "loadBalancer: {}")
	g.end()
}
