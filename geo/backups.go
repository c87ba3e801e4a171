package geo

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/tilsyn/tilsyn/collect"
)

// Backup is where a Velero BackupStorageLocation or VolumeSnapshotLocation
// keeps data, who holds it, and how it is protected: a row of the report's
// inventory.backups.
type Backup struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Provider is spec.provider as written (aws, velero.io/gcp, ...).
	Provider string `json:"provider"`
	Bucket   string `json:"bucket,omitempty"`
	// Region is the region the configuration names (config.region, or
	// config.snapshotLocation for GCP snapshots), RegionField its path;
	// both empty when none is named.
	Region      string `json:"region,omitempty"`
	RegionField string `json:"regionField,omitempty"`
	// URL is config.s3Url; URLScheme and URLHost its parts.
	URL       string `json:"url,omitempty"`
	URLScheme string `json:"urlScheme,omitempty"`
	URLHost   string `json:"urlHost,omitempty"`
	// InCluster: the URL is a Service of the cluster itself.
	InCluster bool `json:"inCluster"`
	// Country is where the data is ("unknown" when nothing says), and
	// CountrySource the evidence: the region field, a region in the URL's
	// host, or the profile's transfer destinations.
	Country       string `json:"country"`
	CountrySource string `json:"countrySource,omitempty"`
	Allowed       bool   `json:"allowed"`
	// InsecureSkipTLSVerify is config.insecureSkipTLSVerify as written.
	InsecureSkipTLSVerify string     `json:"insecureSkipTLSVerify,omitempty"`
	Encryption            Encryption `json:"encryption"`
	// Holder is the provider whose infrastructure holds the data: the
	// provider of the URL's domain, or the plugin's cloud when there is no
	// URL; unknown for other S3-compatible endpoints.
	Holder Jurisdiction `json:"holder"`
}

// Encryption is a backup location's encryption configuration.
type Encryption struct {
	// CustomerKey: config.customerKeyEncryptionFile is set — the exporter
	// holds the key (SSE-C).
	CustomerKey bool `json:"customerKey"`
	// KMSKeyID and ServerSideEncryption are provider-managed encryption:
	// the provider holds the keys.
	KMSKeyID             string `json:"kmsKeyId,omitempty"`
	ServerSideEncryption string `json:"serverSideEncryption,omitempty"`
}

// veleroProviders maps Velero plugin names to provider table keys.
var veleroProviders = map[string]string{"aws": "aws", "gcp": "gce", "azure": "azure"}

// Backups derives the facts of every BackupStorageLocation and
// VolumeSnapshotLocation.
func Backups(s *collect.Snapshot, r *Resolver, clusterDomain string) []Backup {
	var out []Backup
	for _, k := range []struct{ key, kind string }{
		{collect.BackupStorageLocations, "BackupStorageLocation"},
		{collect.VolumeSnapshotLocations, "VolumeSnapshotLocation"},
	} {
		for _, o := range s.Resources[k.key] {
			out = append(out, backup(o, k.kind, r, clusterDomain))
		}
	}
	return out
}

func backup(o collect.Object, kind string, r *Resolver, clusterDomain string) Backup {
	m := collect.Meta(o)
	cfg := collect.Map(o, "spec", "config")
	b := Backup{Kind: kind, Namespace: m.Namespace, Name: m.Name, Provider: collect.Str(o, "spec", "provider"),
		Bucket: collect.Str(o, "spec", "objectStorage", "bucket"), Country: Unknown,
		InsecureSkipTLSVerify: scalar(cfg["insecureSkipTLSVerify"]),
		Encryption: Encryption{CustomerKey: scalar(cfg["customerKeyEncryptionFile"]) != "",
			KMSKeyID: scalar(cfg["kmsKeyId"]), ServerSideEncryption: scalar(cfg["serverSideEncryption"])}}
	plugin := veleroProviders[strings.TrimPrefix(strings.ToLower(b.Provider), "velero.io/")]
	for _, f := range []string{"region", "snapshotLocation"} {
		if v := scalar(cfg[f]); v != "" {
			b.Region, b.RegionField = v, "spec.config."+f
			break
		}
	}
	holder := plugin
	if b.URL = scalar(cfg["s3Url"]); b.URL != "" {
		holder = ""
		if u, err := url.Parse(b.URL); err == nil {
			b.URLScheme, b.URLHost = strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
		}
		b.InCluster = inCluster(b.URLHost, clusterDomain)
		if p := r.HostProvider(b.URLHost); p != "" {
			holder = p
		}
	}
	if holder != "" {
		b.Holder = r.Jurisdiction(holder)
	} else {
		b.Holder = Jurisdiction{Headquarters: Unknown}
	}
	switch {
	case b.Region != "":
		pl := r.Zone(b.Region, plugin)
		b.Country, b.CountrySource = pl.Country, b.RegionField
	case b.InCluster:
		b.CountrySource = "spec.config.s3Url (a Service of this cluster: the data stays on the cluster's own volumes)"
	case b.URLHost != "":
		if pl := r.RegionInHost(b.URLHost, holder); pl.Known() {
			b.Country, b.CountrySource = pl.Country, "spec.config.s3Url (region "+pl.Region+" in the host name)"
		} else if c, entry, ok := r.Destination(b.URLHost); ok {
			b.Country, b.CountrySource = c, "profile spec.transfers.destinations["+entry+"]"
		}
	}
	b.Allowed = r.Allowed(b.Country)
	return b
}

// inCluster reports whether a host names a Service of the cluster.
func inCluster(host, domain string) bool {
	if host == "" {
		return false
	}
	return !strings.Contains(host, ".") || strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".svc."+domain)
}

// scalar renders a config value (Velero's config is a string map, but
// manifests often hold booleans) as a string.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	default:
		return fmt.Sprint(x)
	}
}
