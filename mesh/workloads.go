package mesh

import (
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
)

// Dataplane values: how a workload's traffic enters the mesh.
const (
	DataplaneSidecar = "sidecar"
	DataplaneAmbient = "ambient"
	DataplaneNone    = "none"
)

// Workload is a group of pods under one controller (Deployment,
// StatefulSet, DaemonSet, CronJob, a bare ReplicaSet or Job) or a bare Pod:
// the unit the mTLS inventory reports on.
type Workload struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	// Labels and Annotations are the pod template's (or the first pod's).
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	// Ports are the containers' declared ports, the proxy's excluded.
	Ports       []int `json:"ports"`
	HostNetwork bool  `json:"hostNetwork"`
	// Dataplane is sidecar, ambient or none; Injection says why.
	Dataplane string   `json:"dataplane"`
	Injection Decision `json:"injection"`
	// Source is "template" when the workload was derived from a
	// controller's pod template (what would run), "pods" when from pods
	// (what runs).
	Source string `json:"source"`
	// Pods is how many pods the workload runs. It is not part of the
	// policy input: no control judges it, and every pod created or
	// deleted would change the workload's facts for nothing.
	Pods int `json:"-"`
	// Ref locates the object findings name: input.resources[Ref.Resource][Ref.Index].
	Ref Ref `json:"ref"`
	// TemplatePath is the path of the pod template within that object
	// ("spec.template.", "spec.jobTemplate.spec.template.", or "" for a Pod).
	TemplatePath string `json:"templatePath"`

	members []member
}

// Ref points at one object of a snapshot list.
type Ref struct {
	Resource string `json:"resource"`
	Index    int    `json:"index"`
}

