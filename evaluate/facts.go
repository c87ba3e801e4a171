package evaluate

import (
	"fmt"
	"strings"
	"time"

	"github.com/tilsyn/tilsyn/collect"
	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/pki"
	"github.com/tilsyn/tilsyn/transfer"
)

// Derived holds the facts derived in Go beyond the mesh's: where nodes,
// volumes and backups are, the mesh CA's certificates, and where data can
// leave the cluster. Policies see them under input.facts; the report's
// inventories are built from them.
type Derived struct {
	Location Location `json:"location"`
	PKI      PKI      `json:"pki"`
	// Transfers are the hosts and ports of MESH_EXTERNAL ServiceEntries.
	Transfers []transfer.Destination `json:"transfers"`
	// TelemetrySinks are the mesh's telemetry providers.
	TelemetrySinks []transfer.Sink `json:"telemetrySinks"`
	// PodSysctls are the securityContext.sysctls of personal-data
	// workloads that set any, keyed "namespace/Kind/name" (RES-02). They
	// are read here so that the policies need not convert every pod.
	PodSysctls map[string][]Sysctl `json:"podSysctls"`
	// NodeTuning holds the node agent's records that are evidence for
	// RES-01, and why the others are not (see NodeTuning).
	NodeTuning NodeTuning `json:"nodeTuning"`
}

// Sysctl is one entry of a pod's securityContext.sysctls.
type Sysctl struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Field is the entry's path within the workload's object.
	Field string `json:"field"`
}

// Location is input.facts.location.
type Location struct {
	Nodes []geo.Node `json:"nodes"`
	// NodeCountries counts nodes by country ("unknown" included).
	NodeCountries map[string]int `json:"nodeCountries"`
	Volumes       []geo.Volume   `json:"volumes"`
	// MissingVolumes are personal-data claims bound to volumes the
	// snapshot does not hold.
	MissingVolumes []geo.MissingVolume `json:"missingVolumes"`
	StorageClasses []geo.StorageClass  `json:"storageClasses"`
	// Placement holds the location pins of personal-data workloads that
	// have any, keyed "namespace/Kind/name".
	Placement map[string]geo.Placement `json:"placement"`
	Backups   []geo.Backup             `json:"backups"`
}

// PKI is input.facts.pki.
type PKI struct {
	// CANamespace is where istiod's CA runs (the mesh root namespace).
	CANamespace string           `json:"caNamespace"`
	RootCerts   []pki.RootBundle `json:"rootCerts"`
	CASecrets   pki.CASecrets    `json:"caSecrets"`
}

// Timing is the time one stage of an evaluation took.
type Timing struct {
	Stage    string
	Duration time.Duration
}

// derive computes the Go facts, recording how long each family took.
//
// need, when not nil, names the parts of input.facts to derive (location,
// pki, transfers, telemetrySinks, podSysctls, nodeTuning); the others are
// left empty.
//
// The parts of location are named location.<part> (location.nodes,
// location.placement, ...); need("location.<part>") is asked for each.
// known, when not nil, are the node facts of s's Nodes, already derived.
func derive(s *collect.Snapshot, m *mesh.Result, scope Scope, r *geo.Resolver, timings *[]Timing, need func(part string) bool,
	known *[]geo.Node) *Derived {
	if need == nil {
		need = func(string) bool { return true }
	}
	inScope := map[string]bool{}
	for _, ns := range scope.Namespaces {
		inScope[ns] = true
	}
	pd := func(ns string) bool { return inScope[ns] }
	d := &Derived{PodSysctls: map[string][]Sysctl{}}
	clock := time.Now()
	lap := func(stage string) {
		now := time.Now()
		*timings = append(*timings, Timing{stage, now.Sub(clock)})
		clock = now
	}

	var nodes []geo.Node
	loc := func(part string) bool { return need("location." + part) }
	if loc("nodes") || loc("nodeCountries") || loc("volumes") || loc("storageClasses") || loc("placement") || need("nodeTuning") {
		if known != nil {
			nodes = *known
		} else {
			nodes = geo.Nodes(s, r)
		}
	}
	if need("nodeTuning") {
		d.NodeTuning = nodeTuningFacts(s, nodes)
	}
	d.Location = Location{Nodes: nodes, NodeCountries: geo.CountryCounts(nodes), Placement: map[string]geo.Placement{}}
	if loc("volumes") {
		d.Location.Volumes = orEmpty(geo.Volumes(s, r, nodes, pd))
	}
	if loc("missingVolumes") {
		d.Location.MissingVolumes = geo.MissingVolumes(s, pd)
	}
	if loc("storageClasses") {
		d.Location.StorageClasses = geo.StorageClasses(s, r, nodes, pd)
	}
	if loc("backups") {
		d.Location.Backups = orEmpty(geo.Backups(s, r, m.Config.DomainSuffix))
	}
	placer := geo.NewPlacer(r, nodes)
	for _, w := range m.Workloads {
		if !loc("placement") && !need("podSysctls") {
			break
		}
		if !inScope[w.Namespace] {
			continue
		}
		objs := s.Resources[w.Ref.Resource]
		if w.Ref.Index >= len(objs) {
			continue
		}
		path := strings.Split(strings.TrimSuffix(w.TemplatePath+"spec", "."), ".")
		spec := collect.Map(objs[w.Ref.Index], path...)
		if spec == nil {
			continue
		}
		key := w.Namespace + "/" + w.Kind + "/" + w.Name
		if pl, ok := placer.Of(spec, w.TemplatePath+"spec"); ok && loc("placement") {
			d.Location.Placement[key] = pl
		}
		for i, x := range collect.List(spec, "securityContext", "sysctls") {
			xm, _ := x.(map[string]any)
			d.PodSysctls[key] = append(d.PodSysctls[key], Sysctl{Name: collect.Str(xm, "name"), Value: fmt.Sprint(xm["value"]),
				Field: fmt.Sprintf("%sspec.securityContext.sysctls[%d]", w.TemplatePath, i)})
		}
	}
	lap("facts: location, node records and pod settings (nodes, kernel settings, volumes, storage classes, placement, sysctls, backups)")

	if need("pki") {
		d.PKI = PKI{CANamespace: m.Config.RootNamespace, RootCerts: pki.RootBundles(s, m.Config.RootNamespace), CASecrets: pki.FindCASecrets(s)}
	}
	lap("facts: pki (root certificates, CA secrets)")

	var namespaces []string
	for _, o := range s.Resources[collect.Namespaces] {
		_, name := collect.NamespaceName(o)
		namespaces = append(namespaces, name)
	}
	opts := transfer.Options{Resolver: r, InScope: pd, Namespaces: append(namespaces, scope.Namespaces...)}
	if need("transfers") || need("telemetrySinks") {
		d.Transfers = orEmpty(transfer.Destinations(s, m, opts))
		d.TelemetrySinks = transfer.Sinks(s, m, d.Transfers, opts)
	}
	lap("facts: transfers (ServiceEntries, telemetry sinks)")
	return d
}

func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
