# METADATA
# title: Egress is limited to registered destinations
# description: >-
#   With meshConfig.outboundTrafficPolicy.mode ALLOW_ANY (istiod's default
#   when unset), a sidecar forwards traffic to any host on the internet, so
#   the ServiceEntries are no record of where personal data can go.
#   REGISTRY_ONLY limits egress to known destinations. A Sidecar resource in
#   the root or a personal-data namespace can set ALLOW_ANY again.
# custom:
#   id: EGR-01
#   severity: high
#   articles: ["25(1)", "30(1)(e)", "44"]
#   references:
#   - "Istio MeshConfig.OutboundTrafficPolicy"
#   - "EDPB Guidelines 05/2021 on the interplay between Art. 3 and Chapter V (what is a transfer)"
#   - "Datatilsynet: transfers of personal data out of the EEA"
#   remediation: |
#     Allow egress only to registered hosts (mesh config, key mesh):
#       outboundTrafficPolicy:
#         mode: REGISTRY_ONLY
#     and declare each external destination as a ServiceEntry.
#   requires: [configmaps, sidecars]
package tilsyn.controls.egr_01

import data.tilsyn.lib
import rego.v1

mode := object.get(lib.mesh_config, ["outboundTrafficPolicy", "mode"], "ALLOW_ANY")

findings contains f if {
	mode == "ALLOW_ANY"
	f := {
		"resource": lib.mesh_config_resource,
		"field": "meshConfig.outboundTrafficPolicy.mode",
		"value": value,
		"message": sprintf("%s: sidecars pass traffic to any external host, registered or not", [why]),
	}
}

value := lib.mesh_config.outboundTrafficPolicy.mode

value := "(unset: ALLOW_ANY)" if not lib.mesh_config.outboundTrafficPolicy.mode

why := "the mesh config allows ALLOW_ANY egress" if lib.mesh_config_found

why := "no mesh ConfigMap (istio) was found, so istiod's default ALLOW_ANY applies" if not lib.mesh_config_found

findings contains f if {
	some sc in input.resources.sidecars
	ns := sc.metadata.namespace
	applies(ns)
	sc.spec.outboundTrafficPolicy.mode == "ALLOW_ANY"
	f := {
		"resource": lib.object_resource(sc),
		"field": "spec.outboundTrafficPolicy.mode",
		"value": "ALLOW_ANY",
		"message": sprintf("Sidecar %s/%s lets %s pass traffic to any external host", [ns, sc.metadata.name, scope(sc)]),
	}
}

applies(ns) if lib.in_scope(ns)

applies(ns) if ns == input.facts.mesh.rootNamespace

scope(sc) := "every workload of the mesh" if {
	sc.metadata.namespace == input.facts.mesh.rootNamespace
	not sc.spec.workloadSelector
}

scope(sc) := sprintf("workloads in %s", [sc.metadata.namespace]) if {
	sc.metadata.namespace != input.facts.mesh.rootNamespace
	not sc.spec.workloadSelector
}

scope(sc) := sprintf("workloads selected by %v", [sc.spec.workloadSelector.labels]) if sc.spec.workloadSelector
