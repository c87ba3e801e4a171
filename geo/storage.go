package geo

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
)

// zoneKeys are the topology keys whose values are zones, regionKeys those
// whose values are regions or sites: the standard labels, their legacy
// forms and the CSI drivers' own.
var (
	zoneKeys = map[string]bool{
		LabelZone: true, LabelZoneLegacy: true,
		"topology.ebs.csi.aws.com/zone":          true,
		"topology.gke.io/zone":                   true,
		"topology.disk.csi.azure.com/zone":       true,
		"topology.cinder.csi.openstack.org/zone": true,
		"topology.csi.scaleway.com/zone":         true,
	}
	regionKeys = map[string]bool{
		LabelRegion: true, LabelRegionLegacy: true,
		"csi.hetzner.cloud/location": true,
	}
)

// IsTopologyKey reports whether a node label key names a region, zone or
// node (kubernetes.io/hostname).
func IsTopologyKey(key string) bool { return zoneKeys[key] || regionKeys[key] || key == LabelHostname }

// Evidence is one topology value found on an object and where it resolves.
type Evidence struct {
	// Field is the path of the value within its object.
	Field  string `json:"field"`
	Key    string `json:"key"`
	Value  string `json:"value"`
	Region string `json:"region,omitempty"`
	// Country is a country code or "unknown".
	Country string `json:"country"`
}

// locate resolves one topology value; ok is false for keys that say
// nothing about location. Hostname values resolve through the node.
func (r *Resolver) locate(field, key, value string, nodes map[string]*Node) (Evidence, bool) {
	e := Evidence{Field: field, Key: key, Value: value, Country: Unknown}
	var pl Place
	switch {
	case zoneKeys[key]:
		pl = r.Zone(value, "")
	case regionKeys[key]:
		pl = r.Region(value, "")
	case key == LabelHostname:
		n, ok := nodes[value]
		if !ok {
			return e, true // a node not in the snapshot: unknown
		}
		pl = n.Region
	default:
		return e, false
	}
	e.Region, e.Country = pl.Region, pl.Country
	return e, true
}

// countriesOf returns the distinct countries of evidence, sorted.
func countriesOf(ev []Evidence) []string {
	set := map[string]bool{}
	for _, e := range ev {
		set[e.Country] = true
	}
	return sortedKeys(set)
}

// allowedAll reports whether there is evidence and all of it is allowed.
func (r *Resolver) allowedAll(countries []string) bool {
	if len(countries) == 0 {
		return false
	}
	for _, c := range countries {
		if !r.Allowed(c) {
			return false
		}
	}
	return true
}

// ObjectRef names a namespaced object.
type ObjectRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Volume is where a PersistentVolume bound to a personal-data claim can
// be: a row of the report's inventory.storage.
type Volume struct {
	Name         string    `json:"name"`
	Claim        ObjectRef `json:"claim"`
	StorageClass string    `json:"storageClass,omitempty"`
	Size         string    `json:"size,omitempty"`
	// Evidence is every topology value of spec.nodeAffinity and of the
	// volume's topology labels; Countries their distinct countries.
	Evidence  []Evidence `json:"evidence"`
	Countries []string   `json:"countries"`
	// Allowed: there is evidence and every country in it is allowed.
	Allowed bool `json:"allowed"`
}

// Volumes derives the location of every PersistentVolume whose claim is in
// a personal-data namespace.
func Volumes(s *collect.Snapshot, r *Resolver, nodes []Node, inScope func(ns string) bool) []Volume {
	idx := byName(nodes)
	var out []Volume
	for _, o := range s.Resources[collect.PersistentVolumes] {
		claimNS := collect.Str(o, "spec", "claimRef", "namespace")
		if claimNS == "" || !inScope(claimNS) {
			continue
		}
		m := collect.Meta(o)
		v := Volume{Name: m.Name, Claim: ObjectRef{claimNS, collect.Str(o, "spec", "claimRef", "name")},
			StorageClass: collect.Str(o, "spec", "storageClassName"), Size: collect.Str(o, "spec", "capacity", "storage"),
			Evidence: []Evidence{}}
		for i, t := range collect.List(o, "spec", "nodeAffinity", "required", "nodeSelectorTerms") {
			tm, _ := t.(map[string]any)
			for j, x := range collect.List(tm, "matchExpressions") {
				xm, _ := x.(map[string]any)
				if collect.Str(xm, "operator") != "In" {
					continue
				}
				field := fmt.Sprintf("spec.nodeAffinity.required.nodeSelectorTerms[%d].matchExpressions[%d]", i, j)
				for _, val := range collect.List(xm, "values") {
					if vs, ok := val.(string); ok {
						if e, ok := r.locate(field, collect.Str(xm, "key"), vs, idx); ok {
							v.Evidence = append(v.Evidence, e)
						}
					}
				}
			}
		}
		keys := make([]string, 0, len(m.Labels))
		for k := range m.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if e, ok := r.locate("metadata.labels["+k+"]", k, m.Labels[k], idx); ok {
				v.Evidence = append(v.Evidence, e)
			}
		}
		v.Countries = countriesOf(v.Evidence)
		v.Allowed = r.allowedAll(v.Countries)
		out = append(out, v)
	}
	return out
}

