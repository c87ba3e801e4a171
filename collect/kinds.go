package collect

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/agnivade/levenshtein"
	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	"k8s.io/client-go/kubernetes/scheme"
)

// knownKinds maps every API group whose kinds tilsyn knows completely (the
// built-in Kubernetes groups and Istio's) to its kinds. A kind outside its
// group's list is a mistake the API server would reject ("no matches for
// kind"), not a custom resource to keep.
var knownKinds = sync.OnceValue(func() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	add := func(group, kind string) {
		if out[group] == nil {
			out[group] = map[string]bool{}
		}
		out[group][kind] = true
	}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		add(gvk.Group, gvk.Kind)
	}
	for gvk := range istioscheme.Scheme.AllKnownTypes() {
		add(gvk.Group, gvk.Kind)
	}
	// Kinds that exist only as API conventions rather than registered types.
	add("", "List")
	return out
})

// checkKind rejects a kind that does not exist in a group tilsyn knows,
// suggesting the closest real one. Kinds of other groups pass: they are
// custom resources, kept and counted.
func checkKind(apiVersion, kind string) error {
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	kinds, ok := knownKinds()[group]
	if !ok || kinds[kind] {
		return nil
	}
	best, bestDist := "", 1<<30
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if d := levenshtein.ComputeDistance(strings.ToLower(k), strings.ToLower(kind)); d < bestDist {
			best, bestDist = k, d
		}
	}
	msg := fmt.Sprintf("unknown kind %q in %s", kind, apiVersion)
	if bestDist <= 3 {
		msg += fmt.Sprintf(" (did you mean %s?)", best)
	}
	return fmt.Errorf("%s", msg)
}
