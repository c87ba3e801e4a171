package synth

import (
	"strconv"
	"time"
)

// Pods. A pod is injected exactly when istiod's webhook would inject it (see
// injected); injected pods carry the istio-proxy container (as a regular
// container, or as a native sidecar: an init container with
// restartPolicy: Always), the istio-init init container, the tlsMode and
// canonical-service labels and the sidecar.istio.io/status annotation.

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

const (
	sidecarStatusClassic = `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}`
	sidecarStatusNative  = `{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}`
)

// podIP returns the address of pod gi in 100.64.0.0/10, avoiding .0, .1
// and .255.
func podIP(gi int) string {
	return "100." + itoa(64+gi/64000) + "." + itoa(gi/250%256) + "." + itoa(2+gi%250)
}

func (g *gen) pod(ns *namespace, ctl *controller, ci, j int) {
	gi := ctl.pod0 + j
	h := g.hash(tagPod, gi)
	suffix := nameSuffix((ctl.suffix+uint64(j))%14348907, 5) // 27^5
	created := ctl.created.Add(time.Duration(2+3*j) * time.Second)
	var (
		name, generateName       string
		ownerAPI, ownerKind, own string
		ownerTag                 uint64
		extra                    []pair
	)
	switch ctl.kind {
	case deployment:
		own = ctl.name + "-" + ctl.hash
		generateName, ownerAPI, ownerKind, ownerTag = own+"-", "apps/v1", "ReplicaSet", tagReplicaSet
		name = generateName + suffix
		extra = []pair{{"pod-template-hash", ctl.hash}}
	case statefulSet:
		own, generateName, ownerAPI, ownerKind, ownerTag = ctl.name, ctl.name+"-", "apps/v1", "StatefulSet", tagController
		name = generateName + itoa(j)
		extra = []pair{
			{"apps.kubernetes.io/pod-index", itoa(j)},
			{"controller-revision-hash", ctl.name + "-" + ctl.hash},
			{"statefulset.kubernetes.io/pod-name", name},
		}
	case daemonSet:
		own, generateName, ownerAPI, ownerKind, ownerTag = ctl.name, ctl.name+"-", "apps/v1", "DaemonSet", tagController
		name = generateName + suffix
		extra = []pair{{"controller-revision-hash", ctl.hash}, {"pod-template-generation", "1"}}
	case cronJob:
		own = jobName(ctl, ci)
		generateName, ownerAPI, ownerKind, ownerTag = own+"-", "batch/v1", "Job", tagJob
		name = generateName + suffix
		extra = g.jobLabels(ctl, ci)
		created = base.Add(56*24*time.Hour + time.Duration(1+j)*time.Second)
	}
	inj := injected(ns, ctl)
	if inj {
		extra = append(extra,
			pair{"security.istio.io/tlsMode", "istio"},
			pair{"service.istio.io/canonical-name", ctl.name},
			pair{"service.istio.io/canonical-revision", ctl.version})
	}
	labels := templateLabels(ctl, extra...)
	ann := templateAnnotations(ctl)
	if inj {
		kept := ann[:0]
		for _, a := range ann {
			if a.k != "prometheus.io/port" && a.k != "prometheus.io/scrape" {
				kept = append(kept, a)
			}
		}
		status := sidecarStatusClassic
		if ctl.native {
			status = sidecarStatusNative
		}
		ann = append(kept,
			pair{"istio.io/rev", meshRevision},
			pair{"kubectl.kubernetes.io/default-container", ctl.word},
			pair{"kubectl.kubernetes.io/default-logs-container", ctl.word},
			pair{"prometheus.io/path", "/stats/prometheus"},
			pair{"prometheus.io/port", "15020"},
			pair{"prometheus.io/scrape", "true"},
			pair{"sidecar.istio.io/status", status})
	}
	node := g.rng.IntN(g.p.nodes)
	if ctl.kind == daemonSet {
		node = (ci*7 + j) % g.p.nodes
	}
	hostIP, ip := nodeIP(node), podIP(gi)
	if ctl.hostNet {
		ip = hostIP
	}
	kubeAPI := "kube-api-access-" + nameSuffix(h>>24%14348907, 5)
	claim := ""
	if ctl.kind == statefulSet && j < ctl.pvcPods {
		claim = "data-" + ctl.name + "-" + itoa(j)
	}

	g.doc("v1", "Pod")
	g.ln(0, "metadata:")
	if len(ann) > 0 {
		g.ln(2, "annotations:")
		g.pairs(4, ann)
	}
	g.kt(2, "creationTimestamp", created)
	g.kv(2, "generateName", generateName)
	g.ln(2, "labels:")
	g.pairs(4, labels)
	g.ln(2, "managedFields:")
	g.mfBegin(2, "v1")
	md := g.f(6, "metadata")
	if len(ann) > 0 {
		g.mfMapKeys(md, "annotations", ann)
	}
	g.leaves(md, "generateName")
	g.mfMapKeys(md, "labels", labels)
	g.ownerKey(md, ownerTag, ci)
	sp := g.f(6, "spec")
	g.mfContainers(sp, ctl)
	g.leaves(sp, "dnsPolicy", "enableServiceLinks")
	if ctl.hostNet {
		g.leaves(sp, "hostNetwork")
	}
	g.leaves(sp, "restartPolicy", "schedulerName", "securityContext", "terminationGracePeriodSeconds")
	g.mfEnd(2, "kube-controller-manager", "Update", "", created)
	g.mfBegin(2, "v1")
	g.leaves(g.f(6, "status"), "conditions", "containerStatuses", "hostIP", "hostIPs", "phase", "podIP", "podIPs", "startTime")
	g.mfEnd(2, "kubelet", "Update", "status", created.Add(9*time.Second))
	g.names(name, ns.name)
	g.ownerRef(2, ownerAPI, ownerKind, own, ownerTag, ci)
	g.ids(tagPod, gi)

	g.ln(0, "spec:")
	g.ln(2, "containers:")
	g.appContainer(2, ctl, claim != "", kubeAPI)
	if inj && !ctl.native {
		g.proxy(ns, ctl, false)
	}
	g.ln(2, "dnsPolicy: ClusterFirst")
	g.ln(2, "enableServiceLinks: true")
	if ctl.hostNet {
		g.ln(2, "hostNetwork: true")
	}
	if inj {
		g.ln(2, "initContainers:")
		g.raw(istioInit)
		if ctl.native {
			g.proxy(ns, ctl, true)
		}
	}
	g.kv(2, "nodeName", g.nodeName(node))
	g.ln(2, "preemptionPolicy: PreemptLowerPriority")
	g.ln(2, "priority: 0")
	if ctl.kind == cronJob {
		g.ln(2, "restartPolicy: OnFailure")
	} else {
		g.ln(2, "restartPolicy: Always")
	}
	g.raw(podSpecCommon)
	g.ln(2, "volumes:")
	if claim != "" {
		g.ln(2, "- name: data")
		g.ln(4, "persistentVolumeClaim:")
		g.kv(6, "claimName", claim)
	}
	if inj {
		g.raw(istioVolumes)
	}
	g.kv(2, "- name", kubeAPI)
	g.raw(kubeAPIVolume)

	g.ln(0, "status:")
	g.ln(2, "conditions:")
	g.ln(2, "- lastProbeTime: null")
	g.kt(4, "lastTransitionTime", created.Add(9*time.Second))
	g.ln(4, `status: "True"`)
	g.ln(4, "type: Ready")
	g.kv(2, "hostIP", hostIP)
	g.ln(2, "hostIPs:")
	g.kv(2, "- ip", hostIP)
	g.ln(2, "phase: Running")
	g.kv(2, "podIP", ip)
	g.ln(2, "podIPs:")
	g.kv(2, "- ip", ip)
	g.ln(2, "qosClass: Burstable")
	g.kt(2, "startTime", created.Add(time.Second))
	g.end()
}

