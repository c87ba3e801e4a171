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
		g.begin()
		g.flag("allowVolumeExpansion", true)
		if sc.zones != nil {
			g.l("allowedTopologies")
			g.item()
			g.l("matchLabelExpressions")
			g.item()
			g.str("key", "topology.kubernetes.io/zone")
			g.strs("values", sc.zones...)
			g.up()
			g.up()
			g.up()
			g.up()
		}
		g.str("apiVersion", "storage.k8s.io/v1")
		g.str("kind", "StorageClass")
		g.m("metadata")
		if sc.dflt {
			g.m("annotations")
			g.str("storageclass.kubernetes.io/is-default-class", "true")
			g.up()
		}
		g.ts("creationTimestamp", created)
		g.managed("storage.k8s.io/v1", "helm", "f:parameters")
		g.tail(sc.name, "", tagStorageClass, i)
		g.up()
		g.m("parameters")
		g.str("encrypted", "true")
		g.str("type", sc.typ)
		g.up()
		g.str("provisioner", "ebs.csi.aws.com")
		g.str("reclaimPolicy", "Delete")
		if sc.immediate {
			g.str("volumeBindingMode", "Immediate")
		} else {
			g.str("volumeBindingMode", "WaitForFirstConsumer")
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

// volumeName returns "pvc-<uid of claim gi>".
func (g *gen) volumeName(gi int) string {
	var buf [40]byte
	return string(g.appendUID(append(buf[:0], "pvc-"...), tagPVC, gi))
}

func (g *gen) persistentVolume(ns *namespace, k int) {
	gi := ns.pvc0 + k
	zone, class, size := g.volume(gi)
	created := g.claimCreated(ns, k).Add(2 * time.Second)
	g.doc("v1", "PersistentVolume")
	g.m("metadata")
	g.ts("creationTimestamp", created)
	g.managed("v1", "csi-provisioner", "f:spec")
	g.str("name", g.volumeName(gi))
	g.ids(tagPV, gi)
	g.up()
	g.m("spec")
	g.strs("accessModes", "ReadWriteOnce")
	g.m("capacity")
	g.str("storage", size)
	g.up()
	g.m("claimRef")
	g.str("kind", "PersistentVolumeClaim")
	g.str("name", g.p.claimName(ns, k))
	g.str("namespace", ns.name)
	g.uid("uid", tagPVC, gi)
	g.up()
	g.m("csi")
	g.str("driver", "ebs.csi.aws.com")
	var buf [24]byte
	g.str("volumeHandle", string(strconv.AppendUint(append(buf[:0], "vol-0"...), g.hash(tagPV, gi)|1<<63, 16)))
	g.up()
	g.m("nodeAffinity")
	g.m("required")
	g.l("nodeSelectorTerms")
	g.item()
	g.l("matchExpressions")
	g.item()
	g.str("key", "topology.kubernetes.io/zone")
	g.str("operator", "In")
	g.strs("values", zone)
	g.up()
	g.up()
	g.up()
	g.up()
	g.up()
	g.up()
	g.str("storageClassName", class)
	g.up()
	g.m("status")
	g.str("phase", "Bound")
	g.up()
	g.end()
}

func (g *gen) claim(ns *namespace, k int) {
	gi := ns.pvc0 + k
	_, class, size := g.volume(gi)
	created := g.claimCreated(ns, k)
	g.doc("v1", "PersistentVolumeClaim")
	g.m("metadata")
	g.ts("creationTimestamp", created)
	if owner := g.claimOwner(ns, k); owner != nil {
		g.m("labels")
		g.str("app", owner.name)
		g.up()
	}
	g.managed("v1", "kube-controller-manager", "f:spec")
	g.tail(g.p.claimName(ns, k), ns.name, tagPVC, gi)
	g.up()
	g.m("spec")
	g.strs("accessModes", "ReadWriteOnce")
	g.m("resources")
	g.m("requests")
	g.str("storage", size)
	g.up()
	g.up()
	g.str("storageClassName", class)
	g.str("volumeName", g.volumeName(gi))
	g.up()
	g.m("status")
	g.str("phase", "Bound")
	g.up()
	g.end()
}

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
