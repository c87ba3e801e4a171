package signature

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func key(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestSignVerify(t *testing.T) {
	pub, priv := key(t)
	data := []byte(`{"kind": "AuditReport", "note": "Tromsø"}` + "\n")
	sig, err := Sign(priv, "tilsyn-report.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pub, sig, data); err != nil {
		t.Fatalf("a fresh signature does not verify: %v", err)
	}

	// The format is what the package documents: Ed25519 over the context
	// and the raw SHA-256 of the file.
	var s Signature
	if err := json.Unmarshal(sig, &s); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	raw, _ := base64.StdEncoding.DecodeString(s.Signature)
	if !ed25519.Verify(pub, append([]byte(Context), sum[:]...), raw) || s.File != "tilsyn-report.json" || s.KeyID != KeyID(pub) {
		t.Errorf("the signature file does not follow the documented format: %s", sig)
	}

	other, _ := key(t)
	cases := []struct {
		name    string
		pub     ed25519.PublicKey
		sig     []byte
		data    []byte
		wantErr error
		wantMsg string
	}{
		{"modified file", pub, sig, append(bytes.Clone(data[:len(data)-2]), '!', '\n'), ErrFileChanged, "changed after it was signed"},
		{"another key", other, sig, data, ErrWrongKey, "the signature names key"},
		{"forged digest", pub, bytes.Replace(sig, []byte(s.SHA256), []byte(strings.Repeat("0", 64)), 1), data, ErrFileChanged, "the signature is of 0000"},
		{"altered signature", pub, bytes.Replace(sig, []byte(s.Signature[:8]), []byte("AAAAAAAA"), 1), data, ErrBadSig, "does not verify"},
		{"not a signature", pub, []byte("hello"), data, nil, "not a tilsyn signature file"},
		{"other algorithm", pub, bytes.Replace(sig, []byte(`"Ed25519"`), []byte(`"RSA"`), 1), data, nil, "only Ed25519"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.pub, c.sig, c.data)
			if err == nil {
				t.Fatal("verified")
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("err = %v, want %v", err, c.wantErr)
			}
			if !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, c.wantMsg)
			}
		})
	}
}

func TestKeyFiles(t *testing.T) {
	pub, priv := key(t)
	dir := filepath.Join(t.TempDir(), "keys")
	privPath, pubPath := filepath.Join(dir, "audit.key"), filepath.Join(dir, "audit.pub")
	if err := WriteKeyPair(privPath, pubPath, pub, priv, false); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(privPath)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("private key mode %o, want 600", mode)
	}
	gotPriv, err := ReadPrivateKey(privPath)
	if err != nil || !gotPriv.Equal(priv) {
		t.Errorf("private key round trip: %v", err)
	}
	gotPub, err := ReadPublicKey(pubPath)
	if err != nil || !gotPub.Equal(pub) {
		t.Errorf("public key round trip: %v", err)
	}
	if err := WriteKeyPair(privPath, pubPath, pub, priv, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwriting a key pair: %v, want a refusal naming --force", err)
	}
	if err := WriteKeyPair(privPath, pubPath, pub, priv, true); err != nil {
		t.Errorf("--force: %v", err)
	}
	if _, err := ReadPrivateKey(pubPath); err == nil || !strings.Contains(err.Error(), "this is a public key") {
		t.Errorf("a public key as private key: %v", err)
	}
	if _, err := ReadPublicKey(privPath); err == nil || !strings.Contains(err.Error(), "this is a private key") {
		t.Errorf("a private key as public key: %v", err)
	}
	if _, err := ParsePublicKey("x.pub", []byte("not pem")); err == nil || !strings.Contains(err.Error(), "not a PEM file") {
		t.Errorf("garbage as public key: %v", err)
	}
}