// appContainer writes the application container as a list item at ind; in
// a pod (kubeAPI set) it also mounts the service-account token and, when
// claim is set, the StatefulSet's claim.
func (g *gen) appContainer(ind int, ctl *controller, claim bool, kubeAPI string) {
	g.kv(ind, "- image", ctl.image)
	in := ind + 2
	g.ln(in, "imagePullPolicy: IfNotPresent")
	g.kv(in, "name", ctl.word)
	g.ln(in, "ports:")
	g.indent(in)
	g.b = append(g.b, "- containerPort: "...)
	g.b = strconv.AppendInt(g.b, int64(ctl.port), 10)
	g.b = append(g.b, '\n')
	g.kv(in+2, "name", ctl.portName)
	g.ln(in+2, "protocol: TCP")
	if ctl.metrics {
		g.ln(in, "- containerPort: 9102")
		g.ln(in+2, "name: http-metrics")
		g.ln(in+2, "protocol: TCP")
	}
	g.ln(in, "resources:")
	g.ln(in+2, "limits:")
	g.ln(in+4, "memory: 512Mi")
	g.ln(in+2, "requests:")
	g.ln(in+4, "cpu: 100m")
	g.ln(in+4, "memory: 256Mi")
	g.ln(in, "terminationMessagePath: /dev/termination-log")
	g.ln(in, "terminationMessagePolicy: File")
	if kubeAPI == "" {
		return
	}
	g.ln(in, "volumeMounts:")
	if claim {
		g.ln(in, "- mountPath: /var/lib/data")
		g.ln(in+2, "name: data")
	}
	g.ln(in, "- mountPath: /var/run/secrets/kubernetes.io/serviceaccount")
	g.kv(in+2, "name", kubeAPI)
	g.ln(in+2, "readOnly: true")
}

