package synth

import (
	"strconv"
	"time"
)

// StorageClasses, PersistentVolumes and their claims. Claim k of a namespace
// is numbered ns.pvc0+k across the cluster; the volume bound to it has that
// number too and is named "pvc-<claim uid>", as the EBS CSI provisioner names
// them. Zone, size and class come from hashes of that number, so the
// cluster-scoped volume and the namespaced claim agree without either being
// kept in memory.

type storageClass struct {
	name, typ string
	dflt      bool
	zones     []string // allowedTopologies; nil for none
	immediate bool
}

var storageClasses = []storageClass{
	{name: "gp3", typ: "gp3", dflt: true},
	{name: "io2", typ: "io2", zones: []string{"eu-north-1a", "eu-north-1b", "eu-north-1c"}},
	{name: "gp3-london", typ: "gp3", zones: []string{"eu-west-2a"}, immediate: true},
}

func (g *gen) storageClasses() {
	for i, sc := range storageClasses {
		created := base.Add(time.Duration(5+i) * time.Minute)
		g.doc("storage.k8s.io/v1", "StorageClass")
		if sc.zones != nil {
			g.ln(0, "allowedTopologies:")
			g.ln(0, "- matchLabelExpressions:")
			g.ln(2, "- key: topology.kubernetes.io/zone")
			g.ln(4, "values:")
			for _, z := range sc.zones {
				g.ln(4, "- "+z)
			}
		}
		g.ln(0, "allowVolumeExpansion: true")
		g.ln(0, "metadata:")
		if sc.dflt {
			g.ln(2, "annotations:")
			g.kv(4, "storageclass.kubernetes.io/is-default-class", "true")
		}
		g.kt(2, "creationTimestamp", created)
		g.ln(2, "managedFields:")
		g.mfBegin(2, "storage.k8s.io/v1")
		g.leaves(6, "allowVolumeExpansion", "parameters", "provisioner", "reclaimPolicy", "volumeBindingMode")
		g.mfEnd(2, "helm", "Update", "", created)
		g.tail(sc.name, "", tagStorageClass, i)
		g.ln(0, "parameters:")
		g.kv(2, "encrypted", "true")
		g.kv(2, "type", sc.typ)
		g.ln(0, "provisioner: ebs.csi.aws.com")
		g.ln(0, "reclaimPolicy: Delete")
		if sc.immediate {
			g.ln(0, "volumeBindingMode: Immediate")
		} else {
			g.ln(0, "volumeBindingMode: WaitForFirstConsumer")
		}
		g.end()
	}
}

var volumeSizes = []string{"10Gi", "20Gi", "20Gi", "50Gi", "100Gi", "200Gi"}

// volume returns the zone, class and size of claim/volume number gi: 2% in
// eu-west-2a (class gp3-london), the rest spread over eu-north-1a/b/c.
func (g *gen) volume(gi int) (zone, class, size string) {
	h := g.hash(tagZone, gi)
	size = volumeSizes[g.hash(tagPVSize, gi)%uint64(len(volumeSizes))]
	if h%100 < 2 {
		return "eu-west-2a", "gp3-london", size
	}
	zone = "eu-north-1" + string("abc"[(h>>8)%3])
	if (h>>16)%10 == 0 {
		return zone, "io2", size
	}
	return zone, "gp3", size
}

func (g *gen) claimCreated(ns *namespace, k int) time.Time {
	return ns.created.Add(10*time.Minute + time.Duration(k)*11*time.Second)
}

