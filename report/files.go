package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Renderer writes one output file.
type Renderer func(io.Writer) error

// WriteFiles renders every file into dir atomically: each is written to a
// temporary file first, and only when all rendered successfully are they
// renamed into place, so a failure leaves no partial evidence behind. An
// existing file is replaced only when force is set.
func WriteFiles(dir string, files map[string]Renderer, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if !force {
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				return fmt.Errorf("%s already exists; use --force to replace it or choose another --out", filepath.Join(dir, n))
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	temps := map[string]string{}
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, n := range names {
		f, err := os.CreateTemp(dir, "."+n+".tmp-*")
		if err != nil {
			cleanup()
			return err
		}
		temps[n] = f.Name()
		err = files[n](f)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(f.Name(), 0o644)
		}
		if err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", filepath.Join(dir, n), err)
		}
	}
	for _, n := range names {
		if err := os.Rename(temps[n], filepath.Join(dir, n)); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", filepath.Join(dir, n), err)
		}
		delete(temps, n)
	}
	return nil
}

// WriteFile writes one file atomically (temporary file, then rename).
func WriteFile(path string, render Renderer, force bool) error {
	return WriteFiles(filepath.Dir(path), map[string]Renderer{filepath.Base(path): render}, force)
}
