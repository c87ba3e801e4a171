package geo

import (
	"fmt"
)

// Placement is what a pod template requires of the nodes it runs on,
// where that concerns location: nodeSelector entries and required node
// affinity expressions (operator In) on region, zone or hostname keys.
type Placement struct {
	Pins []Evidence `json:"pins"`
	// Countries are the distinct countries the pins allow; Allowed says
	// whether every one of them is allowed.
	Countries []string `json:"countries"`
	Allowed   bool     `json:"allowed"`
}

// Placer resolves the placement of many pod specs against one node index.
type Placer struct {
	r     *Resolver
	nodes map[string]*Node
}

// NewPlacer returns a Placer for a resolver and the cluster's nodes.
func NewPlacer(r *Resolver, nodes []Node) *Placer { return &Placer{r, byName(nodes)} }

// Of reads the location pins of a pod spec; prefix is the path of the
// spec within its object ("spec.template.spec"). ok is false when the spec
// pins nothing.
func (p *Placer) Of(spec map[string]any, prefix string) (Placement, bool) {
	return placementOf(spec, prefix, p.r, p.nodes)
}

func placementOf(spec map[string]any, prefix string, r *Resolver, nodes map[string]*Node) (Placement, bool) {
	var pins []Evidence
	if sel, ok := spec["nodeSelector"].(map[string]any); ok {
		for _, k := range sortedAnyKeys(sel) {
			v, _ := sel[k].(string)
			if e, ok := r.locate(prefix+".nodeSelector["+k+"]", k, v, nodes); ok {
				pins = append(pins, e)
			}
		}
	}
	req, _ := getMap(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
	terms, _ := req["nodeSelectorTerms"].([]any)
	for i, t := range terms {
		tm, _ := t.(map[string]any)
		exprs, _ := tm["matchExpressions"].([]any)
		for j, x := range exprs {
			xm, _ := x.(map[string]any)
			if op, _ := xm["operator"].(string); op != "In" {
				continue
			}
			key, _ := xm["key"].(string)
			field := fmt.Sprintf("%s.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[%d].matchExpressions[%d]", prefix, i, j)
			vals, _ := xm["values"].([]any)
			for _, v := range vals {
				if vs, ok := v.(string); ok {
					if e, ok := r.locate(field, key, vs, nodes); ok {
						pins = append(pins, e)
					}
				}
			}
		}
	}
	if len(pins) == 0 {
		return Placement{}, false
	}
	p := Placement{Pins: pins, Countries: countriesOf(pins)}
	p.Allowed = r.allowedAll(p.Countries)
	return p, true
}

func getMap(m map[string]any, path ...string) (map[string]any, bool) {
	cur := m
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

func sortedAnyKeys(m map[string]any) []string {
	set := make(map[string]bool, len(m))
	for k := range m {
		set[k] = true
	}
	return sortedKeys(set)
}
