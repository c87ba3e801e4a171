package nodetuning

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultProc is the proc tree of the machine tilsyn runs on.
const DefaultProc = "/proc"

// Reader reads a node's settings from a proc tree. Net settings
// (net.ipv4.*, net.netfilter.*) belong to a network namespace, and
// /proc/sys/net shows those of the namespace of the process reading it,
// whichever proc mount it reads: the node's values are only seen from the
// node's network namespace (a hostNetwork pod). A Reader is not safe for
// concurrent use.
type Reader struct {
	// Root is the proc tree, DefaultProc when empty.
	Root string
	// Keep keeps the files open between reads, for a reader that reads
	// the same files again and again (the agent, every interval): a read
	// is then one pread instead of an open, a stat, two reads and a
	// close. A file that fails is closed and opened again at the next
	// read. Close releases the files.
	Keep bool
	buf  []byte
	open map[string]*os.File
}

// Close closes the files a Keep reader holds open.
func (r *Reader) Close() error {
	for path, f := range r.open {
		f.Close()
		delete(r.open, path)
	}
	return nil
}

// maxValue bounds what is read of a sysctl: the values read here are a
// few characters; anything longer is not one of them.
const maxValue = 256

// CheckRoot says whether Root looks like a proc tree, so that a wrong
// path is an error rather than a record of absent values.
func (r *Reader) CheckRoot() error {
	dir := filepath.Join(r.root(), "sys", "kernel")
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("proc tree %s: %w", r.root(), err)
	}
	if !st.IsDir() {
		return fmt.Errorf("proc tree %s: %s is not a directory", r.root(), dir)
	}
	return nil
}

func (r *Reader) root() string {
	if r.Root == "" {
		return DefaultProc
	}
	return r.Root
}

// Static reads what does not change while a node runs: the kernel release
// and the number of online CPUs (cpuN lines of /proc/stat).
func (r *Reader) Static() (kernel, cpus Value) {
	kernel = r.value(r.sysctlPath("kernel.osrelease"), parseRelease, "")
	data, err := readFile(filepath.Join(r.root(), "stat"), 1<<22, nil)
	if err != nil {
		return kernel, Value{Absent: reason(err, "")}
	}
	n := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	if n == 0 {
		return kernel, Value{Absent: "no cpuN lines in stat"}
	}
	return kernel, Value{Value: fmt.Sprint(n)}
}

// Settings reads every sysctl of Sysctls and the conntrack count.
func (r *Reader) Settings() (sysctls map[string]Value, conntrackCount Value) {
	sysctls = make(map[string]Value, len(Sysctls))
	for _, name := range Sysctls {
		sysctls[name] = r.Sysctl(name)
	}
	return sysctls, r.Sysctl(ConntrackCount)
}

// Sysctl reads one sysctl of Sysctls or ConntrackCount.
func (r *Reader) Sysctl(name string) Value {
	hint := ""
	if strings.HasPrefix(name, "net.netfilter.") {
		hint = "the nf_conntrack module is not loaded"
	}
	parse := parserOf(name)
	if parse == nil {
		parse = parseInteger
	}
	return r.value(r.sysctlPath(name), parse, hint)
}

// Read reads a whole record of node.
func (r *Reader) Read(node, agentVersion string, now time.Time) Record {
	rec := Record{Node: node, CollectedAt: now.UTC().Truncate(time.Second), AgentVersion: agentVersion}
	rec.Kernel, rec.CPUs = r.Static()
	rec.Sysctls, rec.ConntrackCount = r.Settings()
	return rec
}

func (r *Reader) sysctlPath(name string) string {
	return filepath.Join(r.root(), "sys", strings.ReplaceAll(name, ".", string(filepath.Separator)))
}

// value reads and parses one file; hint explains a file that does not
// exist.
func (r *Reader) value(path string, parse func(string) (string, error), hint string) Value {
	if r.buf == nil {
		r.buf = make([]byte, 0, maxValue+1)
	}
	var data []byte
	var err error
	if r.Keep {
		data, err = r.reread(path)
	} else {
		data, err = readFile(path, maxValue, r.buf[:0])
	}
	if err != nil {
		return Value{Absent: reason(err, hint)}
	}
	v, err := parse(string(data))
	if err != nil {
		return Value{Absent: err.Error()}
	}
	return Value{Value: v}
}

// reread reads a kept file from its start, opening it first if needed.
func (r *Reader) reread(path string) ([]byte, error) {
	f := r.open[path]
	if f == nil {
		var err error
		if f, err = openRegular(path); err != nil {
			return nil, err
		}
		if r.open == nil {
			r.open = map[string]*os.File{}
		}
		r.open[path] = f
	}
	buf := r.buf[:maxValue+1]
	n, err := f.ReadAt(buf, 0)
	switch {
	case err == io.EOF || err == nil && n < len(buf):
		return buf[:n], nil
	case err == nil:
		return nil, errTooLong
	}
	f.Close()
	delete(r.open, path)
	return nil, err
}

// errTooLong marks a file longer than expected.
var errTooLong = errors.New("too long")

// readFile reads a small file into buf. It opens without blocking and
// refuses anything but a regular file (openRegular), so that a named pipe
// or a device in a proc tree cannot stall or flood the reader.
func readFile(path string, limit int, buf []byte) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, errTooLong
		}
		if err == io.EOF || (err == nil && n == 0) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// openRegular opens a file for reading without blocking, and refuses
// anything but a regular file.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, notRegular{st.Mode()}
	}
	return f, nil
}

type notRegular struct{ mode fs.FileMode }

func (e notRegular) Error() string {
	kind := "special file"
	switch {
	case e.mode.IsDir():
		return "a directory, not a value"
	case e.mode&fs.ModeNamedPipe != 0:
		kind = "named pipe"
	case e.mode&fs.ModeSocket != 0:
		kind = "socket"
	case e.mode&fs.ModeDevice != 0:
		kind = "device"
	}
	return "not a regular file but a " + kind
}

// reason says in words why a file could not be read.
func reason(err error, hint string) string {
	var nr notRegular
	switch {
	case errors.Is(err, fs.ErrNotExist) && hint != "":
		return "not present: " + hint
	case errors.Is(err, fs.ErrNotExist):
		return "not present"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.EISDIR):
		return "a directory, not a value"
	case errors.As(err, &nr):
		return nr.Error()
	case errors.Is(err, errTooLong):
		return "unexpected content: longer than any value of this setting"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "cannot read: " + err.Error()
}
