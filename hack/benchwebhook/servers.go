package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// certs are a serving certificate for 127.0.0.1 and the pool trusting it.
type certs struct {
	certFile, keyFile string
	pool              *x509.CertPool
}

func writeCerts(dir string) (*certs, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "benchwebhook"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	c := &certs{certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key"), pool: x509.NewCertPool()}
	if err := os.WriteFile(c.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	c.pool.AddCert(cert)
	return c, nil
}

// server is a started server process under test.
type server struct {
	name    string
	url     string
	cmd     *exec.Cmd
	logFile string
	ready   string // path answering 200 when ready
	opa     bool
}

// request is the path and body of a review for this server.
func (s *server) request(rv review) (string, []byte) {
	if s.opa {
		return rv.opaPath, rv.opaBody
	}
	return "/validate", rv.body
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tilsynEnv is the environment deploy/webhook/deployment.yaml gives the
// webhook.
var tilsynEnv = []string{"GOGC=400", "GOMEMLIMIT=1800MiB"}

func start(name, bin string, args []string, logFile string, env []string) (*server, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	log, err := os.Create(logFile)
	if err != nil {
		return nil, "", err
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, addrPlaceholder, addr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	log.Close()
	return &server{name: name, url: "https://" + addr, cmd: cmd, logFile: logFile}, addr, nil
}

const addrPlaceholder = "{ADDR}"

// startTilsyn starts `tilsyn webhook` on a saved snapshot.
func startTilsyn(bin string, c *certs, dir string, extra []string) (*server, error) {
	args := append([]string{"webhook", "--listen", addrPlaceholder, "--tls-cert-file", c.certFile, "--tls-key-file", c.keyFile,
		"--shutdown-delay", "0s"}, extra...)
	s, _, err := start("tilsyn", bin, args, filepath.Join(dir, "tilsyn-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".log"), tilsynEnv)
	if err != nil {
		return nil, err
	}
	s.ready = "/readyz"
	return s, nil
}

// startOPA starts `opa run --server` on a bundle directory.
func startOPA(bin string, c *certs, bundle, dir string) (*server, error) {
	args := []string{"run", "--server", "--addr", addrPlaceholder, "--tls-cert-file", c.certFile, "--tls-private-key-file", c.keyFile,
		"--log-level", "error", "--disable-telemetry", bundle}
	s, _, err := start("opa", bin, args, filepath.Join(dir, "opa.log"), nil)
	if err != nil {
		return nil, err
	}
	s.ready, s.opa = "/health", true
	return s, nil
}

// wait waits until the server answers its readiness path.
func (s *server) wait(ctx context.Context, pool *x509.CertPool) error {
	c := newClient(pool, 1)
	c.Timeout = 2 * time.Second
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		resp, err := c.Get(s.url + s.ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if s.cmd.ProcessState != nil || time.Now().After(deadline) {
			log, _ := os.ReadFile(s.logFile)
			return fmt.Errorf("%s never became ready (%v):\n%s", s.name, err, tail(string(log), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the server process: SIGTERM, then SIGKILL after 10 seconds.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// stats reads tilsyn's own counters of the judgements made: how many
// evaluated the neighbourhood without the change afresh.
func (s *server) stats(ctx context.Context, pool *x509.CertPool) string {
	if s.opa {
		return ""
	}
	c := newClient(pool, 1)
	resp, err := c.Get(s.url + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var cached, fresh, repeats float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "tilsyn_webhook_repeated_judgements_total" {
			repeats, _ = strconv.ParseFloat(f[1], 64)
		}
		if !strings.HasPrefix(line, "tilsyn_webhook_judgements_total{") {
			continue
		}
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		if strings.Contains(line, `cached="true"`) {
			cached += v
		} else {
			fresh += v
		}
	}
	if cached+fresh == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f judgements, %.0f%% with the result without the change from the cache, %.0f%% repeats of a change judged before in the same state",
		cached+fresh, 100*cached/(cached+fresh), 100*repeats/(cached+fresh))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cpu is the CPU time (user and system) the server process has used, from
// /proc: on a shared machine the CPU per review says more than the wall
// clock.
func (s *server) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces): state is
	// field 3, utime 14 and stime 15, in clock ticks (USER_HZ, 100 on
	// Linux).
	rest := string(data)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
