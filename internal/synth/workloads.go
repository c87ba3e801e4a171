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
	ps := make([]pair, 0, len(extra)+5)
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

func templateAnnotations(ctl *controller) []pair {
	var ps []pair
	if ctl.metrics {
		ps = append(ps, pair{"prometheus.io/port", "9102"}, pair{"prometheus.io/scrape", "true"})
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

// controller writes the Deployment, StatefulSet, DaemonSet or CronJob.
func (g *gen) controller(ns *namespace, ctl *controller, ci int) {
	kn, av := kindNames[ctl.kind], ctl.kind.apiVersion()
	labels := []pair{{"app", ctl.name}}

	g.jmeta(av, kn)
	g.jmap("labels", labels)
	g.jname(ctl.name, ns.name)
	g.jraw(`,"spec":{`)
	switch ctl.kind {
	case cronJob:
		g.jraw(`"jobTemplate":{"spec":{`)
		g.jtemplate(ctl)
		g.jraw(`}},"schedule":"*/15 * * * *"}}`)
	default:
		if ctl.kind != daemonSet {
			g.jraw(`"replicas":` + itoa(ctl.pods) + ",")
		}
		g.jraw(`"selector":{"matchLabels":{"app":"` + ctl.name + `"}},`)
		if ctl.kind == statefulSet {
			g.jraw(`"serviceName":"` + ctl.name + `",`)
		}
		g.jtemplate(ctl)
		g.jraw("}}")
	}

	g.doc(av, kn)
	g.ln(0, "metadata:")
	g.ln(2, "annotations:")
	if ctl.kind == deployment {
		g.kq(4, "deployment.kubernetes.io/revision", "1")
	}
	g.lastApplied(4)
	g.kt(2, "creationTimestamp", ctl.created)
	g.ln(2, "generation: 1")
	g.ln(2, "labels:")
	g.pairs(4, labels)
	g.ln(2, "managedFields:")
	g.mfApplied(2, av, labels)
	sp := g.f(6, "spec")
	switch ctl.kind {
	case cronJob:
		js := g.f(g.f(sp, "jobTemplate"), "spec")
		g.mfTemplate(js, ctl)
		g.leaves(sp, "schedule")
	default:
		if ctl.kind != daemonSet {
			g.leaves(sp, "replicas")
		}
		g.leaves(sp, "selector")
		if ctl.kind == statefulSet {
			g.leaves(sp, "serviceName")
		}
		g.mfTemplate(sp, ctl)
	}
	g.mfEnd(2, "kubectl-client-side-apply", "Update", "", ctl.created)
	g.mfBegin(2, av)
	g.leaves(g.f(6, "status"), statusFields[ctl.kind]...)
	g.mfEnd(2, "kube-controller-manager", "Update", "status", ctl.created.Add(time.Minute))
	g.tail(ctl.name, ns.name, tagController, ci)

	g.ln(0, "spec:")
	switch ctl.kind {
	case deployment:
		g.ln(2, "progressDeadlineSeconds: 600")
		g.ki(2, "replicas", ctl.pods)
		g.ln(2, "revisionHistoryLimit: 10")
		g.selector(2, ctl, nil)
		g.raw("  strategy:\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 25%\n    type: RollingUpdate\n")
		g.template(2, ns, ctl, nil)
	case statefulSet:
		g.raw("  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Retain\n    whenScaled: Retain\n")
		g.ln(2, "podManagementPolicy: OrderedReady")
		g.ki(2, "replicas", ctl.pods)
		g.ln(2, "revisionHistoryLimit: 10")
		g.selector(2, ctl, nil)
		g.kv(2, "serviceName", ctl.name)
		g.template(2, ns, ctl, nil)
		g.raw("  updateStrategy:\n    rollingUpdate:\n      partition: 0\n    type: RollingUpdate\n")
		if ctl.pvcPods > 0 {
			g.raw(claimTemplate)
		}
	case daemonSet:
		g.ln(2, "revisionHistoryLimit: 10")
		g.selector(2, ctl, nil)
		g.template(2, ns, ctl, nil)
		g.raw("  updateStrategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 1\n    type: RollingUpdate\n")
	case cronJob:
		g.ln(2, "concurrencyPolicy: Forbid")
		g.ln(2, "failedJobsHistoryLimit: 1")
		g.ln(2, "jobTemplate:")
		g.ln(4, "metadata:")
		g.ln(6, "creationTimestamp: null")
		g.ln(4, "spec:")
		g.template(6, ns, ctl, nil)
		g.ln(2, `schedule: '*/15 * * * *'`)
		g.ln(2, "successfulJobsHistoryLimit: 3")
		g.ln(2, "suspend: false")
	}
	g.controllerStatus(ctl, ci)
	g.end()
}

var statusFields = [...][]string{
	deployment:  {"availableReplicas", "conditions", "observedGeneration", "readyReplicas", "replicas", "updatedReplicas"},
	statefulSet: {"availableReplicas", "collisionCount", "currentReplicas", "currentRevision", "observedGeneration", "readyReplicas", "replicas", "updateRevision", "updatedReplicas"},
	daemonSet:   {"currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberReady", "observedGeneration", "updatedNumberScheduled"},
	cronJob:     {"active", "lastScheduleTime"},
}

const claimTemplate = `  volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      creationTimestamp: null
      name: data
    spec:
      accessModes:
      - ReadWriteOnce
      resources:
        requests:
          storage: 20Gi
      volumeMode: Filesystem
    status:
      phase: Pending
`

// counts writes the replica counters of a status; Kubernetes omits zeros.
func (g *gen) counts(n int, keys ...string) {
	if n == 0 {
		return
	}
	for _, k := range keys {
		g.ki(2, k, n)
	}
}

func (g *gen) controllerStatus(ctl *controller, ci int) {
	n := ctl.pods
	g.ln(0, "status:")
	switch ctl.kind {
	case deployment:
		g.counts(n, "availableReplicas")
		g.ln(2, "conditions:")
		g.kt(2, "- lastTransitionTime", ctl.created.Add(time.Minute))
		g.kt(4, "lastUpdateTime", ctl.created.Add(time.Minute))
		g.ln(4, "message: Deployment has minimum availability.")
		g.ln(4, "reason: MinimumReplicasAvailable")
		g.ln(4, `status: "True"`)
		g.ln(4, "type: Available")
		g.ln(2, "observedGeneration: 1")
		g.counts(n, "readyReplicas", "replicas", "updatedReplicas")
	case statefulSet:
		g.counts(n, "availableReplicas")
		g.ln(2, "collisionCount: 0")
		g.counts(n, "currentReplicas")
		g.kv(2, "currentRevision", ctl.name+"-"+ctl.hash)
		g.ln(2, "observedGeneration: 1")
		g.counts(n, "readyReplicas")
		g.ki(2, "replicas", n)
		g.kv(2, "updateRevision", ctl.name+"-"+ctl.hash)
		g.counts(n, "updatedReplicas")
	case daemonSet:
		g.ki(2, "currentNumberScheduled", n)
		g.ki(2, "desiredNumberScheduled", n)
		g.counts(n, "numberAvailable")
		g.ln(2, "numberMisscheduled: 0")
		g.ki(2, "numberReady", n)
		g.ln(2, "observedGeneration: 1")
		g.counts(n, "updatedNumberScheduled")
	case cronJob:
		g.ln(2, "active:")
		g.ln(2, "- apiVersion: batch/v1")
		g.ln(4, "kind: Job")
		g.kv(4, "name", jobName(ctl, ci))
		g.kv(4, "namespace", g.p.ns[ctl.ns].name)
		g.kuid(4, "uid", tagJob, ci)
		g.kt(2, "lastScheduleTime", base.Add(56*24*time.Hour))
	}
}

// selector writes "selector: matchLabels:" with app and extra labels.
func (g *gen) selector(ind int, ctl *controller, extra []pair) {
	g.ln(ind, "selector:")
	g.ln(ind+2, "matchLabels:")
	g.pairs(ind+4, append([]pair{{"app", ctl.name}}, extra...))
}

// template writes a pod template at ind; extra labels (pod-template-hash,
// job labels) are added to the template's labels.
func (g *gen) template(ind int, ns *namespace, ctl *controller, extra []pair) {
	g.ln(ind, "template:")
	g.ln(ind+2, "metadata:")
	if ann := templateAnnotations(ctl); len(ann) > 0 {
		g.ln(ind+4, "annotations:")
		g.pairs(ind+6, ann)
	}
	g.ln(ind+4, "creationTimestamp: null")
	g.ln(ind+4, "labels:")
	g.pairs(ind+6, templateLabels(ctl, extra...))
	s := ind + 4
	g.ln(ind+2, "spec:")
	g.ln(s, "containers:")
	g.appContainer(s, ctl, false, "")
	g.ln(s, "dnsPolicy: ClusterFirst")
	if ctl.hostNet {
		g.ln(s, "hostNetwork: true")
	}
	if ctl.kind == cronJob {
		g.ln(s, "restartPolicy: OnFailure")
	} else {
		g.ln(s, "restartPolicy: Always")
	}
	g.ln(s, "schedulerName: default-scheduler")
	g.ln(s, "securityContext: {}")
	g.ln(s, "terminationGracePeriodSeconds: 30")
}

// jtemplate appends the pod template of the applied configuration.
func (g *gen) jtemplate(ctl *controller) {
	g.jraw(`"template":{"metadata":{`)
	if ann := templateAnnotations(ctl); len(ann) > 0 {
		g.jraw(`"annotations":`)
		g.jobj(ann)
		g.jraw(",")
	}
	g.jraw(`"labels":`)
	g.jobj(templateLabels(ctl))
	g.jraw(`},"spec":{"containers":[{"image":"` + ctl.image + `","name":"` + ctl.word + `","ports":[{"containerPort":` +
		itoa(ctl.port) + `,"name":"` + ctl.portName + `"}`)
	if ctl.metrics {
		g.jraw(`,{"containerPort":9102,"name":"http-metrics"}`)
	}
	g.jraw("]}]")
	if ctl.hostNet {
		g.jraw(`,"hostNetwork":true`)
	}
	g.jraw("}}")
}

// mfTemplate writes the managedFields of a pod template under ind.
func (g *gen) mfTemplate(ind int, ctl *controller) {
	t := g.f(ind, "template")
	md := g.f(t, "metadata")
	if ann := templateAnnotations(ctl); len(ann) > 0 {
		g.mfMapKeys(md, "annotations", ann)
	}
	g.mfMapKeys(md, "labels", templateLabels(ctl))
	sp := g.f(t, "spec")
	g.mfContainers(sp, ctl)
	g.leaves(sp, "dnsPolicy")
	if ctl.hostNet {
		g.leaves(sp, "hostNetwork")
	}
	g.leaves(sp, "restartPolicy", "schedulerName", "securityContext", "terminationGracePeriodSeconds")
}

// mfContainers writes the managedFields of the main container.
func (g *gen) mfContainers(ind int, ctl *controller) {
	cs := g.f(ind, "containers")
	c := g.fk(cs, `k:{"name":"`+ctl.word+`"}`)
	g.fdot(c)
	g.leaves(c, "image", "imagePullPolicy", "name")
	ps := g.f(c, "ports")
	g.fdot(ps)
	for _, p := range []int{ctl.port, 9102} {
		if p == 9102 && !ctl.metrics {
			break
		}
		k := g.fk(ps, `k:{"containerPort":`+itoa(p)+`,"protocol":"TCP"}`)
		g.fdot(k)
		g.leaves(k, "containerPort", "name", "protocol")
	}
	g.leaves(c, "resources", "terminationMessagePath", "terminationMessagePolicy")
}

// replicaSet writes the ReplicaSet of a Deployment.
func (g *gen) replicaSet(ns *namespace, ctl *controller, ci int) {
	name := ctl.name + "-" + ctl.hash
	hash := []pair{{"pod-template-hash", ctl.hash}}
	labels := templateLabels(ctl, hash...)
	created := ctl.created.Add(time.Second)
	n := ctl.pods
	g.doc("apps/v1", "ReplicaSet")
	g.ln(0, "metadata:")
	g.ln(2, "annotations:")
	g.kq(4, "deployment.kubernetes.io/desired-replicas", itoa(n))
	g.kq(4, "deployment.kubernetes.io/max-replicas", itoa(n+(n+3)/4))
	g.kq(4, "deployment.kubernetes.io/revision", "1")
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "generation: 1")
	g.ln(2, "labels:")
	g.pairs(4, labels)
	g.ln(2, "managedFields:")
	g.mfBegin(2, "apps/v1")
	md := g.f(6, "metadata")
	g.mfMapKeys(md, "labels", labels)
	g.ownerKey(md, tagController, ci)
	sp := g.f(6, "spec")
	g.leaves(sp, "replicas", "selector")
	g.mfTemplate(sp, ctl)
	g.mfEnd(2, "kube-controller-manager", "Update", "", created)
	g.names(name, ns.name)
	g.ownerRef(2, "apps/v1", "Deployment", ctl.name, tagController, ci)
	g.ids(tagReplicaSet, ci)
	g.ln(0, "spec:")
	g.ki(2, "replicas", n)
	g.selector(2, ctl, hash)
	g.template(2, ns, ctl, hash)
	g.ln(0, "status:")
	g.counts(n, "availableReplicas", "fullyLabeledReplicas")
	g.ln(2, "observedGeneration: 1")
	g.counts(n, "readyReplicas")
	g.ki(2, "replicas", n)
	g.end()
}

// jobLabels are the labels the Job controller puts on a Job's pods.
func (g *gen) jobLabels(ctl *controller, ci int) []pair {
	uid, name := g.uid(tagJob, ci), jobName(ctl, ci)
	return []pair{
		{"batch.kubernetes.io/controller-uid", uid}, {"batch.kubernetes.io/job-name", name},
		{"controller-uid", uid}, {"job-name", name},
	}
}

// job writes the current Job of a CronJob; it runs all the CronJob's pods.
func (g *gen) job(ns *namespace, ctl *controller, ci int) {
	name := jobName(ctl, ci)
	created := base.Add(56 * 24 * time.Hour)
	jl := g.jobLabels(ctl, ci)
	n := max(ctl.pods, 1)
	g.doc("batch/v1", "Job")
	g.ln(0, "metadata:")
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "generation: 1")
	g.ln(2, "labels:")
	g.pairs(4, templateLabels(ctl, jl...))
	g.ln(2, "managedFields:")
	g.mfBegin(2, "batch/v1")
	md := g.f(6, "metadata")
	g.ownerKey(md, tagController, ci)
	sp := g.f(6, "spec")
	g.leaves(sp, "backoffLimit", "completionMode", "completions", "parallelism", "suspend")
	g.mfTemplate(sp, ctl)
	g.mfEnd(2, "kube-controller-manager", "Update", "", created)
	g.names(name, ns.name)
	g.ownerRef(2, "batch/v1", "CronJob", ctl.name, tagController, ci)
	g.ids(tagJob, ci)
	g.ln(0, "spec:")
	g.ln(2, "backoffLimit: 6")
	g.ln(2, "completionMode: NonIndexed")
	g.ki(2, "completions", n)
	g.ln(2, "manualSelector: false")
	g.ki(2, "parallelism", n)
	g.ln(2, "podReplacementPolicy: TerminatingOrFailed")
	g.ln(2, "selector:")
	g.ln(4, "matchLabels:")
	g.kv(6, "batch.kubernetes.io/controller-uid", jl[0].v)
	g.ln(2, "suspend: false")
	g.template(2, ns, ctl, jl)
	g.ln(0, "status:")
	g.counts(ctl.pods, "active")
	g.counts(ctl.pods, "ready")
	g.kt(2, "startTime", created)
	g.ln(2, "terminating: 0")
	g.ln(2, "uncountedTerminatedPods: {}")
	g.end()
}
