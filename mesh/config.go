// Package mesh reproduces istiod's decisions for an audit: which workloads
// run in the mesh, which PeerAuthentication decides the mTLS mode every
// workload and port accepts, and which DestinationRule a caller applies
// toward a service. The rules are those of ../shared/mesh-semantics.md
// (istiod's pilot/pkg/model/authentication.go, policy_applier.go,
// cluster_tls.go and the injection webhook); every claim the report makes
// about encryption in transit comes from here.
package mesh

import (
	"bytes"
	"encoding/json"
	"fmt"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/tilsyn/tilsyn/collect"
)

// Defaults istiod applies when the mesh config leaves a field unset.
const (
	DefaultRootNamespace = "istio-system"
	DefaultDomainSuffix  = "cluster.local"
)

// Config is the part of meshConfig the resolver needs, plus the whole of it
// as decoded, for policies.
type Config struct {
	// Source is "namespace/name" of the ConfigMap the config came from, or
	// "default" when no mesh ConfigMap was found.
	Source         string `json:"source"`
	RootNamespace  string `json:"rootNamespace"`
	EnableAutoMtls bool   `json:"enableAutoMtls"`
	DomainSuffix   string `json:"domainSuffix"`
	// DefaultDestinationRuleExportTo applies to DestinationRules without exportTo.
	DefaultDestinationRuleExportTo []string `json:"defaultDestinationRuleExportTo"`
	// Raw is meshConfig as written (YAML decoded to JSON values).
	Raw map[string]any `json:"raw"`
}

// ConfigFromSnapshot finds the mesh config: the ConfigMap "istio" (key
// "mesh") in istio-system, or else the only ConfigMap named "istio"
// anywhere. Without one, istiod's defaults apply. A mesh config that does
// not parse is an error naming the ConfigMap: istiod would refuse it too.
func ConfigFromSnapshot(s *collect.Snapshot) (Config, error) {
	var chosen collect.Object
	var candidates []collect.Object
	for _, cm := range s.Resources[collect.ConfigMaps] {
		m := nameMeta(cm)
		if m.Name != "istio" {
			continue
		}
		if m.Namespace == DefaultRootNamespace {
			chosen = cm
			break
		}
		candidates = append(candidates, cm)
	}
	if chosen == nil && len(candidates) == 1 {
		chosen = candidates[0]
	}
	if chosen == nil {
		return parseConfig("default", "")
	}
	m := nameMeta(chosen)
	return parseConfig(m.Namespace+"/"+m.Name, collect.Str(chosen, "data", "mesh"))
}

// configs remembers parsed mesh configs by source and text.
var configs = newMemo[Config](64)

func parseConfig(source, text string) (Config, error) {
	if text == "" {
		return readConfig(source, text)
	}
	return configs.get(source+"\x00"+text, func(string) (Config, error) { return readConfig(source, text) })
}

func readConfig(source, text string) (Config, error) {
	c := Config{
		Source:                         source,
		RootNamespace:                  DefaultRootNamespace,
		EnableAutoMtls:                 true,
		DomainSuffix:                   DefaultDomainSuffix,
		DefaultDestinationRuleExportTo: []string{"*"},
		Raw:                            map[string]any{},
	}
	if text == "" {
		return c, nil
	}
	js, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return c, fmt.Errorf("mesh config %s (data.mesh): invalid YAML: %w", source, err)
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return c, fmt.Errorf("mesh config %s (data.mesh): expected a mapping: %w", source, err)
	}
	if raw != nil {
		c.Raw = raw
	}
	// Decode with Istio's own types so that field values are interpreted
	// (and rejected) exactly as istiod does.
	var mc meshv1alpha1.MeshConfig
	if err := json.Unmarshal(js, &mc); err != nil {
		return c, fmt.Errorf("mesh config %s (data.mesh): %w", source, err)
	}
	if mc.RootNamespace != "" {
		c.RootNamespace = mc.RootNamespace
	}
	if mc.EnableAutoMtls != nil {
		c.EnableAutoMtls = mc.EnableAutoMtls.Value
	}
	if len(mc.DefaultDestinationRuleExportTo) > 0 {
		c.DefaultDestinationRuleExportTo = mc.DefaultDestinationRuleExportTo
	}
	return c, nil
}
