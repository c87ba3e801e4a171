package report

import (
	"fmt"

	"github.com/tilsyn/tilsyn/geo"
	"github.com/tilsyn/tilsyn/mesh"
	"github.com/tilsyn/tilsyn/transfer"
	"github.com/tilsyn/tilsyn/waiver"
)

// The inventories and waivers of norwegianReport: long host and volume
// names, an owner-declared basis, a London volume, an on-premises node
// and Norwegian text in a waiver.

const waiverJustification = "Standardkontraktsklausuler signert 2026-03-01; vurdering av overføringen TIA-7 godkjent for Tromsø-kontoret (æøå ÆØÅ é)"

func fixtureTransfers() []transfer.Destination {
	return []transfer.Destination{
		{Source: transfer.Resource{Kind: "ServiceEntry", Namespace: "betaling", Name: "kortinnløser"}, Field: "spec.hosts[0]",
			Host: "api.eu-west.payments.card-acquirer-with-a-rather-long-hostname.example.com", Port: 443, Protocol: "HTTPS",
			TLS: mesh.ClientTLS{Mode: "PLAINTEXT"}, Encrypted: true, Country: "US", CountrySource: "profile spec.transfers.destinations[*.example.com]",
			Basis:        &transfer.Basis{Value: "scc", Valid: true, DeclaredBy: transfer.DeclaredByOwner, Field: "metadata.annotations[tilsyn.io/transfer-basis]"},
			PersonalData: true},
		{Source: transfer.Resource{Kind: "ServiceEntry", Namespace: "hovedbok", Name: "oppgjørsbank"}, Field: "spec.hosts[0]",
			Host: "api.oppgjorsbank.example", Port: 80, Protocol: "HTTP", TLSOrigination: true, Encrypted: true,
			TLS:     mesh.ClientTLS{Mode: "SIMPLE", Rule: "hovedbok/oppgjørsbank", Field: "spec.trafficPolicy.tls"},
			Country: "NO", CountrySource: "metadata.annotations[tilsyn.io/destination-country] (declared by the resource owner)",
			Allowed: true, PersonalData: true},
		{Source: transfer.Resource{Kind: "ConfigMap", Namespace: "istio-system", Name: "istio"}, Field: "mesh.extensionProviders[0].opentelemetry.service",
			Host: "otel.sporing.example", Port: 4317, Protocol: "opentelemetry", TLS: mesh.ClientTLS{Mode: "PLAINTEXT"},
			Country: geo.Unknown, Basis: &transfer.Basis{Value: "kontrakt", DeclaredBy: transfer.DeclaredByOwner, Field: "metadata.annotations[tilsyn.io/transfer-basis]"},
			PersonalData: true},
	}
}

func fixtureStorage() []geo.Volume {
	return []geo.Volume{
		{Name: "pvc-2b8d4f6a-1c3e-4a5b-8d7f-9e0a1b2c3d4e", Claim: geo.ObjectRef{Namespace: "hovedbok", Name: "data-hovedbok-db-0"},
			StorageClass: "gp3-london", Size: "200Gi",
			Evidence: []geo.Evidence{{Field: "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]",
				Key: "topology.ebs.csi.aws.com/zone", Value: "eu-west-2a", Region: "eu-west-2", Country: "GB"}},
			Countries: []string{"GB"}},
		{Name: "lokal-disk-tromsø-01", Claim: geo.ObjectRef{Namespace: "betaling", Name: "kø-data"}, Size: "50Gi", Evidence: []geo.Evidence{}, Countries: []string{}},
	}
}

