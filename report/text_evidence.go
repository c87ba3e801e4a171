package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tilsyn/tilsyn/evaluate"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/waiver"
)

// findingCount describes a control's findings for the summary line,
// counting waived ones apart.
func findingCount(c Control) string {
	waived := 0
	for _, f := range c.Findings {
		if f.Waiver != nil {
			waived++
		}
	}
	switch {
	case waived == 0:
		return plural(len(c.Findings), "finding")
	case waived == len(c.Findings):
		return plural(waived, "finding") + " waived"
	}
	return fmt.Sprintf("%s, %d waived", plural(len(c.Findings)-waived, "finding"), waived)
}

// gapSummary lists the reasons a control was not assessed, once each,
// with the number of resources a reason applies to.
func gapSummary(gaps []evaluate.Gap) string {
	count := map[string]int{}
	var order []string
	for _, g := range gaps {
		if count[g.Reason] == 0 {
			order = append(order, g.Reason)
		}
		count[g.Reason]++
	}
	parts := make([]string, 0, len(order))
	for _, r := range order {
		if n := count[r]; n > 1 {
			r = fmt.Sprintf("%s (%d resources)", r, n)
		}
		parts = append(parts, r)
	}
	return strings.Join(parts, "; ")
}

// writeEvidence prints the waivers, the owner-declared transfer bases and
// a summary of the location and transfer inventories.
func writeEvidence(p *printer, r *Report) {
	if len(r.Waivers) > 0 {
		p.printf("\nWaivers (approved by auditors, %s):\n", r.Metadata.Waivers)
		for _, w := range r.Waivers {
			detail := fmt.Sprintf("waived %s", plural(w.Matched, "finding"))
			switch w.Status {
			case waiver.Expired:
				detail = "expired " + w.Expires + ", waives nothing"
			case waiver.Incomplete:
				var fields []string
				for _, pr := range w.Problems {
					fields = append(fields, pr.Field)
				}
				detail = "incomplete (" + strings.Join(fields, ", ") + "), waives nothing"
			case waiver.Unmatched:
				detail = "matches no finding"
			}
			p.printf("  %-10s %-12s %-8s %s; approved by %s, expires %s\n", strings.ToUpper(w.Status), w.Ref, w.Control, detail,
				orNone(w.ApprovedBy), orNone(w.Expires))
		}
	}
	var declared []string
	seen := map[string]bool{}
	for _, t := range r.Inventory.Transfers {
		if t.Basis == nil {
			continue
		}
		k := t.Source.Kind + " " + t.Source.Namespace + "/" + t.Source.Name + " → " + t.Host + ": " + t.Basis.Value
		if !t.Basis.Valid {
			k += " (not an accepted basis)"
		}
		if !seen[k] {
			seen[k] = true
			declared = append(declared, k)
		}
	}
	if len(declared) > 0 {
		p.printf("\nTransfer bases declared by the resource owner (not auditor-approved):\n")
		for _, d := range declared {
			p.printf("  %s\n", d)
		}
	}
	outside := 0
	hosts := map[string]bool{}
	for _, t := range r.Inventory.Transfers {
		hosts[t.Host] = true
		if !t.Allowed {
			outside++
		}
	}
	p.printf("\nTransfers: %s, %s (%d outside the allowed countries or of unknown country)\n",
		plural(len(hosts), "external host"), plural(len(r.Inventory.Transfers), "host/port row"), outside)
	p.printf("Nodes: %s\n", countries(len(r.Inventory.Nodes), nodeCountries(r.Inventory.Nodes)))
	notAllowed := 0
	for _, v := range r.Inventory.Storage {
		if !v.Allowed {
			notAllowed++
		}
	}
	p.printf("Storage: %s bound to personal-data claims, %d outside the allowed countries or of unknown location\n",
		plural(len(r.Inventory.Storage), "volume"), notAllowed)
	notAllowed = 0
	for _, b := range r.Inventory.Backups {
		if !b.Allowed && !b.InCluster {
			notAllowed++
		}
	}
	p.printf("Backups: %s, %d outside the allowed countries or of unknown location\n",
		plural(len(r.Inventory.Backups), "Velero location"), notAllowed)
}

func nodeCountries(nodes []geo.Node) map[string]int {
	out := map[string]int{}
	for _, n := range nodes {
		out[n.Country]++
	}
	return out
}

func countries(total int, by map[string]int) string {
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", by[k], k))
	}
	if len(parts) == 0 {
		return plural(total, "node")
	}
	return plural(total, "node") + " (" + strings.Join(parts, ", ") + ")"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
