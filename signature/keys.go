package signature

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PEM block types of the key files.
const (
	privateBlock = "PRIVATE KEY"
	publicBlock  = "PUBLIC KEY"
)

// GenerateKey makes a key pair from rand (crypto/rand.Reader in use).
func GenerateKey(rand io.Reader) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(rand)
}

// EncodePrivateKey returns the PEM (PKCS #8) encoding of a private key.
func EncodePrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: privateBlock, Bytes: der}), nil
}

// EncodePublicKey returns the PEM (PKIX) encoding of a public key.
func EncodePublicKey(key ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: publicBlock, Bytes: der}), nil
}

// ParsePrivateKey decodes a PEM private key; name is used in errors.
func ParsePrivateKey(name string, data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	switch {
	case block == nil:
		return nil, fmt.Errorf("private key %s: not a PEM file", name)
	case block.Type == publicBlock:
		return nil, fmt.Errorf("private key %s: this is a public key; --sign needs the private key (tilsyn keygen writes both)", name)
	case block.Type != privateBlock:
		return nil, fmt.Errorf("private key %s: PEM block %q, want %q", name, block.Type, privateBlock)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", name, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key %s: a %T, want an Ed25519 key", name, k)
	}
	return ek, nil
}

// ParsePublicKey decodes a PEM public key; name is used in errors.
func ParsePublicKey(name string, data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	switch {
	case block == nil:
		return nil, fmt.Errorf("public key %s: not a PEM file", name)
	case block.Type == privateBlock:
		return nil, fmt.Errorf("public key %s: this is a private key; give the public key (the .pub file)", name)
	case block.Type != publicBlock:
		return nil, fmt.Errorf("public key %s: PEM block %q, want %q", name, block.Type, publicBlock)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key %s: a %T, want an Ed25519 key", name, k)
	}
	return ek, nil
}

// ReadPrivateKey loads a private key file.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return ParsePrivateKey(path, data)
}

// ReadPublicKey loads a public key file.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return ParsePublicKey(path, data)
}

// WriteKeyPair writes the private key to privPath (mode 0600) and the
// public key to pubPath (0644). Each is written to a temporary file in
// its directory and renamed into place; neither file is replaced unless
// force is set.
func WriteKeyPair(privPath, pubPath string, pub ed25519.PublicKey, priv ed25519.PrivateKey, force bool) error {
	privPEM, err := EncodePrivateKey(priv)
	if err != nil {
		return err
	}
	pubPEM, err := EncodePublicKey(pub)
	if err != nil {
		return err
	}
	if !force {
		for _, p := range []string{privPath, pubPath} {
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("%s already exists; use --force to replace it", p)
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	for _, p := range []string{privPath, pubPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("key directory: %w", err)
		}
	}
	if err := writeAtomic(privPath, privPEM, 0o600); err != nil {
		return err
	}
	if err := writeAtomic(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(privPath)
		return err
	}
	return nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