func fixtureNodes() []geo.Node {
	aws := geo.Jurisdiction{Provider: "aws", Name: "Amazon Web Services", Headquarters: "US"}
	return []geo.Node{
		{Name: "ip-10-0-16-4.eu-north-1.compute.internal", Region: geo.Place{Value: "eu-north-1", Region: "eu-north-1", Group: "aws", Country: "SE"},
			RegionField: "metadata.labels[topology.kubernetes.io/region]", Zone: "eu-north-1a", ZoneField: "metadata.labels[topology.kubernetes.io/zone]",
			Country: "SE", Allowed: true, ProviderID: geo.ProviderID{Raw: "aws:///eu-north-1a/i-0a3c", Scheme: "aws", Zone: "eu-north-1a"}, Provider: aws},
		{Name: "ip-10-2-3-21.eu-west-2.compute.internal", Region: geo.Place{Value: "eu-west-2", Region: "eu-west-2", Group: "aws", Country: "GB"},
			RegionField: "metadata.labels[topology.kubernetes.io/region]", Zone: "eu-west-2a", ZoneField: "metadata.labels[topology.kubernetes.io/zone]",
			Country: "GB", ProviderID: geo.ProviderID{Raw: "aws:///eu-north-1a/i-0c5e", Scheme: "aws", Zone: "eu-north-1a"},
			ProviderRegion: &geo.Place{Value: "eu-north-1a", Region: "eu-north-1", Group: "aws", Country: "SE"}, Provider: aws},
		{Name: "oslo-bm-01", Region: geo.Place{Value: "oslo-1", Region: "oslo-1", Group: "onprem", Country: "NO"},
			RegionField: "metadata.labels[topology.kubernetes.io/region]", Zone: "oslo-1-rack3", ZoneField: "metadata.labels[topology.kubernetes.io/zone]",
			Country: "NO", Allowed: true, Provider: geo.Jurisdiction{Provider: geo.OnPremises, Name: "Nordisk Drift AS, Tromsø", Headquarters: "NO", Allowed: true}},
		{Name: "node-uten-etiketter", Region: geo.Place{Country: geo.Unknown}, Country: geo.Unknown, Provider: geo.Jurisdiction{Headquarters: geo.Unknown}},
	}
}

func fixtureBackups() []geo.Backup {
	return []geo.Backup{
		{Kind: "VolumeSnapshotLocation", Namespace: "velero", Name: "aws-london", Provider: "aws", Region: "eu-west-2",
			RegionField: "spec.config.region", Country: "GB", CountrySource: "spec.config.region",
			Holder: geo.Jurisdiction{Provider: "aws", Name: "Amazon Web Services", Headquarters: "US"}},
	}
}

func fixtureWaivers() []waiver.Entry {
	return []waiver.Entry{
		{Ref: "W-2026-007", Waiver: waiver.Waiver{ID: "W-2026-007", Control: "EGR-02",
			Resources:     []waiver.Resource{{Kind: "ServiceEntry", Namespace: "betaling", Name: "kortinnløser"}},
			Justification: waiverJustification, ApprovedBy: "Åse Ødegård, personvernombud", Expires: "2027-03-31"},
			Status: waiver.Active, Matched: 1},
		{Ref: "W-2025-019", Waiver: waiver.Waiver{ID: "W-2025-019", Control: "MESH-02",
			Resources:     []waiver.Resource{{Kind: "Deployment", Namespace: "betaling", Selector: "app=betalings-api"}},
			Justification: "Migrering til STRICT innen utgangen av oktober.", ApprovedBy: "Åse Ødegård, personvernombud", Expires: "2026-10-31"},
			Status: waiver.Expired},
		{Ref: "waivers[2]", Waiver: waiver.Waiver{Control: "NO-01", Resources: []waiver.Resource{{Kind: "Namespace", Name: "hovedbok"}},
			Justification: "Behandlingsansvarlig utnevnes i desember.", Expires: "2027-01-31"},
			Status:   waiver.Incomplete,
			Problems: []waiver.Problem{{Field: "waivers[2].approvedBy", Message: "missing: who approved the waiver"}}},
	}
}

// manyInventories fills every inventory with n rows over groups
// namespaces (regions for nodes).
func manyInventories(r *Report, n, groups int) {
	r.Inventory.Transfers, r.Inventory.Storage, r.Inventory.Nodes = nil, nil, nil
	for i := range n {
		ns := fmt.Sprintf("ns-%03d", i%groups)
		r.Inventory.Transfers = append(r.Inventory.Transfers, transfer.Destination{
			Source: transfer.Resource{Kind: "ServiceEntry", Namespace: ns, Name: fmt.Sprintf("se-%05d", i)},
			Host:   fmt.Sprintf("host-%05d.example", i), Port: 443, Protocol: "HTTPS", Encrypted: true,
			Country: []string{"NO", "US", geo.Unknown}[i%3], Allowed: i%3 == 0})
		r.Inventory.Storage = append(r.Inventory.Storage, geo.Volume{Name: fmt.Sprintf("pvc-%05d", i),
			Claim: geo.ObjectRef{Namespace: ns, Name: fmt.Sprintf("data-%05d", i)}, Countries: []string{"SE"}, Allowed: true})
		region := fmt.Sprintf("region-%03d", i%groups)
		r.Inventory.Nodes = append(r.Inventory.Nodes, geo.Node{Name: fmt.Sprintf("node-%05d", i),
			Region: geo.Place{Value: region, Region: region, Country: "SE"}, Country: "SE", Allowed: true})
	}
}
