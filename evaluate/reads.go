package evaluate

import (
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/tilsyn/tilsyn/collect"
)

// workloadInputs are the types workloads are derived from.
var workloadInputs = []string{collect.Namespaces, collect.Pods, collect.Deployments, collect.StatefulSets,
	collect.DaemonSets, collect.ReplicaSets, collect.Jobs, collect.CronJobs, collect.ConfigMaps}

// factInputs are the resource types each part of input.facts is derived
// from (see facts in input.go and derive in facts.go). A part missing here
// is derived from every type.
var factInputs = map[string][]string{
	"mesh":       {collect.ConfigMaps},
	"scope":      {collect.Namespaces},
	"workloads":  workloadInputs,
	"podSysctls": workloadInputs,
	"mtls": append([]string{collect.PeerAuthentications, collect.Services, collect.DestinationRules,
		collect.ServiceEntries}, workloadInputs...),
	"peerAuthentication":                  append([]string{collect.PeerAuthentications}, workloadInputs...),
	"peerAuthentication.mesh":             {collect.PeerAuthentications, collect.ConfigMaps},
	"peerAuthentication.namespaces":       {collect.PeerAuthentications, collect.ConfigMaps},
	"peerAuthentication.ignoredSelectors": {collect.PeerAuthentications, collect.ConfigMaps},
	"destinationRules": append([]string{collect.DestinationRules, collect.Services, collect.ServiceEntries},
		workloadInputs...),
	"location.nodes":         {collect.Nodes},
	"location.nodeCountries": {collect.Nodes},
	"location.volumes": {collect.PersistentVolumes, collect.PersistentVolumeClaims, collect.Nodes,
		collect.Namespaces},
	"location.missingVolumes": {collect.PersistentVolumes, collect.PersistentVolumeClaims, collect.Namespaces},
	"location.storageClasses": {collect.StorageClasses, collect.PersistentVolumeClaims, collect.Nodes,
		collect.Namespaces},
	"location.placement": append([]string{collect.Nodes}, workloadInputs...),
	"location.backups":   {collect.BackupStorageLocations, collect.VolumeSnapshotLocations, collect.ConfigMaps},
	"pki":                {collect.ConfigMaps, collect.Secrets},
	"transfers": {collect.ServiceEntries, collect.DestinationRules, collect.Namespaces, collect.ConfigMaps,
		collect.Sidecars},
	"telemetrySinks": {collect.ConfigMaps, collect.Telemetries, collect.ServiceEntries, collect.DestinationRules,
		collect.Namespaces},
	"nodeTuning": {collect.ConfigMaps, collect.Nodes},
}

// location's parts, for a reference to input.facts.location as a whole.
var locationParts = []string{"location.nodes", "location.nodeCountries", "location.volumes",
	"location.missingVolumes", "location.storageClasses", "location.placement", "location.backups"}

// reads finds the resource types each control can depend on: those it
// requires, the lists of input.resources it names (ReadsObjects), and the
// types the facts it names (input.facts.<part>) are derived from —
// following the rules it refers to in other packages (the policy library)
// as well. A reference the analysis cannot resolve (input as a whole, a
// list chosen by a variable, a fact part not known) makes the control
// depend on every type. Waivers-phase controls read only the waivers.
func reads(compiler *ast.Compiler, controls []*Control) {
	for _, c := range controls {
		set := map[string]bool{}
		for _, r := range c.Requires {
			set[r] = true
		}
		all := false
		objects, facts := map[string]bool{}, map[string]bool{}
		if c.Phase != PhaseWaivers {
			visitRefs(compiler, ast.MustParseRef("data."+c.Package), func(r ast.Ref) {
				keys, ok := refInputs(r)
				if !ok {
					all = true
				}
				for _, k := range keys {
					set[k] = true
				}
				if len(r) > 2 && r[1].Equal(ast.StringTerm("resources")) {
					if key, ok := r[2].Value.(ast.String); ok {
						objects[string(key)] = true
					}
				}
				if len(r) > 2 && r[1].Equal(ast.StringTerm("facts")) {
					if part, ok := r[2].Value.(ast.String); ok {
						facts[string(part)] = true
					}
				}
			})
		}
		if all {
			for _, t := range collect.Registry {
				set[t.Key], objects[t.Key] = true, true
			}
		}
		c.ReadsObjects = sortedSet(objects)
		c.ReadsFacts = sortedSet(facts)
		c.Reads = sortedSet(set)
	}
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// visitRefs calls f with every reference to input in the rules under
// root, and in the rules they refer to, transitively.
func visitRefs(compiler *ast.Compiler, root ast.Ref, f func(ast.Ref)) {
	seen := map[*ast.Rule]bool{}
	var visit func(rules []*ast.Rule)
	visit = func(rules []*ast.Rule) {
		for _, rule := range rules {
			if seen[rule] {
				continue
			}
			seen[rule] = true
			ast.WalkRefs(rule, func(r ast.Ref) bool {
				switch {
				case r.HasPrefix(ast.InputRootRef):
					f(r)
				case r.HasPrefix(ast.DefaultRootRef):
					visit(compiler.GetRulesWithPrefix(r.ConstantPrefix()))
					visit(compiler.GetRules(r.ConstantPrefix()))
				}
				return false
			})
		}
	}
	visit(compiler.GetRulesWithPrefix(root))
}

// refInputs returns the types a reference to input depends on; false when
// it cannot tell.
func refInputs(r ast.Ref) ([]string, bool) {
	str := func(i int) (string, bool) {
		if len(r) <= i {
			return "", false
		}
		s, ok := r[i].Value.(ast.String)
		return string(s), ok
	}
	top, ok := str(1)
	if !ok {
		return nil, false
	}
	switch top {
	case "resources":
		key, ok := str(2)
		if !ok {
			return nil, false
		}
		return []string{key}, true
	case "facts":
		part, ok := str(2)
		if !ok {
			return nil, false
		}
		if sub, ok := str(3); ok {
			if keys, ok := factInputs[part+"."+sub]; ok {
				return keys, true
			}
		}
		if part == "location" {
			var out []string
			for _, p := range locationParts {
				out = append(out, factInputs[p]...)
			}
			return out, true
		}
		keys, ok := factInputs[part]
		return keys, ok
	case "meta", "coverage":
		return nil, true
	}
	return nil, false // input.other, or something new
}
