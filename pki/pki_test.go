package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/tilsyn/tilsyn/collect"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// cert creates a certificate signed by parent (self-signed when nil).
func cert(t *testing.T, key crypto.Signer, cn string, days int, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, []byte) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(cn))), Subject: pkix.Name{CommonName: cn, Organization: []string{"cluster.local"}},
		NotBefore: t0, NotAfter: t0.AddDate(0, 0, days), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestParse(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)

	root, rootPEM := cert(t, rsaKey, "root", 3650, nil, nil)
	_, interPEM := cert(t, ecKey, "intermediate", 365, root, rsaKey)
	_, edPEM := cert(t, edKey, "ed", 30, nil, nil)

	// Text around the blocks (comments in a bundle) is ignored, as by Go and Envoy.
	certs, err := Parse(append(append([]byte("# bundle\n"), interPEM...), rootPEM...))
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("%d certificates, want 2", len(certs))
	}
	in, r := certs[0], certs[1]
	if r.KeyAlgorithm != "RSA" || r.KeyBits != 2048 || !r.SelfSigned || r.ValidityDays != 3650 || !r.NotAfter.Equal(t0.AddDate(0, 0, 3650)) {
		t.Errorf("root = %+v", r)
	}
	if r.NotAfterNs != t0.AddDate(0, 0, 3650).UnixNano() || len(r.SHA256) != 64 || !strings.Contains(r.Subject, "CN=root") {
		t.Errorf("root = %+v", r)
	}
	if in.KeyAlgorithm != "ECDSA" || in.KeyBits != 384 || in.SelfSigned || !strings.Contains(in.Issuer, "CN=root") {
		t.Errorf("intermediate = %+v", in)
	}
	ed, err := Parse(edPEM)
	if err != nil || ed[0].KeyAlgorithm != "Ed25519" || ed[0].KeyBits != 256 || !ed[0].SelfSigned {
		t.Errorf("ed25519 = %+v, %v", ed, err)
	}
	for name, bad := range map[string]string{
		"empty":        "",
		"not PEM":      "hello",
		"no cert":      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"garbage cert": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func configMap(ns, data string) collect.Object {
	return collect.Object{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": RootCertConfigMap, "namespace": ns},
		"data":     map[string]any{RootCertKey: data}}
}

func TestRootBundlesAndSecrets(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, good := cert(t, key, "root", 365, nil, nil)
	s := collect.New(collect.Source{Type: "manifests"}, t0)
	s.Resources[collect.ConfigMaps] = []collect.Object{
		configMap("apps", string(good)), configMap("istio-system", string(good)), configMap("other", string(good)),
		configMap("broken", "garbage"),
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "unrelated", "namespace": "apps"}},
	}
	s.Resources[collect.Secrets] = []collect.Object{
		{"metadata": map[string]any{"name": SelfSignedSecret, "namespace": "istio-system"}},
		{"metadata": map[string]any{"name": PluggedInSecret, "namespace": "istio-other"}},
		{"metadata": map[string]any{"name": "db-password", "namespace": "istio-system"}},
	}
	bundles := RootBundles(s, "istio-system")
	if len(bundles) != 2 {
		t.Fatalf("%d bundles, want 2 (one per distinct content): %+v", len(bundles), bundles)
	}
	broken, ok := bundles[0], bundles[1]
	if broken.ConfigMap.Namespace != "broken" || broken.Error == "" || !strings.Contains(broken.Error, "data[root-cert.pem]") {
		t.Errorf("broken = %+v", broken)
	}
	if ok.ConfigMap.Namespace != "istio-system" || ok.Copies != 3 || len(ok.Certificates) != 1 || ok.Certificates[0].KeyBits != 256 {
		t.Errorf("bundle = %+v; the CA namespace's copy is the one named", ok)
	}
	sec := FindCASecrets(s)
	if !sec["istio-system"].SelfSigned || sec["istio-system"].PluggedIn || !sec["istio-other"].PluggedIn || len(sec) != 2 {
		t.Errorf("CA secrets = %+v", sec)
	}
}
