package collect

import "strings"

// ResourceType describes one kind of object a snapshot holds. The registry
// below is the single list of what tilsyn understands; everything else read
// from manifests is kept as "other" and counted by apiVersion and kind.
type ResourceType struct {
	// Key names the list in Snapshot.Resources and in the Rego input
	// (input.resources.<key>); it is the plural resource name.
	Key        string
	Group      string
	Version    string // preferred version for live collection
	Kind       string
	Namespaced bool
	// Infrastructure types describe the cluster itself (nodes, volumes,
	// storage and backup locations). Application manifests rarely carry
	// them, so a manifest audit without any cannot say the cluster has
	// none: their coverage is then "absent", not "collected".
	Infrastructure bool
}

// GroupKind returns "Kind" for the core group and "Kind.group" otherwise.
func (t ResourceType) GroupKind() string {
	if t.Group == "" {
		return t.Kind
	}
	return t.Kind + "." + t.Group
}

// APIVersion returns the preferred apiVersion ("v1", "apps/v1", ...).
func (t ResourceType) APIVersion() string {
	if t.Group == "" {
		return t.Version
	}
	return t.Group + "/" + t.Version
}

// Keys of the resource types, for code that refers to a list by name.
const (
	Namespaces              = "namespaces"
	Nodes                   = "nodes"
	Pods                    = "pods"
	Deployments             = "deployments"
	StatefulSets            = "statefulsets"
	DaemonSets              = "daemonsets"
	ReplicaSets             = "replicasets"
	Jobs                    = "jobs"
	CronJobs                = "cronjobs"
	Services                = "services"
	ConfigMaps              = "configmaps"
	Secrets                 = "secrets"
	PersistentVolumes       = "persistentvolumes"
	PersistentVolumeClaims  = "persistentvolumeclaims"
	StorageClasses          = "storageclasses"
	NetworkPolicies         = "networkpolicies"
	PeerAuthentications     = "peerauthentications"
	DestinationRules        = "destinationrules"
	ServiceEntries          = "serviceentries"
	Gateways                = "gateways"
	Sidecars                = "sidecars"
	VirtualServices         = "virtualservices"
	Telemetries             = "telemetries"
	BackupStorageLocations  = "backupstoragelocations"
	VolumeSnapshotLocations = "volumesnapshotlocations"
)

// Registry is every resource type a snapshot can hold, in report order.
var Registry = []ResourceType{
	{Namespaces, "", "v1", "Namespace", false, false},
	{Nodes, "", "v1", "Node", false, true},
	{Pods, "", "v1", "Pod", true, false},
	{Deployments, "apps", "v1", "Deployment", true, false},
	{StatefulSets, "apps", "v1", "StatefulSet", true, false},
	{DaemonSets, "apps", "v1", "DaemonSet", true, false},
	{ReplicaSets, "apps", "v1", "ReplicaSet", true, false},
	{Jobs, "batch", "v1", "Job", true, false},
	{CronJobs, "batch", "v1", "CronJob", true, false},
	{Services, "", "v1", "Service", true, false},
	{ConfigMaps, "", "v1", "ConfigMap", true, false},
	{Secrets, "", "v1", "Secret", true, false},
	{PersistentVolumes, "", "v1", "PersistentVolume", false, true},
	{PersistentVolumeClaims, "", "v1", "PersistentVolumeClaim", true, false},
	{StorageClasses, "storage.k8s.io", "v1", "StorageClass", false, true},
	{NetworkPolicies, "networking.k8s.io", "v1", "NetworkPolicy", true, false},
	{PeerAuthentications, "security.istio.io", "v1", "PeerAuthentication", true, false},
	{DestinationRules, "networking.istio.io", "v1", "DestinationRule", true, false},
	{ServiceEntries, "networking.istio.io", "v1", "ServiceEntry", true, false},
	{Gateways, "networking.istio.io", "v1", "Gateway", true, false},
	{Sidecars, "networking.istio.io", "v1", "Sidecar", true, false},
	{VirtualServices, "networking.istio.io", "v1", "VirtualService", true, false},
	{Telemetries, "telemetry.istio.io", "v1", "Telemetry", true, false},
	{BackupStorageLocations, "velero.io", "v1", "BackupStorageLocation", true, true},
	{VolumeSnapshotLocations, "velero.io", "v1", "VolumeSnapshotLocation", true, true},
}

var byGroupKind = func() map[string]ResourceType {
	m := make(map[string]ResourceType, len(Registry))
	for _, t := range Registry {
		m[t.GroupKind()] = t
	}
	return m
}()

var byKey = func() map[string]ResourceType {
	m := make(map[string]ResourceType, len(Registry))
	for _, t := range Registry {
		m[t.Key] = t
	}
	return m
}()

// Lookup finds the registered type of an object from its apiVersion and
// kind. Any version of a known group and kind is accepted
// (security.istio.io/v1beta1 PeerAuthentication is a PeerAuthentication).
func Lookup(apiVersion, kind string) (ResourceType, bool) {
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	gk := kind
	if group != "" {
		gk = kind + "." + group
	}
	t, ok := byGroupKind[gk]
	return t, ok
}

// TypeByKey returns the registered type with the given key.
func TypeByKey(key string) (ResourceType, bool) {
	t, ok := byKey[key]
	return t, ok
}
