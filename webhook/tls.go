package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// Certificate serves a TLS certificate from a pair of PEM files and
// replaces it when the files change, as cert-manager or a Secret volume
// rotate them: handshakes in progress keep the certificate they started
// with, new ones get the new certificate, and no connection is dropped. A
// pair that does not load (a rotation caught half written) is retried on
// the next check while the previous certificate stays in use.
type Certificate struct {
	certFile, keyFile string
	current           atomic.Pointer[loadedCert]
	log               *slog.Logger
	// reloads counts certificates loaded after the first.
	reloads atomic.Int64
}

type loadedCert struct {
	cert     *tls.Certificate
	certPEM  []byte
	keyPEM   []byte
	notAfter time.Time
}

// LoadCertificate reads a certificate and key (PEM) once; Watch keeps them
// current.
func LoadCertificate(certFile, keyFile string, log *slog.Logger) (*Certificate, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Certificate{certFile: certFile, keyFile: keyFile, log: log}
	lc, err := c.load()
	if err != nil {
		return nil, err
	}
	c.current.Store(lc)
	return c, nil
}

func (c *Certificate) load() (*loadedCert, error) {
	certPEM, err := os.ReadFile(c.certFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(c.keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s: %w", c.certFile, err)
	}
	cert.Leaf = leaf
	return &loadedCert{cert: &cert, certPEM: certPEM, keyPEM: keyPEM, notAfter: leaf.NotAfter}, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.current.Load().cert, nil
}

// Reloads is the number of times a changed certificate was loaded.
func (c *Certificate) Reloads() int64 { return c.reloads.Load() }

// Watch checks the files every interval until ctx ends, loading them
// again when their contents changed.
func (c *Certificate) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.check()
		}
	}
}

// check reloads the pair if either file's contents changed.
func (c *Certificate) check() {
	cur := c.current.Load()
	certPEM, err1 := os.ReadFile(c.certFile)
	keyPEM, err2 := os.ReadFile(c.keyFile)
	if err1 != nil || err2 != nil {
		return // being replaced; the next check sees the new files
	}
	if bytes.Equal(certPEM, cur.certPEM) && bytes.Equal(keyPEM, cur.keyPEM) {
		return
	}
	lc, err := c.load()
	if err != nil {
		c.log.Warn("TLS certificate changed but does not load; still serving the previous one", "error", err)
		return
	}
	c.current.Store(lc)
	c.reloads.Add(1)
	c.log.Info("TLS certificate reloaded", "subject", lc.cert.Leaf.Subject.String(), "notAfter", lc.notAfter)
}

// TLSConfig is the server configuration: TLS 1.2 or later, the
// certificate from c.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate}
}
