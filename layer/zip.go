package layer

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// epoch is the timestamp of every entry: the earliest a zip can hold, so the
// same libraries always give the same bytes.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteZip writes files as a deterministic zip: entries sorted by name,
// fixed time and permissions (0644), deflate compression, no directories.
// Real files under the SONAME rather than symlinks, because symlinks in a
// layer zip are not part of Lambda's documented contract.
func WriteZip(w io.Writer, files []File) error {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	zw := zip.NewWriter(w)
	for i, f := range sorted {
		if err := checkName(f.Name); err != nil {
			return err
		}
		if i > 0 && sorted[i-1].Name == f.Name {
			return fmt.Errorf("layer: duplicate entry %s", f.Name)
		}
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: epoch}
		h.SetMode(0o644)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("layer: %w", err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			return fmt.Errorf("layer: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	return nil
}

// checkName accepts exactly "lib/<file>": Lambda extracts layers to /opt,
// and /opt/lib is on the runtime's library path.
func checkName(name string) error {
	dir, file := path.Split(name)
	if dir != "lib/" || file == "" || file == "." || file == ".." || strings.Contains(file, "\\") {
		return fmt.Errorf("layer: entry %q is not lib/<file>", name)
	}
	return nil
}

// Extract unpacks a layer zip into dir as Lambda does into /opt: dir/lib/...
// It refuses names outside lib/ and files over the size bound.
func Extract(zr *zip.Reader, dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	for _, f := range zr.File {
		if err := checkName(f.Name); err != nil {
			return err
		}
		if f.UncompressedSize64 > maxLibSize {
			return fmt.Errorf("layer: %s is %d bytes, more than the %d a library may have", f.Name, f.UncompressedSize64, maxLibSize)
		}
		if err := extractOne(f, filepath.Join(dir, filepath.FromSlash(f.Name))); err != nil {
			return err
		}
	}
	return nil
}

func extractOne(f *zip.File, dst string) error {
	r, err := f.Open()
	if err != nil {
		return fmt.Errorf("layer: %s: %w", f.Name, err)
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	if _, err := io.Copy(w, io.LimitReader(r, maxLibSize)); err != nil {
		w.Close()
		return fmt.Errorf("layer: %s: %w", f.Name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	return nil
}
