package report

import (
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
)

// storageInventory is inventory.storage: where the volumes bound to
// personal-data claims can be.
func storageInventory(inv Inventory) inventory {
	s := spec[geo.Volume]{
		jsonPath: "inventory.storage", noun: "volume",
		group: func(v geo.Volume) string { return v.Claim.Namespace }, groupHeader: "Namespace",
		fields: []field[geo.Volume]{
			{column: column{header: "PersistentVolume"}, text: func(v geo.Volume) string { return v.Name }},
			{column: column{header: "Claim"}, text: func(v geo.Volume) string { return v.Claim.Namespace + "/" + v.Claim.Name }},
			{column: column{header: "Class"}, text: func(v geo.Volume) string { return orDash(v.StorageClass) }, summary: countEach},
			{column: column{header: "Size", align: "R"}, text: func(v geo.Volume) string { return orDash(v.Size) }},
			{column: column{header: "Location evidence"}, text: func(v geo.Volume) string {
				if len(v.Evidence) == 0 {
					return "none: no topology in spec.nodeAffinity or the volume's labels"
				}
				lines := make([]string, len(v.Evidence))
				for i, e := range v.Evidence {
					lines[i] = e.Key + " = " + e.Value
					if e.Region != "" && e.Region != e.Value {
						lines[i] += " (region " + e.Region + ")"
					}
				}
				return strings.Join(lines, "\n")
			}},
			{column: column{header: "Country"}, text: func(v geo.Volume) string {
				if len(v.Countries) == 0 {
					return geo.Unknown
				}
				return strings.Join(v.Countries, ", ")
			}, summary: countEach},
			check("Allowed", func(v geo.Volume) bool { return v.Allowed }),
		},
	}
	return inventory{
		title: "Storage residency",
		intro: "Every PersistentVolume bound to a claim in a personal-data namespace, with the topology values that " +
			"say where it is (spec.nodeAffinity and the volume's topology labels) and the countries they resolve to " +
			"with the profile's region tables. Allowed: there is evidence and every country in it is allowed.",
		empty: "No PersistentVolume is bound to a claim in a personal-data namespace.",
		needs: []string{collect.PersistentVolumes},
		table: s.table(inv.Storage),
	}
}

// nodeInventory is inventory.nodes: where each node is and whose
// jurisdiction its provider is under.
func nodeInventory(inv Inventory) inventory {
	return inventory{
		title: "Nodes",
		intro: "Every node with its region and zone labels, the country they resolve to with the profile's region " +
			"tables, the infrastructure provider its providerID names (none: on premises, as the profile describes it) " +
			"and the country whose law governs that provider.",
		empty: "The snapshot holds no nodes.",
		needs: []string{collect.Nodes},
		table: nodeTable(inv.Nodes, nodeFields(inv)),
	}
}

// nodeTable is a table of nodes with the given fields, aggregated by
// region. Another table about the same nodes (their kernel settings, say)
// is nodeTable with nodeName and its own fields, as one more inventory.
func nodeTable(nodes []geo.Node, fields []field[geo.Node]) evidenceTable {
	return spec[geo.Node]{
		jsonPath: "inventory.nodes", noun: "node",
		group: nodeRegion, groupHeader: "Region",
		fields: fields,
	}.table(nodes)
}

// nodeName is the first column of a node table.
var nodeName = field[geo.Node]{column: column{header: "Node"}, text: func(n geo.Node) string { return n.Name }}

// nodeFields are the columns of the node table. A further fact about a
// node is one more field: its text reads one node (other inventories,
// looked up by node name, are at hand in inv).
func nodeFields(inv Inventory) []field[geo.Node] {
	return []field[geo.Node]{
		nodeName,
		{column: column{header: "Region"}, text: func(n geo.Node) string {
			region := nodeRegion(n)
			switch {
			case n.RegionField == "":
			case n.RegionField == n.ZoneField:
				region += "\n(from the zone label)"
			case !n.Region.Known():
				region += "\n(not in the profile's region tables)"
			}
			if pr := n.ProviderRegion; pr != nil && pr.Region != "" && pr.Region != n.Region.Region {
				region += "\nproviderID names " + pr.Region
			}
			return region
		}},
		{column: column{header: "Zone"}, text: func(n geo.Node) string { return orDash(n.Zone) }, summary: countDistinct},
		{column: column{header: "Country"}, text: func(n geo.Node) string { return n.Country }, summary: countEach},
		check("Allowed", func(n geo.Node) bool { return n.Allowed }),
		{column: column{header: "Provider"}, text: func(n geo.Node) string { return providerName(n.Provider) }, summary: countEach},
		{column: column{header: "Provider jurisdiction"}, text: func(n geo.Node) string { return n.Provider.Headquarters },
			style: func(n geo.Node) cellStyle { return passFail(n.Provider.Allowed) }, summary: countEach},
	}
}

