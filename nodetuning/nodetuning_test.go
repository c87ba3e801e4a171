package nodetuning

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeProc writes a proc tree: files maps a path below the root to its
// content.
func fakeProc(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// tuned is a proc tree of a node set to the mesh baseline.
var tuned = map[string]string{
	"sys/kernel/osrelease":                 "6.1.0-18-amd64\n",
	"stat":                                 "cpu  1 2 3\ncpu0 1 2 3\ncpu1 1 2 3\nintr 5\nctxt 9\n",
	"sys/fs/file-max":                      "9223372036854775807\n",
	"sys/net/netfilter/nf_conntrack_max":   "262144\n",
	"sys/net/netfilter/nf_conntrack_count": "1234\n",
	"sys/net/ipv4/tcp_tw_reuse":            "1\n",
	"sys/net/ipv4/ip_local_port_range":     "1024\t65535\n",
	"sys/net/ipv4/tcp_keepalive_time":      "600\n",
	"sys/net/ipv4/tcp_keepalive_intvl":     "60\n",
	"sys/net/ipv4/tcp_keepalive_probes":    "3\n",
}

func TestReadTuned(t *testing.T) {
	r := &Reader{Root: fakeProc(t, tuned)}
	if err := r.CheckRoot(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 11, 50, 7, 123, time.FixedZone("CET", 3600))
	got := r.Read("oslo-a", "v1.0.0", now)
	want := Record{
		Node: "oslo-a", CollectedAt: time.Date(2026, 11, 21, 10, 50, 7, 0, time.UTC), AgentVersion: "v1.0.0",
		Kernel: Value{Value: "6.1.0-18-amd64"}, CPUs: Value{Value: "2"},
		Sysctls: map[string]Value{
			"fs.file-max":                    {Value: "9223372036854775807"},
			"net.netfilter.nf_conntrack_max": {Value: "262144"},
			"net.ipv4.tcp_tw_reuse":          {Value: "1"},
			"net.ipv4.ip_local_port_range":   {Value: "1024 65535"},
			"net.ipv4.tcp_keepalive_time":    {Value: "600"},
			"net.ipv4.tcp_keepalive_intvl":   {Value: "60"},
			"net.ipv4.tcp_keepalive_probes":  {Value: "3"},
		},
		ConntrackCount: Value{Value: "1234"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("record (-want +got):\n%s", d)
	}
	if err := got.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// Values that cannot be read are absent with the reason, never zero: a
// module that is not loaded, garbage, and files that cannot be read as
// values. Tests run as root, which reads any file whatever its mode, so
// "unreadable" is a directory, a named pipe (which must not block the
// reader) and a file too long to be a value.
func TestReadUnreadable(t *testing.T) {
	files := map[string]string{}
	for k, v := range tuned {
		files[k] = v
	}
	delete(files, "sys/net/netfilter/nf_conntrack_max")
	delete(files, "sys/net/netfilter/nf_conntrack_count")
	delete(files, "sys/kernel/osrelease")
	files["sys/fs/file-max"] = "lots\n"
	files["sys/net/ipv4/ip_local_port_range"] = "1024\n"
	files["sys/net/ipv4/tcp_keepalive_intvl"] = ""
	files["sys/net/ipv4/tcp_keepalive_probes"] = strings.Repeat("9", 400)
	files["stat"] = "intr 5\n"
	root := fakeProc(t, files)
	os.Remove(filepath.Join(root, "sys/net/ipv4/tcp_tw_reuse"))
	if err := os.Mkdir(filepath.Join(root, "sys/net/ipv4/tcp_tw_reuse"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "sys/net/ipv4/tcp_keepalive_time"))
	if err := syscall.Mkfifo(filepath.Join(root, "sys/net/ipv4/tcp_keepalive_time"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := &Reader{Root: root}
	got := r.Read("n1", "dev", time.Unix(0, 0))
	want := map[string]Value{
		"fs.file-max":                    {Absent: `unexpected content "lots\n", want a non-negative integer`},
		"net.netfilter.nf_conntrack_max": {Absent: "not present: the nf_conntrack module is not loaded"},
		"net.ipv4.tcp_tw_reuse":          {Absent: "a directory, not a value"},
		"net.ipv4.ip_local_port_range":   {Absent: `unexpected content "1024\n", want two integers`},
		"net.ipv4.tcp_keepalive_time":    {Absent: "not a regular file but a named pipe"},
		"net.ipv4.tcp_keepalive_intvl":   {Absent: "unexpected content: empty, want a non-negative integer"},
		"net.ipv4.tcp_keepalive_probes":  {Absent: "unexpected content: longer than any value of this setting"},
	}
	if d := cmp.Diff(want, got.Sysctls); d != "" {
		t.Errorf("sysctls (-want +got):\n%s", d)
	}
	if got.ConntrackCount != (Value{Absent: "not present: the nf_conntrack module is not loaded"}) {
		t.Errorf("conntrack count %+v", got.ConntrackCount)
	}
	if got.Kernel != (Value{Absent: "not present"}) || got.CPUs != (Value{Absent: "no cpuN lines in stat"}) {
		t.Errorf("kernel %+v, cpus %+v", got.Kernel, got.CPUs)
	}
	// A record of absent values is still a valid record.
	if err := got.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// A reader that keeps its files open reads what one that opens them
// every time reads, and sees a file that appears later (a module loaded).
func TestKeepReader(t *testing.T) {
	files := map[string]string{}
	for k, v := range tuned {
		files[k] = v
	}
	delete(files, "sys/net/netfilter/nf_conntrack_max")
	files["sys/fs/file-max"] = "lots\n"
	files["sys/net/ipv4/tcp_keepalive_probes"] = strings.Repeat("9", 400)
	root := fakeProc(t, files)
	os.Remove(filepath.Join(root, "sys/net/ipv4/tcp_tw_reuse"))
	os.Mkdir(filepath.Join(root, "sys/net/ipv4/tcp_tw_reuse"), 0o755)

	plain, kept := &Reader{Root: root}, &Reader{Root: root, Keep: true}
	defer kept.Close()
	for i := range 2 {
		want, _ := plain.Settings()
		got, _ := kept.Settings()
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("read %d (-open every time +kept open):\n%s", i, d)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "sys/net/netfilter/nf_conntrack_max"), []byte("65536\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sys/net/ipv4/tcp_keepalive_time"), []byte("300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := kept.Settings()
	if got["net.netfilter.nf_conntrack_max"].Value != "65536" || got["net.ipv4.tcp_keepalive_time"].Value != "300" {
		t.Errorf("after the files changed: %+v", got)
	}
}

func TestCheckRoot(t *testing.T) {
	r := &Reader{Root: filepath.Join(t.TempDir(), "nope")}
	if err := r.CheckRoot(); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("CheckRoot of a missing tree: %v", err)
	}
}

// This machine's own /proc: every value is either read in the agent's
// form or absent with a reason, and the kernel and CPU count are read.
func TestReadThisMachine(t *testing.T) {
	r := &Reader{}
	if err := r.CheckRoot(); err != nil {
		t.Fatal(err)
	}
	rec := r.Read("this-machine", "dev", time.Now())
	if err := rec.Check(); err != nil {
		t.Fatalf("Check: %v\n%+v", err, rec)
	}
	if rec.Kernel.Value == "" || rec.CPUs.Value == "" {
		t.Errorf("kernel %+v, cpus %+v", rec.Kernel, rec.CPUs)
	}
	var uts syscall.Utsname
	if err := syscall.Uname(&uts); err == nil {
		var b []byte
		for _, c := range uts.Release {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		if string(b) != rec.Kernel.Value {
			t.Errorf("kernel %q, uname says %q", rec.Kernel.Value, b)
		}
	}
	// Settings every Linux kernel has, readable by root.
	for _, name := range []string{"fs.file-max", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_keepalive_time"} {
		if rec.Sysctls[name].Value == "" {
			t.Errorf("%s: %+v", name, rec.Sysctls[name])
		}
	}
	want, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if got := rec.Sysctls["net.ipv4.ip_local_port_range"].Value; got != strings.Join(strings.Fields(string(want)), " ") {
		t.Errorf("ip_local_port_range %q, file holds %q", got, want)
	}
	t.Logf("this machine: kernel %s, %s CPUs, %+v, conntrack count %+v", rec.Kernel.Value, rec.CPUs.Value, rec.Sysctls, rec.ConntrackCount)
}

func TestConfigMapRoundTrip(t *testing.T) {
	rec := (&Reader{Root: fakeProc(t, tuned)}).Read("oslo-a", "v1.0.0", time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC))
	data, err := rec.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromConfigMap(ConfigMapName("oslo-a"), map[string]string{DataKey: string(data)})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rec, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestFromConfigMapRejects(t *testing.T) {
	rec := (&Reader{Root: fakeProc(t, tuned)}).Read("oslo-a", "v1.0.0", time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC))
	good, _ := rec.Encode()
	edit := func(f func(*Record)) string {
		r := rec
		r.Sysctls = map[string]Value{}
		for k, v := range rec.Sysctls {
			r.Sysctls[k] = v
		}
		f(&r)
		b, _ := r.Encode()
		return string(b)
	}
	cases := []struct {
		name, cm, data, want string
	}{
		{"foreign name", "kube-root-ca.crt", string(good), "does not start with tilsyn-node-"},
		{"other node", ConfigMapName("oslo-b"), string(good), `the record is of node "oslo-a", but the ConfigMap is named for node "oslo-b"`},
		{"no data", ConfigMapName("oslo-a"), "", "not a record"},
		{"wrong kind", ConfigMapName("oslo-a"), `{"apiVersion":"v1","kind":"ConfigMap"}`, `kind "ConfigMap"`},
		{"no time", ConfigMapName("oslo-a"), edit(func(r *Record) { r.CollectedAt = time.Time{} }), "no collectedAt"},
		{"zero instead of absent", ConfigMapName("oslo-a"), edit(func(r *Record) { r.Sysctls["fs.file-max"] = Value{} }), "sysctls[fs.file-max]: want exactly one of value and absent"},
		{"both", ConfigMapName("oslo-a"), edit(func(r *Record) { r.ConntrackCount = Value{Value: "1", Absent: "x"} }), "conntrackCount"},
		{"missing sysctl", ConfigMapName("oslo-a"), edit(func(r *Record) { delete(r.Sysctls, "net.ipv4.tcp_tw_reuse") }), "net.ipv4.tcp_tw_reuse is missing"},
		{"not the agent's form", ConfigMapName("oslo-a"), edit(func(r *Record) { r.Sysctls["net.ipv4.ip_local_port_range"] = Value{Value: "1024\t65535"} }), "is not in the agent's form"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromConfigMap(c.cm, map[string]string{DataKey: c.data})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	// A newer agent's extra settings are left out, not rejected.
	extra := edit(func(r *Record) { r.Sysctls["net.core.somaxconn"] = Value{Value: "4096"} })
	got, err := FromConfigMap(ConfigMapName("oslo-a"), map[string]string{DataKey: extra})
	if err != nil || len(got.Sysctls) != len(Sysctls) {
		t.Errorf("extra setting: %v, %v", err, got.Sysctls)
	}
}

func TestCheckNodeName(t *testing.T) {
	if err := CheckNodeName("ip-10-0-1-17.eu-north-1.compute.internal"); err != nil {
		t.Error(err)
	}
	if err := CheckNodeName(strings.Repeat("a", 250)); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("long name: %v", err)
	}
	if err := CheckNodeName(""); err == nil {
		t.Error("empty name accepted")
	}
}

// BenchmarkSettings is the per-cycle reading work of the agent, on this
// machine's /proc: the agent keeps the files open.
func BenchmarkSettings(b *testing.B) {
	for _, keep := range []bool{false, true} {
		b.Run(fmt.Sprintf("keep=%v", keep), func(b *testing.B) {
			r := &Reader{Keep: keep}
			defer r.Close()
			b.ReportAllocs()
			for b.Loop() {
				r.Settings()
			}
		})
	}
}
