package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/transfer"
)

// transferInventory is inventory.transfers: the record of transfers of
// Art. 30(1)(e). The basis column is what the resource owner declares; it
// is set apart from the auditor-approved waivers, which have a table of
// their own.
func transferInventory(inv Inventory) inventory {
	s := spec[transfer.Destination]{
		jsonPath: "inventory.transfers", noun: "destination",
		group:       func(t transfer.Destination) string { return namespaceOr(t.Source.Namespace) },
		groupHeader: "Namespace",
		fields: []field[transfer.Destination]{
			{column: column{header: "Host, declared in"}, text: func(t transfer.Destination) string {
				return t.Host + "\n" + t.Source.Kind + " " + namespaced(t.Source.Namespace, t.Source.Name)
			}, key: func(t transfer.Destination) string { return t.Host }, summaryHeader: "Host", summary: countDistinct},
			{column: column{header: "Port, protocol"}, text: func(t transfer.Destination) string {
				port := "no port named"
				if t.Port != 0 {
					port = fmt.Sprint(t.Port)
				}
				return port + "\n" + orDash(t.Protocol)
			}, key: func(t transfer.Destination) string { return orDash(t.Protocol) }, summaryHeader: "Protocol", summary: countEach},
			{column: column{header: "TLS origination", align: "C"}, text: func(t transfer.Destination) string {
				if t.TLSOrigination && t.TLS.Rule != "" {
					return "yes\n" + t.TLS.Rule
				}
				return yesNo(t.TLSOrigination)
			}, key: func(t transfer.Destination) string { return yesNo(t.TLSOrigination) }, summary: countEach},
			check("Encrypted", func(t transfer.Destination) bool { return t.Encrypted }),
			{column: column{header: "Country and evidence"}, text: func(t transfer.Destination) string {
				c := t.Country
				if t.Adequacy {
					c += " (adequacy decision)"
				}
				if t.CountrySource != "" {
					c += "\n" + t.CountrySource
				}
				return c
			}, key: func(t transfer.Destination) string { return t.Country }, summaryHeader: "Country", summary: countEach},
			check("Allowed", func(t transfer.Destination) bool { return t.Allowed }),
			{column: column{header: "Basis declared by the resource owner"}, text: func(t transfer.Destination) string {
				switch {
				case t.Basis == nil:
					return "none"
				case !t.Basis.Valid:
					return t.Basis.Value + " (not an accepted basis)"
				}
				return t.Basis.Value
			}, style: func(t transfer.Destination) cellStyle {
				if t.Basis != nil && !t.Basis.Valid {
					return cellStyle{colour: &colFail, bold: true}
				}
				return cellStyle{}
			}, summaryHeader: "Declared basis", summary: countEach},
		},
	}
	return inventory{
		title: "Transfer inventory (Art. 30(1)(e))",
		intro: "Every destination outside the cluster that data can reach: each host and port of a MESH_EXTERNAL " +
			"ServiceEntry, and each telemetry sink outside the cluster that something uses, with the resource that " +
			"declares it. TLS origination: a DestinationRule (named below yes) makes the mesh originate TLS toward the " +
			"host. Encrypted: the protocol is itself TLS or " +
			"the mesh originates it. Allowed: the profile allows personal data in the country; an unknown country is " +
			"never allowed.",
		empty: "No destination outside the cluster: no MESH_EXTERNAL ServiceEntry, and no telemetry sink outside the " +
			"cluster that something uses.",
		needs: []string{collect.ServiceEntries, collect.DestinationRules, collect.ConfigMaps, collect.Telemetries},
		table: s.table(inv.Transfers),
		after: declaredBases(inv.Transfers),
	}
}

// declaredBases says what the basis column is, when a destination has
// one: the owner's statement, not an auditor's approval.
func declaredBases(dests []transfer.Destination) []string {
	count := map[string]int{}
	for _, t := range dests {
		if t.Basis != nil {
			count[t.Basis.Value]++
		}
	}
	if len(count) == 0 {
		return nil
	}
	values := make([]string, 0, len(count))
	n := 0
	for v, c := range count {
		values = append(values, fmt.Sprintf("%s: %d", v, c))
		n += c
	}
	sort.Strings(values)
	return []string{fmt.Sprintf("%s a transfer basis declared by the resource owner in the annotation %s (%s). "+
		"A declared basis is the owner's statement: the audit checks that the profile accepts it, not that it is "+
		"true, and it is not an approval by the auditor. Auditor-approved waivers are listed in their own table.",
		plural(n, "destination")+" "+has(n), transfer.BasisAnnotation, strings.Join(values, ", "))}
}

func has(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// objectLines names an object on two lines: kind, then namespace/name.
func objectLines(kind, namespace, name string) string {
	return kind + "\n" + namespaced(namespace, name)
}

// namespaced is namespace/name, or name for a cluster-scoped object.
func namespaced(namespace, name string) string {
	if namespace != "" {
		return namespace + "/" + name
	}
	return name
}
