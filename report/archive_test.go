package report

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func content(s string) map[string]Renderer {
	return map[string]Renderer{"tilsyn-report.json": func(w io.Writer) error { _, err := io.WriteString(w, s); return err }}
}

// Each audit gets its own folder, latest points at the newest, and only
// the last N are kept; other entries are left alone.
func TestWriteArchive(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("not an audit"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A folder left by an interrupted run an hour ago.
	stale := filepath.Join(dir, ".tmp-20250101T000000Z-123")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)

	t0 := time.Date(2026, 11, 21, 2, 17, 0, 0, time.UTC)
	for i, at := range []time.Time{t0, t0.Add(24 * time.Hour), t0.Add(24 * time.Hour), t0.Add(48 * time.Hour)} {
		got, err := WriteArchive(dir, at, content(at.String()+string(rune('a'+i))), 3)
		if err != nil {
			t.Fatal(err)
		}
		link, err := os.Readlink(filepath.Join(dir, Latest))
		if err != nil || filepath.Join(dir, link) != got {
			t.Errorf("latest -> %q (%v), want %s", link, err, got)
		}
	}
	want := []string{"20261122T021700Z", "20261122T021700Z-1", "20261123T021700Z", "README", "latest"}
	if diff := cmp.Diff(want, listDir(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	data, err := os.ReadFile(filepath.Join(dir, Latest, "tilsyn-report.json"))
	if err != nil || string(data) != t0.Add(48*time.Hour).String()+"d" {
		t.Errorf("latest report %q, %v", data, err)
	}
}

// A failed render leaves no folder and does not move latest.
func TestWriteArchiveFailure(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	if _, err := WriteArchive(dir, t0, content("ok"), 5); err != nil {
		t.Fatal(err)
	}
	broken := map[string]Renderer{"tilsyn-report.json": func(io.Writer) error { return errors.New("disk full") }}
	if _, err := WriteArchive(dir, t0.Add(time.Hour), broken, 5); err == nil {
		t.Fatal("no error")
	}
	if diff := cmp.Diff([]string{"20261121T000000Z", "latest"}, listDir(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	if link, _ := os.Readlink(filepath.Join(dir, Latest)); link != "20261121T000000Z" {
		t.Errorf("latest -> %q", link)
	}
}
