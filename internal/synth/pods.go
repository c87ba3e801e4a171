package synth

import "time"

// Pods. A pod is injected exactly when istiod's webhook would inject it (see
// injected); injected pods carry the istio-proxy container (as a regular
// container, or as a native sidecar: an init container with
// restartPolicy: Always) and the security.istio.io/tlsMode label. Pods are
// written as manifests rather than status dumps: the injected proxy has its
// name, image, port and any resources set by annotation, but none of its
// environment, volumes or arguments, and the status is phase and addresses.

// injected reports whether the pods of ctl get a sidecar: never with
// hostNetwork; the pod label sidecar.istio.io/inject decides when set;
// otherwise the namespace label istio-injection=enabled or istio.io/rev.
func injected(ns *namespace, ctl *controller) bool {
	switch {
	case ctl.hostNet:
		return false
	case ctl.inject == podInjectFalse:
		return false
	case ctl.inject == podInjectTrue:
		return true
	}
	return ns.inject == injectEnabled || ns.inject == injectRevision
}

const proxyImage = "docker.io/istio/proxyv2:1.24.2"

// podIP returns the address of pod gi in 100.64.0.0/10, avoiding .0, .1
// and .255.
func podIP(gi int) string {
	return "100." + itoa(64+gi/64000) + "." + itoa(gi/250%256) + "." + itoa(2+gi%250)
}

func (g *gen) pod(ns *namespace, ctl *controller, ci, j int) {
	gi := ctl.pod0 + j
	suffix := nameSuffix((ctl.suffix+uint64(j))%14348907, 5) // 27^5
	created := ctl.created.Add(time.Duration(2+3*j) * time.Second)
	var (
		name, ownerAPI, ownerKind, own string
		ownerTag                       uint64
		extra                          []pair
	)
	switch ctl.kind {
	case deployment:
		own, ownerAPI, ownerKind, ownerTag = ctl.name+"-"+ctl.hash, "apps/v1", "ReplicaSet", tagReplicaSet
		name = own + "-" + suffix
		extra = []pair{{"pod-template-hash", ctl.hash}}
	case statefulSet:
		own, ownerAPI, ownerKind, ownerTag = ctl.name, "apps/v1", "StatefulSet", tagController
		name = ctl.name + "-" + itoa(j)
		extra = []pair{{"controller-revision-hash", ctl.name + "-" + ctl.hash}, {"statefulset.kubernetes.io/pod-name", name}}
	case daemonSet:
		own, ownerAPI, ownerKind, ownerTag = ctl.name, "apps/v1", "DaemonSet", tagController
		name = ctl.name + "-" + suffix
		extra = []pair{{"controller-revision-hash", ctl.hash}}
	case cronJob:
		own, ownerAPI, ownerKind, ownerTag = jobName(ctl, ci), "batch/v1", "Job", tagJob
		name = own + "-" + suffix
		extra = g.jobLabels(ctl, ci)
		created = base.Add(56*24*time.Hour + time.Duration(1+j)*time.Second)
	}
	inj := injected(ns, ctl)
	if inj {
		extra = append(extra, pair{"security.istio.io/tlsMode", "istio"})
	}
	node := g.rng.IntN(g.p.nodes)
	if ctl.kind == daemonSet {
		node = (ci*7 + j) % g.p.nodes
	}
	hostIP, ip := g.p.nodeIP[node], podIP(gi)
	if ctl.hostNet {
		ip = hostIP
	}
	claim := ""
	if ctl.kind == statefulSet && j < ctl.pvcPods {
		claim = "data-" + ctl.name + "-" + itoa(j)
	}

	g.doc("v1", "Pod")
	g.m("metadata")
	g.pairs("annotations", templateAnnotations(ctl))
	g.ts("creationTimestamp", created)
	g.pairs("labels", templateLabels(ctl, extra...))
	g.managed("v1", "kube-controller-manager", "f:spec")
	g.names(name, ns.name)
	g.ownerRef(ownerAPI, ownerKind, own, ownerTag, ci)
	g.ids(tagPod, gi)
	g.up()

	g.m("spec")
	g.l("containers")
	g.appContainer(ctl, claim != "")
	if inj && !ctl.native {
		g.proxy(ctl, false)
	}
	g.up()
	if ctl.hostNet {
		g.flag("hostNetwork", true)
	}
	if inj && ctl.native {
		g.l("initContainers")
		g.proxy(ctl, true)
		g.up()
	}
	g.str("nodeName", g.p.nodeName[node])
	if ctl.kind == cronJob {
		g.str("restartPolicy", "OnFailure")
	}
	if claim != "" {
		g.l("volumes")
		g.item()
		g.str("name", "data")
		g.m("persistentVolumeClaim")
		g.str("claimName", claim)
		g.up()
		g.up()
		g.up()
	}
	g.up()

	g.m("status")
	g.str("hostIP", hostIP)
	g.str("phase", "Running")
	g.str("podIP", ip)
	g.up()
	g.end()
}

// proxy writes the istio-proxy container as the next item of a sequence;
// native sidecars are init containers with restartPolicy: Always.
func (g *gen) proxy(ctl *controller, native bool) {
	g.item()
	g.str("image", proxyImage)
	g.str("name", "istio-proxy")
	g.l("ports")
	g.item()
	g.num("containerPort", 15090) // Envoy's Prometheus port
	g.up()
	g.up()
	switch ctl.proxyRes {
	case 1:
		g.resources("", "", proxyCPU, proxyMemory)
	case 2:
		g.resources(proxyCPULimit, proxyMemoryLimit, proxyCPU, proxyMemory)
	}
	if native {
		g.str("restartPolicy", "Always")
	}
	g.up()
}
