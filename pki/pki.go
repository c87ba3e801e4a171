// Package pki reads the mesh's certificate authority evidence: the root
// certificate istiod publishes in the ConfigMap istio-ca-root-cert (parsed
// as X.509), and which CA Secrets exist — by name only, their contents are
// never read. It states facts; the limits are applied by the policies.
package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"sort"
	"time"

	"github.com/tilsyn/tilsyn/collect"
)

// Names of the objects the package reads.
const (
	RootCertConfigMap = "istio-ca-root-cert"
	RootCertKey       = "root-cert.pem"
	// SelfSignedSecret holds the key of istiod's self-signed CA;
	// PluggedInSecret holds an operator-provided intermediate CA.
	SelfSignedSecret = "istio-ca-secret"
	PluggedInSecret  = "cacerts"
)

// Certificate is what an audit needs to know of one X.509 certificate.
type Certificate struct {
	Subject      string    `json:"subject"`
	Issuer       string    `json:"issuer"`
	SerialNumber string    `json:"serialNumber"`
	NotBefore    time.Time `json:"notBefore"`
	NotAfter     time.Time `json:"notAfter"`
	// NotAfterNs is NotAfter in Unix nanoseconds, for comparisons.
	NotAfterNs int64 `json:"notAfterNs"`
	// ValidityDays is notAfter - notBefore in whole days.
	ValidityDays int `json:"validityDays"`
	// KeyAlgorithm is RSA, ECDSA, Ed25519 or the name Go gives others;
	// KeyBits the key size (the curve size for ECDSA).
	KeyAlgorithm string `json:"keyAlgorithm"`
	KeyBits      int    `json:"keyBits"`
	IsCA         bool   `json:"isCA"`
	SelfSigned   bool   `json:"selfSigned"`
	// SHA256 is the fingerprint of the DER encoding.
	SHA256 string `json:"sha256"`
}

// Parse reads every CERTIFICATE block of PEM data. Data with no
// certificate, or a block that does not parse, is an error.
func Parse(data []byte) ([]Certificate, error) {
	var out []Certificate
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("not PEM after %d certificate(s)", len(out))
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out)+1, err)
		}
		out = append(out, describe(c))
		rest = bytes.TrimSpace(rest)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no certificate found")
	}
	return out, nil
}

func describe(c *x509.Certificate) Certificate {
	sum := sha256.Sum256(c.Raw)
	out := Certificate{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), SerialNumber: c.SerialNumber.Text(16),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), NotAfterNs: c.NotAfter.UnixNano(),
		ValidityDays: int(c.NotAfter.Sub(c.NotBefore) / (24 * time.Hour)),
		IsCA:         c.IsCA, SHA256: hex.EncodeToString(sum[:]),
	}
	out.SelfSigned = bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		out.KeyAlgorithm, out.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		out.KeyAlgorithm, out.KeyBits = "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		out.KeyAlgorithm, out.KeyBits = "Ed25519", 256
	default:
		out.KeyAlgorithm = c.PublicKeyAlgorithm.String()
	}
	return out
}

// Ref names a namespaced object.
type Ref struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// RootBundle is one distinct root-cert.pem: istiod copies the same bundle
// into every namespace, so copies are counted rather than repeated.
type RootBundle struct {
	// ConfigMap is the copy findings name: the one in the CA's namespace
	// when present, else the first by namespace.
	ConfigMap Ref `json:"configMap"`
	Copies    int `json:"copies"`
	// Certificates are the bundle's certificates; Error says why it could
	// not be read (then Certificates is empty).
	Certificates []Certificate `json:"certificates"`
	Error        string        `json:"error,omitempty"`
}

// RootBundles parses every distinct istio-ca-root-cert bundle of a
// snapshot. caNamespace is where istiod runs (the mesh root namespace).
func RootBundles(s *collect.Snapshot, caNamespace string) []RootBundle {
	byContent := map[string]*RootBundle{}
	var order []string
	for _, cm := range s.Resources[collect.ConfigMaps] {
		m := collect.Meta(cm)
		if m.Name != RootCertConfigMap {
			continue
		}
		data := collect.Str(cm, "data", RootCertKey)
		b, ok := byContent[data]
		if !ok {
			b = &RootBundle{ConfigMap: Ref{m.Namespace, m.Name}, Certificates: []Certificate{}}
			if certs, err := Parse([]byte(data)); err != nil {
				b.Error = fmt.Sprintf("data[%s]: %v", RootCertKey, err)
			} else {
				b.Certificates = certs
			}
			byContent[data] = b
			order = append(order, data)
		}
		b.Copies++
		if m.Namespace == caNamespace {
			b.ConfigMap.Namespace = m.Namespace
		}
	}
	out := make([]RootBundle, 0, len(order))
	for _, k := range order {
		out = append(out, *byContent[k])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ConfigMap.Namespace < out[j].ConfigMap.Namespace })
	return out
}

// CASecrets says, per namespace holding either, whether the Secrets
// istio-ca-secret (istiod's self-signed CA) and cacerts (a plugged-in CA)
// exist. Only names are looked at.
type CASecrets map[string]CASecretNames

// CASecretNames records which CA Secrets a namespace holds.
type CASecretNames struct {
	SelfSigned bool `json:"istioCASecret"`
	PluggedIn  bool `json:"cacerts"`
}

// FindCASecrets lists the CA Secrets of a snapshot by name.
func FindCASecrets(s *collect.Snapshot) CASecrets {
	out := CASecrets{}
	for _, sec := range s.Resources[collect.Secrets] {
		m := collect.Meta(sec)
		switch m.Name {
		case SelfSignedSecret:
			n := out[m.Namespace]
			n.SelfSigned = true
			out[m.Namespace] = n
		case PluggedInSecret:
			n := out[m.Namespace]
			n.PluggedIn = true
			out[m.Namespace] = n
		}
	}
	return out
}
