package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Tar writes files as one deterministic layer: entries sorted by path, every
// parent directory listed before its children (0755), owner root:root, no
// user or group names, one fixed time stamp.
func Tar(files []File, mtime time.Time) ([]byte, error) {
	dirs := map[string]bool{}
	var entries []File
	for _, f := range files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return nil, fmt.Errorf("image: %q is not a clean absolute path", f.Path)
		}
		for d := path.Dir(f.Path); d != "/"; d = path.Dir(d) {
			if !dirs[d] {
				dirs[d] = true
				entries = append(entries, File{Path: d, Mode: fs.ModeDir | 0o755})
			}
		}
		entries = append(entries, f)
	}
	// An explicitly listed directory (with its own mode) wins over the
	// implied one.
	slices.SortStableFunc(entries, func(a, b File) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return boolInt(a.Mode == fs.ModeDir|0o755) - boolInt(b.Mode == fs.ModeDir|0o755)
	})
	entries = slices.CompactFunc(entries, func(a, b File) bool { return a.Path == b.Path && a.Mode.IsDir() && b.Mode.IsDir() })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, f := range entries {
		if i > 0 && entries[i-1].Path == f.Path {
			return nil, fmt.Errorf("image: %s twice", f.Path)
		}
		h := &tar.Header{
			Name:    strings.TrimPrefix(f.Path, "/"),
			Mode:    int64(f.Mode.Perm()),
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if f.Mode&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		switch {
		case f.Mode.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case f.Mode&fs.ModeSymlink != 0:
			h.Typeflag, h.Linkname = tar.TypeSymlink, string(f.Data)
		case f.Mode.IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.Data))
		default:
			return nil, fmt.Errorf("image: %s has unsupported mode %v", f.Path, f.Mode)
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("image: %s: %w", f.Path, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, fmt.Errorf("image: %s: %w", f.Path, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return buf.Bytes(), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
