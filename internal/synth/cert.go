package synth

import (
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"math/rand/v2"
	"sync"
	"time"
)

// rootCertPEM is the istiod self-signed root certificate published in the
// ConfigMap istio-ca-root-cert: a real, parseable X.509 certificate with a
// 2048-bit RSA key (istiod's default for its self-signed CA), valid for ten
// years from the cluster's base time.
//
// crypto/rsa.GenerateKey ignores its random source since Go 1.26, so the key
// is built from primes found with a seeded generator instead; PKCS #1 v1.5
// signatures are deterministic, so the certificate bytes are the same in
// every process. It is computed once, on first use.
var rootCertPEM = sync.OnceValue(func() string {
	rng := rand.New(rand.NewPCG(0x697374696f, 0x63612d726f6f74)) // "istio", "ca-root"
	const e = 65537
	var p, q *big.Int
	for {
		p, q = prime(rng, 1024, e), prime(rng, 1024, e)
		if p.Cmp(q) != 0 {
			break
		}
	}
	one := big.NewInt(1)
	phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: e},
		D:         new(big.Int).ModInverse(big.NewInt(e), phi),
		Primes:    []*big.Int{p, q},
	}
	key.Precompute()
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetUint64(rng.Uint64()),
		Subject:               pkix.Name{Organization: []string{"cluster.local"}},
		NotBefore:             base.Add(-time.Minute),
		NotAfter:              base.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(prngReader{rng}, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		// Cannot happen with a valid key; a placeholder keeps the output
		// well formed and makes the failure visible to the certificate check.
		return "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
})

// prime returns a random prime of exactly bits bits, with the top two bits
// set (so that the product of two has 2*bits bits) and p-1 coprime to e.
func prime(rng *rand.Rand, bits int, e int64) *big.Int {
	buf := make([]byte, bits/8)
	prngReader{rng}.Read(buf)
	buf[0] |= 0xc0
	buf[len(buf)-1] |= 1
	p := new(big.Int).SetBytes(buf)
	two, be, r := big.NewInt(2), big.NewInt(e), new(big.Int)
	for {
		if r.Mod(p, be).Int64() != 1 && p.ProbablyPrime(20) {
			return p
		}
		p.Add(p, two)
	}
}

// prngReader reads bytes from a seeded generator.
type prngReader struct{ rng *rand.Rand }

func (r prngReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(r.rng.Uint32())
	}
	return len(b), nil
}
