package geo

import (
	"sort"

	"github.com/tilsyn/tilsyn/collect"
)

// Topology label keys.
const (
	LabelRegion       = "topology.kubernetes.io/region"
	LabelZone         = "topology.kubernetes.io/zone"
	LabelRegionLegacy = "failure-domain.beta.kubernetes.io/region"
	LabelZoneLegacy   = "failure-domain.beta.kubernetes.io/zone"
	LabelHostname     = "kubernetes.io/hostname"
)

// Node is where one node is, by its labels and its providerID, and whose
// infrastructure it runs on. It is a row of the report's inventory.nodes.
type Node struct {
	Name string `json:"name"`
	// Region is the node's region label (topology.kubernetes.io/region,
	// else the legacy failure-domain label), or the region of its zone
	// label when it has no region label.
	Region Place `json:"region"`
	// RegionField names the label Region came from, "" when the node has
	// neither a region nor a zone label.
	RegionField string `json:"regionField,omitempty"`
	// Zone is the zone label's value, "" when absent.
	Zone      string `json:"zone,omitempty"`
	ZoneField string `json:"zoneField,omitempty"`
	// Country is Region's country ("unknown" when the labels are missing
	// or name a region the profile does not know); Allowed says whether
	// the profile allows it.
	Country string `json:"country"`
	Allowed bool   `json:"allowed"`
	// ProviderID is spec.providerID taken apart; ProviderRegion is the
	// region of the zone it names (absent when it names none).
	ProviderID     ProviderID `json:"providerID"`
	ProviderRegion *Place     `json:"providerRegion,omitempty"`
	// Provider is the infrastructure provider and its jurisdiction.
	Provider Jurisdiction `json:"provider"`
}

// Nodes derives the location of every node, in snapshot order (by name).
func Nodes(s *collect.Snapshot, r *Resolver) []Node {
	objs := s.Resources[collect.Nodes]
	out := make([]Node, 0, len(objs))
	for _, o := range objs {
		m := collect.Meta(o)
		pid := ParseProviderID(collect.Str(o, "spec", "providerID"))
		key := pid.ProviderKey()
		n := Node{Name: m.Name, ProviderID: pid, Provider: r.Jurisdiction(key), Country: Unknown}
		zoneKey, zone := firstLabel(m.Labels, LabelZone, LabelZoneLegacy)
		if zoneKey != "" {
			n.Zone, n.ZoneField = zone, "metadata.labels["+zoneKey+"]"
		}
		if regionKey, region := firstLabel(m.Labels, LabelRegion, LabelRegionLegacy); regionKey != "" {
			n.Region, n.RegionField = r.Region(region, pid.Scheme), "metadata.labels["+regionKey+"]"
		} else if zoneKey != "" {
			n.Region, n.RegionField = r.Zone(zone, pid.Scheme), n.ZoneField
		} else {
			n.Region = Place{Country: Unknown}
		}
		n.Country = n.Region.Country
		n.Allowed = r.Allowed(n.Country)
		if pid.Zone != "" {
			pl := r.Zone(pid.Zone, pid.Scheme)
			n.ProviderRegion = &pl
		}
		out = append(out, n)
	}
	return out
}

// firstLabel returns the first of keys present (with a non-empty value).
func firstLabel(labels map[string]string, keys ...string) (string, string) {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return k, v
		}
	}
	return "", ""
}

// CountryCounts counts nodes by country ("unknown" included), for the
// policies that ask whether a cluster spans allowed and other places.
func CountryCounts(nodes []Node) map[string]int {
	out := map[string]int{}
	for _, n := range nodes {
		out[n.Country]++
	}
	return out
}

// byName indexes nodes by name.
func byName(nodes []Node) map[string]*Node {
	out := make(map[string]*Node, len(nodes))
	for i := range nodes {
		out[nodes[i].Name] = &nodes[i]
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
