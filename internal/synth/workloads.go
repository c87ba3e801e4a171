package synth

import (
	"time"
)

// Controllers and the ReplicaSets and Jobs they own (Services are in
// services.go, pods in pods.go).
//
// Object numbering: controller ci (its index in plan.ctrl) has uid
// hash(tagController, ci); its ReplicaSet, Job and Service have
// hash(tagReplicaSet|tagJob|tagService, ci); its pods are numbered
// ctl.pod0+j across the cluster and have hash(tagPod, ctl.pod0+j).

var kindNames = [...]string{deployment: "Deployment", statefulSet: "StatefulSet", daemonSet: "DaemonSet", cronJob: "CronJob"}

func (k kind) apiVersion() string {
	if k == cronJob {
		return "batch/v1"
	}
	return "apps/v1"
}

// workload writes a controller, what it owns, its pods and its Service.
func (g *gen) workload(ns *namespace, ctl *controller, ci int) {
	g.controller(ns, ctl, ci)
	switch ctl.kind {
	case deployment:
		g.replicaSet(ns, ctl, ci)
	case cronJob:
		g.job(ns, ctl, ci)
	}
	for j := 0; j < ctl.pods; j++ {
		g.pod(ns, ctl, ci, j)
	}
	g.service(ns, ctl, ci)
}

func templateLabels(ctl *controller, extra ...pair) []pair {
	ps := make([]pair, 0, len(extra)+3)
	ps = append(ps, extra...)
	ps = append(ps, pair{"app", ctl.name}, pair{"version", ctl.version})
	switch ctl.inject {
	case podInjectFalse:
		ps = append(ps, pair{"sidecar.istio.io/inject", "false"})
	case podInjectTrue:
		ps = append(ps, pair{"sidecar.istio.io/inject", "true"})
	}
	return ps
}

// Sidecar resources set through annotations, and so on the injected
// istio-proxy container.
const (
	proxyCPU, proxyMemory           = "200m", "256Mi"
	proxyCPULimit, proxyMemoryLimit = "1", "512Mi"
)

func templateAnnotations(ctl *controller) []pair {
	var ps []pair
	if ctl.proxyRes > 0 {
		ps = append(ps, pair{"sidecar.istio.io/proxyCPU", proxyCPU}, pair{"sidecar.istio.io/proxyMemory", proxyMemory})
	}
	if ctl.proxyRes > 1 {
		ps = append(ps, pair{"sidecar.istio.io/proxyCPULimit", proxyCPULimit}, pair{"sidecar.istio.io/proxyMemoryLimit", proxyMemoryLimit})
	}
	if ctl.exclIn != "" {
		ps = append(ps, pair{"traffic.sidecar.istio.io/excludeInboundPorts", ctl.exclIn})
	}
	if ctl.exclOut != "" {
		ps = append(ps, pair{"traffic.sidecar.istio.io/excludeOutboundIPRanges", ctl.exclOut})
	}
	return ps
}

func jobName(ctl *controller, ci int) string { return ctl.name + "-" + itoa(28940000+ci%100000) }

// controller writes the Deployment, StatefulSet, DaemonSet or CronJob, as
// applied with kubectl. Controllers, ReplicaSets and Jobs carry no status:
// nothing reads it, and pods say what runs.
func (g *gen) controller(ns *namespace, ctl *controller, ci int) {
	kn, av := kindNames[ctl.kind], ctl.kind.apiVersion()
	labels := []pair{{"app", ctl.name}}

	g.jmeta(av, kn)
	g.jmap("labels", labels)
	g.jname(ctl.name, ns.name)
	g.jraw("}")

	g.doc(av, kn)
	g.m("metadata")
	g.m("annotations")
	g.lastApplied()
	g.up()
	g.ts("creationTimestamp", ctl.created)
	g.pairs("labels", labels)
	g.managed(av, "kubectl-client-side-apply", "f:spec")
	g.tail(ctl.name, ns.name, tagController, ci)
	g.up()

	g.m("spec")
	switch ctl.kind {
	case deployment:
		g.num("replicas", ctl.pods)
		g.selector(ctl, nil)
		g.template(ctl, nil)
	case statefulSet:
		g.num("replicas", ctl.pods)
		g.selector(ctl, nil)
		g.str("serviceName", ctl.name)
		g.template(ctl, nil)
		if ctl.pvcPods > 0 {
			g.claimTemplate()
		}
	case daemonSet:
		g.selector(ctl, nil)
		g.template(ctl, nil)
	case cronJob:
		g.m("jobTemplate")
		g.m("spec")
		g.template(ctl, nil)
		g.up()
		g.up()
		g.str("schedule", "*/15 * * * *")
	}
	g.up()

	g.end()
}