// proxy writes the istio-proxy container as a list item at indentation 2;
// native sidecars are init containers with restartPolicy: Always.
func (g *gen) proxy(ns *namespace, ctl *controller, native bool) {
	g.raw(proxyHead)
	g.ln(4, "- name: ISTIO_META_APP_CONTAINERS")
	g.kv(6, "value", ctl.word)
	g.ln(4, "- name: ISTIO_META_WORKLOAD_NAME")
	g.kv(6, "value", ctl.name)
	g.ln(4, "- name: ISTIO_META_OWNER")
	g.indent(6)
	g.b = append(g.b, "value: kubernetes://apis/"...)
	g.b = append(g.b, ctl.kind.apiVersion()...)
	g.b = append(g.b, "/namespaces/"...)
	g.b = append(g.b, ns.name...)
	g.b = append(g.b, '/')
	g.b = append(g.b, ownerResource[ctl.kind]...)
	g.b = append(g.b, '/')
	g.b = append(g.b, ctl.name...)
	g.b = append(g.b, '\n')
	g.raw(proxyMid)
	if native {
		g.ln(4, "restartPolicy: Always")
	}
	g.raw(proxyTail)
}

var ownerResource = [...]string{deployment: "deployments", statefulSet: "statefulsets", daemonSet: "daemonsets", cronJob: "cronjobs"}

const proxyHead = `  - args:
    - proxy
    - sidecar
    - --domain
    - $(POD_NAMESPACE).svc.cluster.local
    - --proxyLogLevel=warning
    - --proxyComponentLogLevel=misc:error
    - --log_output_level=default:info
    env:
    - name: PILOT_CERT_PROVIDER
      value: istiod
    - name: CA_ADDR
      value: istiod.istio-system.svc:15012
    - name: POD_NAME
      valueFrom:
        fieldRef:
          apiVersion: v1
          fieldPath: metadata.name
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          apiVersion: v1
          fieldPath: metadata.namespace
    - name: INSTANCE_IP
      valueFrom:
        fieldRef:
          apiVersion: v1
          fieldPath: status.podIP
    - name: ISTIO_META_CLUSTER_ID
      value: Kubernetes
    - name: ISTIO_META_MESH_ID
      value: cluster.local
    - name: TRUST_DOMAIN
      value: cluster.local
`

