package report

import (
	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/transfer"
)

// inventoryOf assembles the evidence tables from the derived facts. Every
// list is present (empty rather than null) so that readers need not tell
// "none" from "missing".
func inventoryOf(res *evaluate.Results) Inventory {
	inv := Inventory{
		MTLS:      res.Mesh.Rows,
		Transfers: []transfer.Destination{},
		Storage:   []geo.Volume{},
		Nodes:     []geo.Node{},
		Backups:   []geo.Backup{},
	}
	if inv.MTLS == nil {
		inv.MTLS = []mesh.Row{}
	}
	d := res.Derived
	if d == nil {
		return inv
	}
	inv.Transfers = append(inv.Transfers, d.Transfers...)
	for _, sk := range d.TelemetrySinks {
		// A sink nothing uses receives nothing: it is no destination.
		if sk.Destination != nil && len(sk.ReferencedBy) > 0 {
			inv.Transfers = append(inv.Transfers, *sk.Destination)
		}
	}
	inv.Storage = append(inv.Storage, d.Location.Volumes...)
	inv.Nodes = append(inv.Nodes, d.Location.Nodes...)
	inv.Backups = append(inv.Backups, d.Location.Backups...)
	return inv
}