// nodeRegion is the region a node is in, as its group in an aggregated
// table.
func nodeRegion(n geo.Node) string {
	switch {
	case n.Region.Region != "":
		return n.Region.Region
	case n.Region.Value != "":
		return n.Region.Value
	}
	return "none (no region or zone label)"
}

func providerName(j geo.Jurisdiction) string {
	switch {
	case j.Provider == "":
		return geo.Unknown
	case j.Name == "":
		return j.Provider + " (not in the profile)"
	}
	return j.Name
}

// backupInventory is inventory.backups: where Velero keeps backups and
// volume snapshots, who holds them and how they are protected.
func backupInventory(inv Inventory) inventory {
	s := spec[geo.Backup]{
		jsonPath: "inventory.backups", noun: "location",
		group: func(b geo.Backup) string { return b.Namespace }, groupHeader: "Namespace",
		fields: []field[geo.Backup]{
			{column: column{header: "Location, provider, bucket"}, text: func(b geo.Backup) string {
				text := objectLines(b.Kind, b.Namespace, b.Name) + "\n" + orDash(b.Provider)
				if b.Bucket != "" {
					text += ", bucket " + b.Bucket
				}
				return text
			}},
			{column: column{header: "Where, country evidence"}, text: func(b geo.Backup) string {
				var lines []string
				if b.Region != "" {
					lines = append(lines, "region "+b.Region)
				}
				if b.URL != "" {
					lines = append(lines, b.URL)
				}
				if len(lines) == 0 {
					lines = append(lines, "no region named: the provider decides")
				}
				if b.CountrySource != "" {
					lines = append(lines, "country from "+b.CountrySource)
				}
				return strings.Join(lines, "\n")
			}},
			{column: column{header: "Country"}, text: func(b geo.Backup) string { return b.Country }, summary: countEach},
			{column: column{header: "Allowed", align: "C"}, text: func(b geo.Backup) string {
				if b.InCluster {
					return "in the cluster"
				}
				return yesNo(b.Allowed)
			}, style: func(b geo.Backup) cellStyle {
				if b.InCluster {
					return cellStyle{}
				}
				return passFail(b.Allowed)
			}, summary: countEach},
			{column: column{header: "Keys held by"}, text: func(b geo.Backup) string {
				e := b.Encryption
				switch {
				case e.CustomerKey:
					return "the exporter (customer key)"
				case e.KMSKeyID != "":
					return "the provider (KMS " + e.KMSKeyID + ")"
				case e.ServerSideEncryption != "":
					return "the provider (" + e.ServerSideEncryption + ")"
				}
				return "no encryption configured"
			}},
			{column: column{header: "Held by, jurisdiction"}, text: func(b geo.Backup) string {
				return providerName(b.Holder) + "\n" + b.Holder.Headquarters
			}, key: func(b geo.Backup) string { return b.Holder.Headquarters }, summaryHeader: "Jurisdiction", summary: countEach},
			{column: column{header: "Transport"}, text: func(b geo.Backup) string {
				var t string
				switch b.URLScheme {
				case "":
					t = "the provider's default endpoint"
				case "http":
					t = "http: plaintext"
				default:
					t = b.URLScheme
				}
				if b.InsecureSkipTLSVerify != "" {
					t += "\ninsecureSkipTLSVerify: " + b.InsecureSkipTLSVerify
				}
				return t
			}},
		},
	}
	return inventory{
		title: "Backup locations",
		intro: "Every Velero BackupStorageLocation and VolumeSnapshotLocation: where it keeps data, the country that " +
			"resolves to, whether the keys are held by the exporter or by the provider, and the jurisdiction of the " +
			"provider that holds the data.",
		empty: "No Velero backup or snapshot location.",
		needs: []string{collect.BackupStorageLocations, collect.VolumeSnapshotLocations},
		table: s.table(inv.Backups),
	}
}