const proxyMid = `    image: docker.io/istio/proxyv2:1.24.2
    imagePullPolicy: IfNotPresent
    name: istio-proxy
    ports:
    - containerPort: 15090
      name: http-envoy-prom
      protocol: TCP
    readinessProbe:
      failureThreshold: 4
      httpGet:
        path: /healthz/ready
        port: 15021
        scheme: HTTP
      periodSeconds: 15
      successThreshold: 1
      timeoutSeconds: 3
    resources:
      limits:
        cpu: "2"
        memory: 1Gi
      requests:
        cpu: 100m
        memory: 128Mi
`

const proxyTail = `    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop:
        - ALL
      privileged: false
      readOnlyRootFilesystem: true
      runAsGroup: 1337
      runAsNonRoot: true
      runAsUser: 1337
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    volumeMounts:
    - mountPath: /var/run/secrets/workload-spiffe-uds
      name: workload-socket
    - mountPath: /var/run/secrets/credential-uds
      name: credential-socket
    - mountPath: /var/run/secrets/workload-spiffe-credentials
      name: workload-certs
    - mountPath: /var/run/secrets/istio
      name: istiod-ca-cert
    - mountPath: /var/lib/istio/data
      name: istio-data
    - mountPath: /etc/istio/proxy
      name: istio-envoy
    - mountPath: /var/run/secrets/tokens
      name: istio-token
    - mountPath: /etc/istio/pod
      name: istio-podinfo
`

const istioInit = `  - args:
    - istio-iptables
    - -p
    - "15001"
    - -z
    - "15006"
    - -u
    - "1337"
    - -m
    - REDIRECT
    - -i
    - '*'
    - -x
    - ""
    - -b
    - '*'
    - -d
    - 15090,15021,15020
    - --log_output_level=default:info
    image: docker.io/istio/proxyv2:1.24.2
    imagePullPolicy: IfNotPresent
    name: istio-init
    resources:
      limits:
        cpu: "2"
        memory: 1Gi
      requests:
        cpu: 100m
        memory: 128Mi
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        add:
        - NET_ADMIN
        - NET_RAW
        drop:
        - ALL
      privileged: false
      readOnlyRootFilesystem: false
      runAsGroup: 0
      runAsNonRoot: false
      runAsUser: 0
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
`

const podSpecCommon = `  schedulerName: default-scheduler
  securityContext: {}
  serviceAccount: default
  serviceAccountName: default
  terminationGracePeriodSeconds: 30
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  - effect: NoExecute
    key: node.kubernetes.io/unreachable
    operator: Exists
    tolerationSeconds: 300
`

const istioVolumes = `  - emptyDir: {}
    name: workload-socket
  - emptyDir: {}
    name: credential-socket
  - emptyDir: {}
    name: workload-certs
  - emptyDir:
      medium: Memory
    name: istio-envoy
  - emptyDir: {}
    name: istio-data
  - downwardAPI:
      defaultMode: 420
      items:
      - fieldRef:
          apiVersion: v1
          fieldPath: metadata.labels
        path: labels
      - fieldRef:
          apiVersion: v1
          fieldPath: metadata.annotations
        path: annotations
    name: istio-podinfo
  - name: istio-token
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken:
          audience: istio-ca
          expirationSeconds: 43200
          path: istio-token
  - configMap:
      defaultMode: 420
      name: istio-ca-root-cert
    name: istiod-ca-cert
`

const kubeAPIVolume = `    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken:
          expirationSeconds: 3607
          path: token
      - configMap:
          items:
          - key: ca.crt
            path: ca.crt
          name: kube-root-ca.crt
      - downwardAPI:
          items:
          - fieldRef:
              apiVersion: v1
              fieldPath: metadata.namespace
            path: namespace
`
