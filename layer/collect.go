package layer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is one entry of the layer zip.
type File struct {
	Name string // "lib/<soname>"
	Data []byte
}

// maxLibSize bounds what we read for one library; libsquashfs's whole
// closure is a few MB.
const maxLibSize = 64 << 20

// Collect walks the DT_NEEDED graph from Root through the libraries found
// under root (a directory where Debian packages were extracted) and returns
// every library the runtime does not provide (base), named by SONAME, sorted.
// A NEEDED entry that is neither in base nor found under root is an error:
// the dependency set comes from the ELF files, never from a hand-kept list.
func Collect(root string, arch Arch, base BaseLibs) ([]File, error) {
	return Closure(root, arch, []string{Root}, func(name string) bool { return base[name] })
}

// Closure is Collect from any set of SONAMEs: start and everything they need,
// found under root, except the libraries provided says are there already.
// The image builder uses it for the glibc that bootstrap and the layer need.
func Closure(root string, arch Arch, start []string, provided func(string) bool) ([]File, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	dirs := []string{
		filepath.Join(root, "lib", arch.triplet()),
		filepath.Join(root, "usr", "lib", arch.triplet()),
		filepath.Join(root, "lib"),
		filepath.Join(root, "usr", "lib"),
	}
	var files []File
	seen := map[string]bool{}
	var queue []string
	for _, name := range start {
		if !seen[name] && !provided(name) {
			seen[name] = true
			queue = append(queue, name)
		}
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		path, err := findLib(root, dirs, name)
		if err != nil {
			return nil, err
		}
		data, err := readBounded(path)
		if err != nil {
			return nil, err
		}
		o, err := Inspect(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("layer: %s (%s): %w", name, path, err)
		}
		if o.Machine != arch.Machine() {
			return nil, fmt.Errorf("layer: %s (%s) is %v, want %v", name, path, o.Machine, arch.Machine())
		}
		if o.Soname != name {
			return nil, fmt.Errorf("layer: %s (%s) has SONAME %q", name, path, o.Soname)
		}
		files = append(files, File{Name: "lib/" + name, Data: data})
		for _, dep := range o.Needed {
			if provided(dep) || seen[dep] {
				continue
			}
			seen[dep] = true
			queue = append(queue, dep)
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// findLib looks name up in dirs, following symlinks without ever leaving
// root: an absolute link target in an extracted package means root + target,
// not the build machine's own file.
func findLib(root string, dirs []string, name string) (string, error) {
	for _, dir := range dirs {
		p := filepath.Join(dir, name)
		for hops := 0; ; hops++ {
			if hops > 40 {
				return "", fmt.Errorf("layer: %s: too many symbolic links", p)
			}
			fi, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			if err != nil {
				return "", fmt.Errorf("layer: %w", err)
			}
			if fi.Mode().IsRegular() {
				return p, nil
			}
			if fi.Mode()&fs.ModeSymlink == 0 {
				return "", fmt.Errorf("layer: %s is neither a file nor a symbolic link", p)
			}
			t, err := os.Readlink(p)
			if err != nil {
				return "", fmt.Errorf("layer: %w", err)
			}
			if filepath.IsAbs(t) {
				p = filepath.Join(root, t)
			} else {
				p = filepath.Join(filepath.Dir(p), t)
			}
			if !strings.HasPrefix(p, root+string(filepath.Separator)) {
				return "", fmt.Errorf("layer: %s links outside %s", filepath.Join(dir, name), root)
			}
		}
	}
	return "", fmt.Errorf("layer: needed library %s is not provided by the runtime and not found under %s", name, root)
}

func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	if fi.Size() > maxLibSize {
		return nil, fmt.Errorf("layer: %s is %d bytes, more than the %d a library may have", path, fi.Size(), maxLibSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	return data, nil
}
