package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestServeProtocols: HTTP/1.1 only unless HTTP/2 is asked for, TLS 1.2
// at the least either way.
func TestServeProtocols(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	ca.issue(t, dir, 7)
	cert, err := LoadCertificate(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	for _, http2 := range []bool{false, true} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() {
			served <- Serve(ctx, l, ServerOptions{Certificate: cert, HTTP2: http2, ShutdownTimeout: 5 * time.Second})
		}()
		get := func(tlsConfig *tls.Config) (*http.Response, error) {
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig, ForceAttemptHTTP2: true}}
			defer c.CloseIdleConnections()
			resp, err := c.Get("https://" + l.Addr().String() + PathHealthz)
			if err == nil {
				resp.Body.Close()
			}
			return resp, err
		}
		resp, err := get(&tls.Config{RootCAs: roots})
		switch {
		case err != nil:
			t.Errorf("HTTP2 %v: %v", http2, err)
		case http2 && resp.ProtoMajor != 2, !http2 && resp.ProtoMajor != 1:
			t.Errorf("HTTP2 %v: answered over %s", http2, resp.Proto)
		}
		if _, err := get(&tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS11}); err == nil {
			t.Errorf("HTTP2 %v: a TLS 1.1 client was answered", http2)
		}
		stop()
		if err := <-served; err != nil {
			t.Errorf("HTTP2 %v: serve: %v", http2, err)
		}
	}
}
