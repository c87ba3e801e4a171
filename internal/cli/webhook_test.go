package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tilsyn/tilsyn/webhook"
)

func TestParseWebhookFlags(t *testing.T) {
	tls := []string{"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem"}
	for _, tc := range []struct {
		name string
		args []string
		err  string
		ok   func(webhookConfig) bool
	}{
		{name: "defaults", args: tls, ok: func(c webhookConfig) bool {
			return c.Mode == webhook.Enforce && c.Listen == ":8443" && strings.Join(c.ExemptNS, ",") == "kube-system,tilsyn" &&
				c.ExemptSelector.String() == "tilsyn.io/exempt=true" && c.RequestTimeout == webhook.DefaultTimeout
		}},
		{name: "modes", args: append([]string{"--mode", "warn", "--control-mode", "MESH-01=enforce", "--control-mode", "MESH-04=dryrun"}, tls...),
			ok: func(c webhookConfig) bool {
				return c.Mode == webhook.Warn && c.ControlModes["MESH-01"] == webhook.Enforce && c.ControlModes["MESH-04"] == webhook.DryRun
			}},
		{name: "exemptions", args: append([]string{"--exempt-namespace", "a,b", "--exempt-namespace-selector", "", "--exempt-user", "u"}, tls...),
			ok: func(c webhookConfig) bool {
				return strings.Join(c.ExemptNS, ",") == "a,b" && c.ExemptSelector.Empty() && c.ExemptUsers[0] == "u"
			}},
		{name: "no certificate", args: nil, err: "--tls-cert-file and --tls-key-file are required"},
		{name: "bad mode", args: append([]string{"--mode", "block"}, tls...), err: `mode "block": want one of enforce, warn, dryrun`},
		{name: "bad control mode", args: append([]string{"--control-mode", "MESH-01"}, tls...), err: "want CONTROL=MODE"},
		{name: "conflicting control modes", args: append([]string{"--control-mode", "MESH-01=warn", "--control-mode", "MESH-01=dryrun"}, tls...), err: "already warn"},
		{name: "bad selector", args: append([]string{"--exempt-namespace-selector", "a in (b"}, tls...), err: "--exempt-namespace-selector"},
		{name: "bad timeout", args: append([]string{"--request-timeout", "0s"}, tls...), err: "--request-timeout"},
		{name: "snapshot and kubeconfig", args: append([]string{"--snapshot", "s.json", "--kubeconfig", "k"}, tls...), err: "--snapshot judges against a saved snapshot"},
		{name: "arguments", args: append([]string{"extra"}, tls...), err: "takes no arguments"},
		{name: "log level", args: append([]string{"--log-level", "loud"}, tls...), err: "--log-level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseWebhookFlags(tc.args, io.Discard)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case !tc.ok(c):
				t.Errorf("config %+v", c)
			}
		})
	}
}

// writeServingCert writes a self-signed certificate for 127.0.0.1 and its
// key, and returns the certificate pool that trusts it.
func writeServingCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tilsyn-webhook"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// `tilsyn webhook --snapshot` serves reviews over TLS, reports ready,
// logs every decision as JSON, and stops cleanly when its context ends.
func TestWebhookCommand(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshot.json")
	if _, errOut, code := run(t, "", "collect", "-f", "testdata/examples/nordic-fintech", "-o", snap); code != ExitOK {
		t.Fatalf("collect: exit %d: %s", code, errOut)
	}
	pool := writeServingCert(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Streams{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}, []string{"webhook",
			"--snapshot", snap, "--listen", addr, "--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key"),
			"--control-mode", "MESH-05=warn", "--shutdown-delay", "10ms"})
	}()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("https://" + addr + webhook.PathReadyz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// TLS below 1.2 is refused.
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get("https://" + addr + webhook.PathHealthz); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}

	body, err := os.ReadFile("webhook/testdata/reviews/create-deployment-bypass.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post("https://"+addr+webhook.PathValidate, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var review struct {
		Response struct {
			Allowed  bool     `json:"allowed"`
			Warnings []string `json:"warnings"`
		} `json:"response"`
	}
	json.NewDecoder(resp.Body).Decode(&review)
	resp.Body.Close()
	if !review.Response.Allowed || len(review.Response.Warnings) != 1 || !strings.Contains(review.Response.Warnings[0], "MESH-05") {
		t.Errorf("response %+v, want admitted with a MESH-05 warning", review.Response)
	}
	resp, err = client.Get("https://" + addr + webhook.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tilsyn_webhook_reviews_total{decision="warn",kind="Deployment",operation="CREATE"} 1`,
		`tilsyn_webhook_findings_total{control="MESH-05",mode="warn"} 1`, "tilsyn_webhook_review_duration_seconds_bucket"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("webhook: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook did not stop")
	}
	var decisions int
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if rec["msg"] == "admission decision" {
			decisions++
			if rec["decision"] != "warn" || rec["kind"] != "Deployment" || rec["name"] != "card-vault" {
				t.Errorf("decision log %v", rec)
			}
		}
	}
	if decisions != 1 {
		t.Errorf("%d decisions logged, want 1:\n%s", decisions, stderr.String())
	}
}