func (g *gen) persistentVolume(ns *namespace, k int) {
	gi := ns.pvc0 + k
	zone, class, size := g.volume(gi)
	created := g.claimCreated(ns, k).Add(2 * time.Second)
	g.doc("v1", "PersistentVolume")
	g.ln(0, "metadata:")
	g.raw(pvAnnotations)
	g.kt(2, "creationTimestamp", created)
	g.raw(pvFinalizers)
	g.ln(2, "managedFields:")
	g.mfBegin(2, "v1")
	sp := g.f(6, "spec")
	g.leaves(sp, "accessModes", "capacity", "claimRef", "csi", "nodeAffinity",
		"persistentVolumeReclaimPolicy", "storageClassName", "volumeMode")
	g.mfEnd(2, "csi-provisioner", "Update", "", created)
	g.indent(2)
	g.b = append(g.b, "name: pvc-"...)
	g.b = g.appendUID(g.b, tagPVC, gi)
	g.b = append(g.b, '\n')
	g.ids(tagPV, gi)
	g.ln(0, "spec:")
	g.ln(2, "accessModes:")
	g.ln(2, "- ReadWriteOnce")
	g.ln(2, "capacity:")
	g.kv(4, "storage", size)
	g.ln(2, "claimRef:")
	g.ln(4, "apiVersion: v1")
	g.ln(4, "kind: PersistentVolumeClaim")
	g.kv(4, "name", g.p.claimName(ns, k))
	g.kv(4, "namespace", ns.name)
	g.kuid(4, "uid", tagPVC, gi)
	g.ln(2, "csi:")
	g.ln(4, "driver: ebs.csi.aws.com")
	g.ln(4, "fsType: ext4")
	g.ln(4, "volumeAttributes:")
	g.ln(6, "storage.kubernetes.io/csiProvisionerIdentity: 1736150400000-8081-ebs.csi.aws.com")
	g.indent(4)
	g.b = append(g.b, "volumeHandle: vol-0"...)
	g.b = strconv.AppendUint(g.b, g.hash(tagPV, gi)|1<<63, 16)
	g.b = append(g.b, '\n')
	g.ln(2, "nodeAffinity:")
	g.ln(4, "required:")
	g.ln(6, "nodeSelectorTerms:")
	g.ln(6, "- matchExpressions:")
	g.ln(8, "- key: topology.kubernetes.io/zone")
	g.ln(10, "operator: In")
	g.ln(10, "values:")
	g.ln(10, "- "+zone)
	g.ln(2, "persistentVolumeReclaimPolicy: Delete")
	g.kv(2, "storageClassName", class)
	g.ln(2, "volumeMode: Filesystem")
	g.ln(0, "status:")
	g.kt(2, "lastPhaseTransitionTime", created)
	g.ln(2, "phase: Bound")
	g.end()
}

const pvAnnotations = `  annotations:
    pv.kubernetes.io/provisioned-by: ebs.csi.aws.com
    volume.kubernetes.io/provisioner-deletion-secret-name: ""
    volume.kubernetes.io/provisioner-deletion-secret-namespace: ""
`

const pvFinalizers = `  finalizers:
  - external-provisioner.volume.kubernetes.io/finalizer
  - kubernetes.io/pv-protection
  - external-attacher/ebs-csi-aws-com
`

func (g *gen) claim(ns *namespace, k int) {
	gi := ns.pvc0 + k
	_, class, size := g.volume(gi)
	created := g.claimCreated(ns, k)
	name := g.p.claimName(ns, k)
	g.doc("v1", "PersistentVolumeClaim")
	g.ln(0, "metadata:")
	g.raw(pvcAnnotations)
	g.kt(2, "creationTimestamp", created)
	g.ln(2, "finalizers:")
	g.ln(2, "- kubernetes.io/pvc-protection")
	owner := g.claimOwner(ns, k)
	if owner != nil {
		g.ln(2, "labels:")
		g.kv(4, "app", owner.name)
	}
	g.ln(2, "managedFields:")
	g.mfBegin(2, "v1")
	md := g.f(6, "metadata")
	an := g.f(md, "annotations")
	g.fdot(an)
	g.leaves(an, "pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
		"volume.beta.kubernetes.io/storage-provisioner", "volume.kubernetes.io/storage-provisioner")
	g.leaves(g.f(6, "spec"), "volumeName")
	g.mfEnd(2, "kube-controller-manager", "Update", "", created.Add(2*time.Second))
	g.tail(name, ns.name, tagPVC, gi)
	g.ln(0, "spec:")
	g.ln(2, "accessModes:")
	g.ln(2, "- ReadWriteOnce")
	g.ln(2, "resources:")
	g.ln(4, "requests:")
	g.kv(6, "storage", size)
	g.kv(2, "storageClassName", class)
	g.ln(2, "volumeMode: Filesystem")
	g.indent(2)
	g.b = append(g.b, "volumeName: pvc-"...)
	g.b = g.appendUID(g.b, tagPVC, gi)
	g.b = append(g.b, '\n')
	g.ln(0, "status:")
	g.ln(2, "accessModes:")
	g.ln(2, "- ReadWriteOnce")
	g.ln(2, "capacity:")
	g.kv(4, "storage", size)
	g.ln(2, "phase: Bound")
	g.end()
}

const pvcAnnotations = `  annotations:
    pv.kubernetes.io/bind-completed: "yes"
    pv.kubernetes.io/bound-by-controller: "yes"
    volume.beta.kubernetes.io/storage-provisioner: ebs.csi.aws.com
    volume.kubernetes.io/storage-provisioner: ebs.csi.aws.com
`

// claimOwner returns the StatefulSet whose pod mounts claim k, or nil for a
// standalone claim.
func (g *gen) claimOwner(ns *namespace, k int) *controller {
	for ci := ns.ctrl0; ci < ns.ctrl0+ns.ctrlN; ci++ {
		ctl := &g.p.ctrl[ci]
		if k < ctl.pvcPods {
			return ctl
		}
		k -= ctl.pvcPods
	}
	return nil
}