// StorageClass is where a StorageClass can provision volumes, and how
// many personal-data claims use it.
type StorageClass struct {
	Name              string `json:"name"`
	Provisioner       string `json:"provisioner"`
	VolumeBindingMode string `json:"volumeBindingMode"`
	Default           bool   `json:"default"`
	// PersonalDataClaims counts the claims in personal-data namespaces
	// that use the class (by name, or as the default class).
	PersonalDataClaims int `json:"personalDataClaims"`
	// Topology is the evidence of allowedTopologies; Parameters that of
	// provider parameters naming a region or zone.
	Topology   []Evidence `json:"topology"`
	Parameters []Evidence `json:"parameters"`
}

// parameterKeys are StorageClass parameters that name where volumes go.
var parameterKeys = map[string]string{
	"region": LabelRegion, "location": LabelRegion,
	"zone": LabelZone, "zones": LabelZone, "availability-zone": LabelZone, "availabilityzone": LabelZone,
}

// StorageClasses derives the provisioning evidence of every StorageClass.
func StorageClasses(s *collect.Snapshot, r *Resolver, nodes []Node, inScope func(ns string) bool) []StorageClass {
	idx := byName(nodes)
	out := make([]StorageClass, 0, len(s.Resources[collect.StorageClasses]))
	defaultClass := ""
	byName := map[string]int{}
	for _, o := range s.Resources[collect.StorageClasses] {
		m := collect.Meta(o)
		sc := StorageClass{Name: m.Name, Provisioner: collect.Str(o, "provisioner"),
			VolumeBindingMode: collect.Str(o, "volumeBindingMode"), Topology: []Evidence{}, Parameters: []Evidence{}}
		if sc.VolumeBindingMode == "" {
			sc.VolumeBindingMode = "Immediate"
		}
		if m.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			sc.Default = true
			if defaultClass == "" || m.Name < defaultClass {
				defaultClass = m.Name
			}
		}
		for i, t := range collect.List(o, "allowedTopologies") {
			tm, _ := t.(map[string]any)
			for j, x := range collect.List(tm, "matchLabelExpressions") {
				xm, _ := x.(map[string]any)
				field := fmt.Sprintf("allowedTopologies[%d].matchLabelExpressions[%d]", i, j)
				for _, val := range collect.List(xm, "values") {
					if vs, ok := val.(string); ok {
						if e, ok := r.locate(field, collect.Str(xm, "key"), vs, idx); ok {
							sc.Topology = append(sc.Topology, e)
						}
					}
				}
			}
		}
		params := collect.StringMap(o, "parameters")
		pkeys := make([]string, 0, len(params))
		for k := range params {
			pkeys = append(pkeys, k)
		}
		sort.Strings(pkeys)
		for _, k := range pkeys {
			as, ok := parameterKeys[strings.ToLower(k)]
			if !ok {
				continue
			}
			for _, val := range strings.Split(params[k], ",") {
				if val = strings.TrimSpace(val); val != "" {
					e, _ := r.locate("parameters["+k+"]", as, val, idx)
					e.Key = k
					sc.Parameters = append(sc.Parameters, e)
				}
			}
		}
		byName[sc.Name] = len(out)
		out = append(out, sc)
	}
	for _, o := range s.Resources[collect.PersistentVolumeClaims] {
		if !inScope(collect.Str(o, "metadata", "namespace")) {
			continue
		}
		class, set := claimClass(o)
		if !set {
			class = defaultClass
		}
		if i, ok := byName[class]; ok && class != "" {
			out[i].PersonalDataClaims++
		}
	}
	return out
}

// claimClass returns a claim's storage class and whether it names one
// (an explicit "" means no class; absent means the default class).
func claimClass(o collect.Object) (string, bool) {
	spec := collect.Map(o, "spec")
	if v, ok := spec["storageClassName"]; ok && v != nil {
		s, _ := v.(string)
		return s, true
	}
	if v, ok := collect.Meta(o).Annotations["volume.beta.kubernetes.io/storage-class"]; ok {
		return v, true
	}
	return "", false
}

// MissingVolume is a personal-data claim bound to a PersistentVolume that
// is not in the snapshot: where its data is cannot be told.
type MissingVolume struct {
	Claim  ObjectRef `json:"claim"`
	Volume string    `json:"volume"`
}

// MissingVolumes lists the personal-data claims whose spec.volumeName
// names a volume the snapshot does not hold.
func MissingVolumes(s *collect.Snapshot, inScope func(ns string) bool) []MissingVolume {
	have := map[string]bool{}
	for _, o := range s.Resources[collect.PersistentVolumes] {
		have[collect.Str(o, "metadata", "name")] = true
	}
	out := []MissingVolume{}
	for _, o := range s.Resources[collect.PersistentVolumeClaims] {
		m := collect.Meta(o)
		if v := collect.Str(o, "spec", "volumeName"); v != "" && inScope(m.Namespace) && !have[v] {
			out = append(out, MissingVolume{Claim: ObjectRef{m.Namespace, m.Name}, Volume: v})
		}
	}
	return out
}
