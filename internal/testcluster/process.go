package testcluster

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// errPortTaken marks a start that failed because a port was taken between
// choosing it and binding it.
var errPortTaken = errors.New("address already in use")

// process is one started server.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited and been reaped
}

// running holds every process started by this package and not yet reaped.
var running = struct {
	sync.Mutex
	m map[int]*process
}{m: map[int]*process{}}

// Running lists the processes started by this package that are still
// running, as "name (pid N)".
func Running() []string {
	running.Lock()
	defer running.Unlock()
	var out []string
	for pid, p := range running.m {
		out = append(out, fmt.Sprintf("%s (pid %d)", p.name, pid))
	}
	sort.Strings(out)
	return out
}

func killAll() {
	running.Lock()
	procs := make([]*process, 0, len(running.m))
	for _, p := range running.m {
		procs = append(procs, p)
	}
	running.Unlock()
	for _, p := range procs {
		p.cmd.Process.Kill()
		<-p.done
	}
}

func startProcess(bin, logFile string, args ...string) (*process, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{name: filepath.Base(bin), cmd: cmd, log: logFile, done: make(chan struct{})}
	running.Lock()
	running.m[cmd.Process.Pid] = p
	running.Unlock()
	go func() {
		cmd.Wait()
		f.Close()
		running.Lock()
		delete(running.m, cmd.Process.Pid)
		running.Unlock()
		close(p.done)
	}()
	return p, nil
}

// waitFor polls ready until it reports true, failing early when the process
// exits and after timeout.
func (p *process) waitFor(ctx context.Context, timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ready() {
		select {
		case <-p.done:
			log := p.tail(25)
			if strings.Contains(log, "address already in use") {
				return fmt.Errorf("%s: %w", p.name, errPortTaken)
			}
			return fmt.Errorf("%s exited before becoming ready (%v); last lines of %s:\n%s", p.name, p.cmd.ProcessState, p.log, log)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v; last lines of %s:\n%s", p.name, timeout, p.log, p.tail(25))
		}
	}
	return nil
}

// stop sends SIGTERM, then SIGKILL after 10 seconds, and waits for the exit.
func (p *process) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("%s (pid %d) did not stop on SIGTERM within 10s and was killed", p.name, p.cmd.Process.Pid)
}

// tail returns the last n lines of the process's log.
func (p *process) tail(n int) string {
	data, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// writeServiceAccountKeys writes the key pair that signs ServiceAccount
// tokens (an ECDSA P-256 key: fast to generate, accepted for ES256).
func writeServiceAccountKeys(dir string) (keyFile, pubFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	keyFile, pubFile = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		return "", "", err
	}
	return keyFile, pubFile, nil
}

// pidAlive reports whether a process with this pid exists.
func pidAlive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
