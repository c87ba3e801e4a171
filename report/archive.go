package report

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Latest is the name of the symbolic link, in an archive directory, to the
// newest audit folder.
const Latest = "latest"

// archiveStamp names audit folders: the report's UTC time, with a counter
// when two audits share a second. Names sort in time order.
const archiveStamp = "20060102T150405Z"

var archiveName = regexp.MustCompile(`^\d{8}T\d{6}Z(-\d+)?$`)

// tempPrefix marks folders being written; ones older than staleTemp are
// left by an interrupted run and removed.
const (
	tempPrefix = ".tmp-"
	staleTemp  = time.Hour
)

// WriteArchive writes one audit's files into a folder of its own,
// dir/<UTC time of at>, and keeps the last keep folders. The folder is
// written under a temporary name and renamed into place when complete, and
// the Latest link is replaced by a rename too, so a reader never sees a
// partial audit. Older folders beyond keep are removed (by name, that is by
// time); the one just written is always kept. It returns the new folder.
func WriteArchive(dir string, at time.Time, files map[string]Renderer, keep int) (string, error) {
	if keep < 1 {
		return "", fmt.Errorf("keep %d: at least the new audit is kept", keep)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("evidence directory: %w", err)
	}
	name := at.UTC().Format(archiveStamp)
	for i := 1; exists(filepath.Join(dir, name)); i++ {
		name = at.UTC().Format(archiveStamp) + "-" + strconv.Itoa(i)
	}
	tmp, err := os.MkdirTemp(dir, tempPrefix+name+"-")
	if err != nil {
		return "", fmt.Errorf("evidence directory: %w", err)
	}
	if err := WriteFiles(tmp, files, false); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("write %s: %w", final, err)
	}
	if err := pointLatest(dir, name); err != nil {
		return final, err
	}
	if err := prune(dir, name, keep); err != nil {
		return final, err
	}
	return final, nil
}

// pointLatest makes dir/latest a relative link to name, atomically.
func pointLatest(dir, name string) error {
	suffix := make([]byte, 6)
	rand.Read(suffix)
	tmp := filepath.Join(dir, tempPrefix+"latest-"+hex.EncodeToString(suffix))
	if err := os.Symlink(name, tmp); err != nil {
		return fmt.Errorf("link %s: %w", filepath.Join(dir, Latest), err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, Latest)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("link %s: %w", filepath.Join(dir, Latest), err)
	}
	return nil
}

// prune removes the oldest audit folders so that keep remain, never
// current, and temporary folders left by interrupted runs. Other entries
// of dir are not touched.
func prune(dir, current string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var audits []string
	var errs []error
	for _, e := range entries {
		switch {
		case e.IsDir() && archiveName.MatchString(e.Name()):
			audits = append(audits, e.Name())
		case strings.HasPrefix(e.Name(), tempPrefix):
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
				errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
			}
		}
	}
	sort.Strings(audits)
	excess := len(audits) - keep
	for _, a := range audits {
		if excess <= 0 {
			break
		}
		if a == current {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, a)); err != nil {
			errs = append(errs, fmt.Errorf("remove old audit %s: %w", a, err))
			continue
		}
		excess--
	}
	return errors.Join(errs...)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
