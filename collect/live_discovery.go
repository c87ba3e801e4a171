package collect

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// served says, for one registered type, which version the cluster serves
// it at, or why it cannot be collected.
type served struct {
	t       ResourceType
	version string         // empty when not collectable
	status  CoverageStatus // Absent or Failed when version is empty
	reason  string
}

// apiVersion is the apiVersion of the objects as listed.
func (s served) apiVersion() string {
	if s.t.Group == "" {
		return s.version
	}
	return s.t.Group + "/" + s.version
}

// resolveServed asks discovery which registered types the cluster serves,
// preferring the registry's version, then the group's preferred version,
// then any version that has the resource.
func resolveServed(dc discovery.DiscoveryInterface) ([]served, error) {
	groups, lists, err := dc.ServerGroupsAndResources()
	failed := map[string]error{} // group -> discovery error
	if err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gdf) {
			return nil, err
		}
		for gv, e := range gdf.Groups {
			failed[gv.Group] = e
		}
	}
	resources := map[string]map[string]bool{} // "group/version" -> resource names
	for _, l := range lists {
		m := map[string]bool{}
		for _, r := range l.APIResources {
			if !strings.Contains(r.Name, "/") && slices.Contains(r.Verbs, "list") {
				m[r.Name] = true
			}
		}
		resources[l.GroupVersion] = m
	}
	versions := map[string][]string{} // group -> versions, preferred first
	for _, g := range groups {
		vs := []string{g.PreferredVersion.Version}
		for _, v := range g.Versions {
			if v.Version != g.PreferredVersion.Version {
				vs = append(vs, v.Version)
			}
		}
		versions[g.Name] = vs
	}
	out := make([]served, 0, len(Registry))
	for _, t := range Registry {
		s := served{t: t}
		gv := func(v string) string { return schema.GroupVersion{Group: t.Group, Version: v}.String() }
		for _, v := range append([]string{t.Version}, versions[t.Group]...) {
			if resources[gv(v)][t.Key] {
				s.version = v
				break
			}
		}
		if s.version == "" {
			switch e, ok := failed[t.Group]; {
			case ok:
				s.status, s.reason = Failed, fmt.Sprintf("discovery of API group %s failed: %v", groupName(t.Group), e)
			case len(versions[t.Group]) == 0:
				s.status, s.reason = Absent, fmt.Sprintf("API group %s is not served by the cluster (its CustomResourceDefinitions are not installed)", groupName(t.Group))
			default:
				vs := append([]string(nil), versions[t.Group]...)
				sort.Strings(vs)
				s.status, s.reason = Absent, fmt.Sprintf("resource %s is not served in API group %s (versions %s)", t.Key, groupName(t.Group), strings.Join(vs, ", "))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func groupName(g string) string {
	if g == "" {
		return "core"
	}
	return g
}

// serverVersion returns the cluster's version string.
func serverVersion(dc discovery.DiscoveryInterface) (string, error) {
	v, err := dc.ServerVersion()
	if err != nil {
		return "", err
	}
	return v.GitVersion, nil
}