// claimTemplate writes the volumeClaimTemplates of a StatefulSet.
func (g *gen) claimTemplate() {
	g.l("volumeClaimTemplates")
	g.item()
	g.m("metadata")
	g.str("name", "data")
	g.up()
	g.m("spec")
	g.strs("accessModes", "ReadWriteOnce")
	g.m("resources")
	g.m("requests")
	g.str("storage", "20Gi")
	g.up()
	g.up()
	g.up()
	g.up()
	g.up()
}

// selector writes "selector: matchLabels:" with app and extra labels.
func (g *gen) selector(ctl *controller, extra []pair) {
	g.m("selector")
	g.pairs("matchLabels", append([]pair{{"app", ctl.name}}, extra...))
	g.up()
}

// template writes a pod template; extra labels (pod-template-hash, job
// labels) are added to the template's labels.
func (g *gen) template(ctl *controller, extra []pair) {
	g.m("template")
	g.m("metadata")
	g.pairs("annotations", templateAnnotations(ctl))
	g.pairs("labels", templateLabels(ctl, extra...))
	g.up()
	g.m("spec")
	g.l("containers")
	g.appContainer(ctl, false)
	g.up()
	if ctl.hostNet {
		g.flag("hostNetwork", true)
	}
	if ctl.kind == cronJob {
		g.str("restartPolicy", "OnFailure")
	}
	g.up()
	g.up()
}

// appContainer writes the application container as the next item of a
// sequence; claim mounts the StatefulSet's claim.
func (g *gen) appContainer(ctl *controller, claim bool) {
	g.item()
	g.str("image", ctl.image)
	g.str("name", ctl.word)
	g.l("ports")
	g.port(ctl.port, ctl.portName)
	if ctl.metrics {
		g.port(9102, "http-metrics")
	}
	g.up()
	if ctl.requests {
		g.resources("", "512Mi", "100m", "256Mi")
	}
	if claim {
		g.l("volumeMounts")
		g.item()
		g.str("mountPath", "/var/lib/data")
		g.str("name", "data")
		g.up()
		g.up()
	}
	g.up()
}

// port writes a container port as the next item of a sequence.
func (g *gen) port(n int, name string) {
	g.item()
	g.num("containerPort", n)
	g.str("name", name)
	g.up()
}

// resources writes a container's resources; empty values are left out.
func (g *gen) resources(cpuLimit, memLimit, cpu, mem string) {
	g.m("resources")
	for _, r := range [2]struct{ key, cpu, mem string }{{"limits", cpuLimit, memLimit}, {"requests", cpu, mem}} {
		if r.cpu == "" && r.mem == "" {
			continue
		}
		g.m(r.key)
		if r.cpu != "" {
			g.str("cpu", r.cpu)
		}
		if r.mem != "" {
			g.str("memory", r.mem)
		}
		g.up()
	}
	g.up()
}

// replicaSet writes the ReplicaSet of a Deployment.
func (g *gen) replicaSet(ns *namespace, ctl *controller, ci int) {
	name := ctl.name + "-" + ctl.hash
	hash := []pair{{"pod-template-hash", ctl.hash}}
	created := ctl.created.Add(time.Second)
	g.doc("apps/v1", "ReplicaSet")
	g.m("metadata")
	g.ts("creationTimestamp", created)
	g.pairs("labels", templateLabels(ctl, hash...))
	g.managed("apps/v1", "kube-controller-manager", "f:spec")
	g.names(name, ns.name)
	g.ownerRef("apps/v1", "Deployment", ctl.name, tagController, ci)
	g.ids(tagReplicaSet, ci)
	g.up()
	g.m("spec")
	g.num("replicas", ctl.pods)
	g.selector(ctl, hash)
	g.template(ctl, hash)
	g.up()
	g.end()
}

// jobLabels are the labels the Job controller puts on a Job's pods.
func (g *gen) jobLabels(ctl *controller, ci int) []pair {
	return []pair{{"batch.kubernetes.io/controller-uid", g.uidString(tagJob, ci)}, {"batch.kubernetes.io/job-name", jobName(ctl, ci)}}
}

// job writes the current Job of a CronJob; it runs all the CronJob's pods.
func (g *gen) job(ns *namespace, ctl *controller, ci int) {
	created := base.Add(56 * 24 * time.Hour)
	jl := g.jobLabels(ctl, ci)
	n := max(ctl.pods, 1)
	g.doc("batch/v1", "Job")
	g.m("metadata")
	g.ts("creationTimestamp", created)
	g.pairs("labels", templateLabels(ctl, jl...))
	g.managed("batch/v1", "kube-controller-manager", "f:spec")
	g.names(jobName(ctl, ci), ns.name)
	g.ownerRef("batch/v1", "CronJob", ctl.name, tagController, ci)
	g.ids(tagJob, ci)
	g.up()
	g.m("spec")
	g.num("completions", n)
	g.num("parallelism", n)
	g.m("selector")
	g.pairs("matchLabels", jl[:1])
	g.up()
	g.template(ctl, jl)
	g.up()
	g.end()
}