// Decision records why a workload is or is not in the mesh: the field that
// decided and its value.
type Decision struct {
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// member is one pod (or the pod template) of a workload, as the resolver
// sees it.
type member struct {
	labels    map[string]string
	dataplane string
	decision  Decision
	ports     []int
}

// Well-known labels and annotations.
const (
	labelInject         = "sidecar.istio.io/inject"
	labelNSInjection    = "istio-injection"
	labelRev            = "istio.io/rev"
	labelDataplaneMode  = "istio.io/dataplane-mode"
	annotationRedirect  = "ambient.istio.io/redirection"
	annotationSidecarSt = "sidecar.istio.io/status"
	proxyContainer      = "istio-proxy"
)

var controllerTemplates = map[string]struct {
	kind string
	path []string
}{
	collect.Deployments:  {"Deployment", []string{"spec", "template"}},
	collect.StatefulSets: {"StatefulSet", []string{"spec", "template"}},
	collect.DaemonSets:   {"DaemonSet", []string{"spec", "template"}},
	collect.ReplicaSets:  {"ReplicaSet", []string{"spec", "template"}},
	collect.Jobs:         {"Job", []string{"spec", "template"}},
	collect.CronJobs:     {"CronJob", []string{"spec", "jobTemplate", "spec", "template"}},
}

// controllerOrder fixes the order workloads are built in.
var controllerOrder = []string{collect.Deployments, collect.StatefulSets, collect.DaemonSets,
	collect.ReplicaSets, collect.Jobs, collect.CronJobs}

type objKey struct{ ns, kind, name string }

// Workloads derives the workloads of a snapshot. Pods are grouped by their
// top-level owner (Pod → ReplicaSet → Deployment, Pod → Job → CronJob);
// a controller without pods in the snapshot is represented by its pod
// template, on which the injection rules are evaluated as istiod's
// webhook would. The result is sorted by namespace, kind and name.
func Workloads(s *collect.Snapshot, injector InjectorConfig) []*Workload {
	return workloadsOf(s, injector, nil)
}

// labelMaps remembers labels and annotations converted to strings, by the
// identity of the object's own map: callers of ResolveShared keep their
// objects unchanged, and every neighbourhood of a cluster holds the same
// pods again. The converted maps are shared: never modified.
var labelMaps = newIdentityMemo[map[string]string](16384)

// metaOf is collect.Meta, with labels and annotations remembered when
// keep: sharing.keeps of the object o belongs to (o itself, or the
// controller whose pod template o is).
func metaOf(o collect.Object, keep bool) collect.ObjectMeta {
	if !keep {
		return collect.Meta(o)
	}
	md, _ := o["metadata"].(map[string]any)
	return collect.ObjectMeta{
		Name:              collect.Str(md, "name"),
		Namespace:         collect.Str(md, "namespace"),
		UID:               collect.Str(md, "uid"),
		CreationTimestamp: collect.Str(md, "creationTimestamp"),
		Labels:            sharedStringMap(md, "labels"),
		Annotations:       sharedStringMap(md, "annotations"),
	}
}

func sharedStringMap(md map[string]any, key string) map[string]string {
	raw, _ := md[key].(map[string]any)
	if len(raw) == 0 {
		return collect.StringMap(md, key)
	}
	v, _ := labelMaps.get(raw, func() (map[string]string, error) { return collect.StringMap(md, key), nil })
	return v
}

func workloadsOf(s *collect.Snapshot, injector InjectorConfig, sh *sharing) []*Workload {
	nsLabels := map[string]map[string]string{}
	for _, ns := range s.Resources[collect.Namespaces] {
		m := metaOf(ns, sh.keeps(ns))
		nsLabels[m.Name] = m.Labels
	}
	// Index controllers and who owns them.
	index := map[objKey]Ref{}
	owner := map[objKey]objKey{}
	for _, key := range controllerOrder {
		for i, o := range s.Resources[key] {
			ns, name := collect.NamespaceName(o)
			k := objKey{ns, controllerTemplates[key].kind, name}
			index[k] = Ref{key, i}
			if ok, has := controllerOwner(o, ns); has {
				owner[k] = ok
			}
		}
	}
	top := func(k objKey) objKey {
		for depth := 0; depth < 4; depth++ {
			up, ok := owner[k]
			if !ok {
				break
			}
			k = up
		}
		return k
	}
	byKey := map[objKey]*Workload{}
	var out []*Workload
	get := func(k objKey) *Workload {
		if w, ok := byKey[k]; ok {
			return w
		}
		w := &Workload{Namespace: k.ns, Kind: k.kind, Name: k.name}
		byKey[k] = w
		out = append(out, w)
		return w
	}
	// Pods first: what runs is the truth.
	for i, p := range s.Resources[collect.Pods] {
		m := metaOf(p, sh.keeps(p))
		k := objKey{m.Namespace, "Pod", m.Name}
		if ok, has := controllerOwner(p, m.Namespace); has {
			k = top(ok)
		}
		w := get(k)
		if w.Source == "" {
			w.Source = "pods"
			w.Labels, w.Annotations = m.Labels, m.Annotations
			w.HostNetwork = collect.Bool(p, "spec", "hostNetwork")
			if ref, ok := index[k]; ok {
				w.Ref, w.TemplatePath = ref, templatePath(ref.Resource)
			} else {
				w.Ref = Ref{collect.Pods, i}
			}
		}
		w.Pods++
		w.members = append(w.members, podMember(p, m, nsLabels[m.Namespace], injector))
	}
	// Then controllers that have no pods in the snapshot.
	for _, key := range controllerOrder {
		ct := controllerTemplates[key]
		for i, o := range s.Resources[key] {
			ns, name := collect.NamespaceName(o)
			k := objKey{ns, ct.kind, name}
			if _, owned := owner[k]; owned {
				continue // represented by its owner (ReplicaSet of a Deployment, Job of a CronJob)
			}
			if _, seen := byKey[k]; seen {
				continue
			}
			tpl := collect.Map(o, ct.path...)
			if tpl == nil {
				continue
			}
			tm := metaOf(tpl, sh.keeps(o))
			w := get(k)
			w.Source = "template"
			w.Labels, w.Annotations = tm.Labels, tm.Annotations
			w.HostNetwork = collect.Bool(tpl, "spec", "hostNetwork")
			w.Ref, w.TemplatePath = Ref{key, i}, templatePath(key)
			w.members = append(w.members, templateMember(tpl, tm, nsLabels[ns], injector, w.TemplatePath))
		}
	}
	for _, w := range out {
		w.summarise()
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return out
}

func templatePath(key string) string {
	if ct, ok := controllerTemplates[key]; ok {
		return strings.Join(ct.path, ".") + "."
	}
	return ""
}

// controllerOwner returns the controlling owner of an object, if any.
func controllerOwner(o collect.Object, ns string) (objKey, bool) {
	for _, r := range collect.List(o, "metadata", "ownerReferences") {
		ref, _ := r.(map[string]any)
		if ref == nil || !collect.Bool(ref, "controller") {
			continue
		}
		return objKey{ns, collect.Str(ref, "kind"), collect.Str(ref, "name")}, true
	}
	return objKey{}, false
}

// summarise fills the workload-level fields from its members: the mesh
// status is the weakest any member has.
func (w *Workload) summarise() {
	w.Dataplane, w.Injection = DataplaneSidecar, Decision{}
	ports := map[int]bool{}
	rank := map[string]int{DataplaneNone: 0, DataplaneAmbient: 1, DataplaneSidecar: 2}
	for i, m := range w.members {
		if i == 0 || rank[m.dataplane] < rank[w.Dataplane] {
			w.Dataplane, w.Injection = m.dataplane, m.decision
		}
		for _, p := range m.ports {
			ports[p] = true
		}
	}
	w.Ports = make([]int, 0, len(ports))
	for p := range ports {
		w.Ports = append(w.Ports, p)
	}
	sort.Ints(w.Ports)
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	if w.Annotations == nil {
		w.Annotations = map[string]string{}
	}
}

// podMember describes a pod. A pod with a uid exists (or existed) in a
// cluster, so its containers are the truth about its sidecar; a pod
// manifest without one has not been created yet and the injection rules
// decide, as for a template.
func podMember(p collect.Object, m collect.ObjectMeta, nsLabels map[string]string, inj InjectorConfig) member {
	spec := collect.Map(p, "spec")
	mem := member{labels: m.Labels, ports: containerPorts(spec)}
	if m.UID == "" {
		mem.dataplane, mem.decision = decideInjection(nsLabels, m.Labels, m.Annotations, collect.Bool(spec, "hostNetwork"), "", inj)
		return mem
	}
	switch {
	case hasProxy(spec):
		mem.dataplane = DataplaneSidecar
		mem.decision = Decision{Field: "spec.containers", Value: proxyContainer, Reason: "the running pod has an istio-proxy sidecar"}
	case m.Annotations[annotationRedirect] == "enabled":
		mem.dataplane = DataplaneAmbient
		mem.decision = Decision{Field: "metadata.annotations[" + annotationRedirect + "]", Value: "enabled",
			Reason: "the running pod is captured by ztunnel (ambient)"}
	default:
		mem.dataplane = DataplaneNone
		mem.decision = Decision{Field: "spec.containers", Value: "no istio-proxy container",
			Reason: "the running pod has no sidecar and is not captured by ambient"}
		if collect.Bool(spec, "hostNetwork") {
			mem.decision = Decision{Field: "spec.hostNetwork", Value: "true", Reason: "hostNetwork pods are never added to the mesh"}
		}
	}
	return mem
}

func templateMember(tpl collect.Object, m collect.ObjectMeta, nsLabels map[string]string, inj InjectorConfig, path string) member {
	spec := collect.Map(tpl, "spec")
	mem := member{labels: m.Labels, ports: containerPorts(spec)}
	mem.dataplane, mem.decision = decideInjection(nsLabels, m.Labels, m.Annotations, collect.Bool(spec, "hostNetwork"), path, inj)
	return mem
}

// hasProxy reports whether a pod spec has the istio-proxy container, as a
// regular container or as a native sidecar (init container with
// restartPolicy Always).
func hasProxy(spec map[string]any) bool {
	for _, c := range collect.List(spec, "containers") {
		if cm, _ := c.(map[string]any); collect.Str(cm, "name") == proxyContainer {
			return true
		}
	}
	for _, c := range collect.List(spec, "initContainers") {
		cm, _ := c.(map[string]any)
		if collect.Str(cm, "name") == proxyContainer && collect.Str(cm, "restartPolicy") == "Always" {
			return true
		}
	}
	return false
}

func containerPorts(spec map[string]any) []int {
	var ports []int
	for _, c := range collect.List(spec, "containers") {
		cm, _ := c.(map[string]any)
		if collect.Str(cm, "name") == proxyContainer {
			continue
		}
		for _, p := range collect.List(cm, "ports") {
			pm, _ := p.(map[string]any)
			if n, ok := collect.Int(pm, "containerPort"); ok {
				ports = append(ports, int(n))
			}
		}
	}
	return ports
}
