// Package imagetest builds the image the way `make image` does and unpacks
// it, for the tests of image/ and test/image/.
package imagetest

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/s3archivefs/s3archivefs/layer"
)

// Fixed labels, so two builds of one tree must give one digest.
const (
	Version    = "test"
	Revision   = "0123456789abcdef0123456789abcdef01234567"
	SourceDate = "1700000000"
)

// Repo is the repository root (the module root), from this file's place.
func Repo() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// NeedTools skips when a tool is missing, or fails under make test
// (S3ARCHIVEFS_REQUIRE_TOOLS), where every tool must be there.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			Missing(t, tool+" not installed (make tools, or test/tools/install.sh all)")
		}
	}
}

// Missing skips with why, or fails under S3ARCHIVEFS_REQUIRE_TOOLS.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("S3ARCHIVEFS_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s (S3ARCHIVEFS_REQUIRE_TOOLS is set)", why)
	}
	t.Skip(why)
}

// Builder runs `make image` with layertool and imagetool built once.
type Builder struct {
	env []string
}

// NewBuilder compiles the two tools into dir.
func NewBuilder(dir string) (*Builder, error) {
	b := &Builder{}
	for _, tool := range []struct{ env, pkg string }{
		{"LAYERTOOL", "./layer/cmd/layertool"},
		{"IMAGETOOL", "./image/cmd/imagetool"},
	} {
		out := filepath.Join(dir, path.Base(tool.pkg))
		cmd := exec.Command("go", "build", "-o", out, tool.pkg)
		cmd.Dir = Repo()
		if log, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %v\n%s", tool.pkg, err, log)
		}
		b.env = append(b.env, tool.env+"="+out)
	}
	return b, nil
}

// Build runs `make image ARCH=arch DIST=dist` and returns the layout
// directory and what make printed.
func (b *Builder) Build(arch layer.Arch, dist string) (layoutDir, log string, err error) {
	cmd := exec.Command("make", "--no-print-directory", "image", "ARCH="+string(arch), "DIST="+dist,
		"VERSION="+Version, "REVISION="+Revision, "SOURCE_DATE_EPOCH="+SourceDate)
	cmd.Dir = Repo()
	cmd.Env = append(os.Environ(), b.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", out.String(), fmt.Errorf("make image ARCH=%s: %w\n%s", arch, err, out.String())
	}
	return filepath.Join(dist, "image-"+string(arch)), out.String(), nil
}

// Entry is one entry of an image's flattened filesystem.
type Entry struct {
	Header *tar.Header
	Data   []byte
}

// Entries reads the flattened filesystem, by path without the leading "/".
func Entries(img v1.Image) (map[string]Entry, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	m := map[string]Entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(tr, 256<<20))
		if err != nil {
			return nil, err
		}
		m[strings.TrimSuffix(h.Name, "/")] = Entry{Header: h, Data: data}
	}
}

// Unpack writes img's filesystem under dir (which must exist): files with
// their modes, directories, symbolic links as links. Names that would leave
// dir are refused.
func Unpack(img v1.Image, dir string) error {
	entries, err := Entries(img)
	if err != nil {
		return err
	}
	// Parents first: sorted order puts "a" before "a/b".
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		e := entries[n]
		if !filepath.IsLocal(n) {
			return fmt.Errorf("image entry %q leaves the root", n)
		}
		p := filepath.Join(dir, filepath.FromSlash(n))
		mode := os.FileMode(e.Header.Mode).Perm()
		switch e.Header.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			if e.Header.Mode&0o1000 != 0 {
				mode |= os.ModeSticky
			}
			if err := os.Chmod(p, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(e.Header.Linkname, p); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.WriteFile(p, e.Data, mode); err != nil {
				return err
			}
			if err := os.Chmod(p, mode); err != nil {
				return err
			}
		default:
			return fmt.Errorf("image entry %s has type %c", n, e.Header.Typeflag)
		}
	}
	return nil
}
