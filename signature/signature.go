// Package signature makes and checks detached Ed25519 signatures of
// evidence files, and reads and writes the keys.
//
// A signature file (tilsyn-report.json.sig) is a JSON document:
//
//	{
//	  "apiVersion": "tilsyn.io/v1",
//	  "kind": "DetachedSignature",
//	  "algorithm": "Ed25519",
//	  "keyID": "<16 hex digits>",
//	  "file": "tilsyn-report.json",
//	  "sha256": "<64 hex digits>",
//	  "signature": "<base64, 64 bytes>"
//	}
//
// keyID is the first 16 hex digits of the SHA-256 of the raw 32-byte
// public key; sha256 is the digest of the signed file; signature is a pure
// Ed25519 (RFC 8032) signature over the message Context followed by the
// 32 raw bytes of that digest. file is informational: a renamed file still
// verifies. Keys are PEM files: the private key PKCS #8 ("PRIVATE KEY"),
// the public key PKIX ("PUBLIC KEY"), as OpenSSL writes them.
package signature

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Signature file identifiers.
const (
	APIVersion = "tilsyn.io/v1"
	Kind       = "DetachedSignature"
	Algorithm  = "Ed25519"
	// Context is prefixed to the file digest before signing, so that a
	// tilsyn signature cannot be mistaken for a signature of anything else.
	Context = "tilsyn.io/v1 detached-signature\n"
	// Ext is appended to a file's name to name its signature file.
	Ext = ".sig"
)

// Signature is a detached signature of one file.
type Signature struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Algorithm  string `json:"algorithm"`
	KeyID      string `json:"keyID"`
	File       string `json:"file"`
	SHA256     string `json:"sha256"`
	Signature  string `json:"signature"`
}

// KeyID identifies a public key: the first 16 hex digits of the SHA-256 of
// its 32 raw bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

func message(digest []byte) []byte {
	return append([]byte(Context), digest...)
}

// Sign signs data (the contents of the file called name) and returns the
// signature file's bytes.
func Sign(key ed25519.PrivateKey, name string, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	sig := Signature{
		APIVersion: APIVersion,
		Kind:       Kind,
		Algorithm:  Algorithm,
		KeyID:      KeyID(key.Public().(ed25519.PublicKey)),
		File:       name,
		SHA256:     hex.EncodeToString(sum[:]),
		Signature:  base64.StdEncoding.EncodeToString(ed25519.Sign(key, message(sum[:]))),
	}
	out, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Parse decodes a signature file.
func Parse(sigData []byte) (*Signature, error) {
	var sig Signature
	dec := json.NewDecoder(bytes.NewReader(sigData))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sig); err != nil {
		return nil, fmt.Errorf("not a tilsyn signature file: %w", err)
	}
	if sig.APIVersion != APIVersion || sig.Kind != Kind {
		return nil, fmt.Errorf("not a tilsyn signature file: apiVersion %q kind %q, want %s %s", sig.APIVersion, sig.Kind, APIVersion, Kind)
	}
	if sig.Algorithm != Algorithm {
		return nil, fmt.Errorf("signature algorithm %q: only %s is supported", sig.Algorithm, Algorithm)
	}
	return &sig, nil
}

// Errors of Verify, for callers that explain them.
var (
	ErrWrongKey    = errors.New("signed with another key")
	ErrFileChanged = errors.New("the file changed after it was signed")
	ErrBadSig      = errors.New("the signature does not verify")
)

// Verify checks that sigData is a valid signature of data by pub.
func Verify(pub ed25519.PublicKey, sigData, data []byte) error {
	sig, err := Parse(sigData)
	if err != nil {
		return err
	}
	if id := KeyID(pub); sig.KeyID != id {
		return fmt.Errorf("%w: the signature names key %s, the given key is %s", ErrWrongKey, sig.KeyID, id)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("%w: the signature field is not a base64 Ed25519 signature", ErrBadSig)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != sig.SHA256 {
		return fmt.Errorf("%w: its SHA-256 is %s, the signature is of %s", ErrFileChanged, got, sig.SHA256)
	}
	if !ed25519.Verify(pub, message(sum[:]), raw) {
		return fmt.Errorf("%w: the signature file was altered or made with another key", ErrBadSig)
	}
	return nil
}
