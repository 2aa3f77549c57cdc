// Package image assembles the function's OCI image without a container
// engine: a minimal root filesystem (the glibc and loader bootstrap needs,
// CA certificates, all from Debian packages), /opt/lib with exactly the
// layer zip's contents, bootstrap as the entry point and the operator CLI.
// Every byte is a function of the inputs, so the same source gives the same
// digest.
package image

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/s3archivefs/s3archivefs/layer"
)

// Paths inside the image. Lambda's custom runtimes keep bootstrap in
// /var/runtime and the function in /var/task; /opt is where layers go.
const (
	BootstrapPath = "/var/runtime/bootstrap"
	CLIPath       = "/usr/local/bin/s3archivefs"
	OptLib        = "/opt/lib"
	CABundlePath  = "/etc/ssl/certs/ca-certificates.crt"
	TaskRoot      = "/var/task"
)

// caDir is where Debian's ca-certificates package keeps the Mozilla roots
// that update-ca-certificates concatenates into the bundle.
const caDir = "usr/share/ca-certificates/mozilla"

// File is one entry of the root filesystem. Directories are implied by the
// paths, except those listed with Mode&fs.ModeDir (empty ones such as /tmp).
type File struct {
	Path string      // absolute, clean
	Mode fs.FileMode // permission bits plus fs.ModeDir or fs.ModeSymlink
	Data []byte      // contents; the target for a symlink
}

// Inputs is what the image is made of.
type Inputs struct {
	Arch      layer.Arch
	DebRoot   string // where libc6 and ca-certificates were extracted
	LayerZip  []byte // the layer zip, as deployed for zip functions
	Bootstrap []byte // the function, built for Arch
	CLI       []byte // the operator CLI, built for Arch
}

// RootFS returns the image's files, sorted by path.
func RootFS(in Inputs) ([]File, error) {
	bootInterp, bootNeeded, err := linkage(in.Bootstrap, in.Arch)
	if err != nil {
		return nil, fmt.Errorf("image: bootstrap: %w", err)
	}
	if bootInterp == "" {
		return nil, fmt.Errorf("image: bootstrap has no ELF interpreter; the native engine needs a dynamically linked binary")
	}
	cliInterp, cliNeeded, err := linkage(in.CLI, in.Arch)
	if err != nil {
		return nil, fmt.Errorf("image: CLI: %w", err)
	}
	if cliInterp != "" && cliInterp != bootInterp {
		return nil, fmt.Errorf("image: the CLI wants loader %s, bootstrap %s", cliInterp, bootInterp)
	}
	files := []File{
		{Path: BootstrapPath, Mode: 0o755, Data: in.Bootstrap},
		{Path: CLIPath, Mode: 0o755, Data: in.CLI},
		{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: TaskRoot, Mode: fs.ModeDir | 0o755},
	}
	opt, err := optLib(in.LayerZip)
	if err != nil {
		return nil, err
	}
	files = append(files, opt...)
	// The glibc closure: what bootstrap, the CLI and the layer's libraries
	// need that the layer does not ship, found in the Debian root.
	inLayer := map[string]bool{}
	needed := append(bootNeeded, cliNeeded...)
	for _, f := range opt {
		inLayer[path.Base(f.Path)] = true
		o, err := layer.Inspect(bytes.NewReader(f.Data))
		if err != nil {
			return nil, fmt.Errorf("image: %s: %w", f.Path, err)
		}
		needed = append(needed, o.Needed...)
	}
	libs, err := layer.Closure(in.DebRoot, in.Arch, needed, func(n string) bool { return inLayer[n] })
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	libDir := "/lib/" + Triplet(in.Arch)
	loader := path.Base(bootInterp)
	haveLoader := false
	for _, l := range libs {
		name := path.Base(l.Name)
		mode := fs.FileMode(0o644)
		if name == loader {
			mode, haveLoader = 0o755, true
		}
		files = append(files, File{Path: libDir + "/" + name, Mode: mode, Data: l.Data})
	}
	if !haveLoader {
		return nil, fmt.Errorf("image: the loader %s is not in the glibc closure", loader)
	}
	// PT_INTERP names /lib64/... (x86_64) or /lib/... (arm64); Debian makes
	// it a link into the multiarch directory, and so do we.
	if p := libDir + "/" + loader; bootInterp != p {
		rel, err := filepath.Rel(path.Dir(bootInterp), p)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		files = append(files, File{Path: bootInterp, Mode: fs.ModeSymlink | 0o777, Data: []byte(rel)})
	}
	ca, err := caBundle(in.DebRoot)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: CABundlePath, Mode: 0o644, Data: ca})
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for i := 1; i < len(files); i++ {
		if files[i].Path == files[i-1].Path {
			return nil, fmt.Errorf("image: %s twice", files[i].Path)
		}
	}
	return files, nil
}

// Triplet is Debian's multiarch directory for the architecture.
func Triplet(a layer.Arch) string {
	if a == layer.ARM64 {
		return "aarch64-linux-gnu"
	}
	return "x86_64-linux-gnu"
}

// linkage reads an executable's ELF interpreter ("" when static) and its
// DT_NEEDED entries, and checks its machine.
func linkage(data []byte, arch layer.Arch) (interp string, needed []string, err error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return "", nil, fmt.Errorf("not an ELF file: %w", err)
	}
	defer f.Close()
	if f.Machine != arch.Machine() {
		return "", nil, fmt.Errorf("is %v, want %v", f.Machine, arch.Machine())
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return "", nil, fmt.Errorf("is %v, not an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), 4096))
		if err != nil {
			return "", nil, fmt.Errorf("reading PT_INTERP: %w", err)
		}
		interp = string(bytes.TrimRight(b, "\x00"))
		if !path.IsAbs(interp) || path.Clean(interp) != interp {
			return "", nil, fmt.Errorf("ELF interpreter %q is not a clean absolute path", interp)
		}
	}
	if needed, err = f.ImportedLibraries(); err != nil {
		return "", nil, fmt.Errorf("reading DT_NEEDED: %w", err)
	}
	return interp, needed, nil
}

// optLib is the layer zip as Lambda extracts it into /opt: every entry, with
// the zip's bytes, and nothing else. layer.Extract's rules apply (lib/<file>
// only, bounded sizes), since it is the same zip.
func optLib(zipData []byte) ([]File, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
	if err != nil {
		return nil, fmt.Errorf("image: the layer is not a zip: %w", err)
	}
	dir, err := os.MkdirTemp("", "image-layer-")
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := layer.Extract(zr, dir); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	var files []File
	for _, zf := range zr.File {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(zf.Name)))
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		files = append(files, File{Path: "/opt/" + zf.Name, Mode: 0o644, Data: data})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("image: the layer zip is empty")
	}
	return files, nil
}

// caBundle concatenates the Mozilla roots of Debian's ca-certificates, in
// name order, as update-ca-certificates writes /etc/ssl/certs/ca-certificates.crt.
func caBundle(debRoot string) ([]byte, error) {
	dir := filepath.Join(debRoot, filepath.FromSlash(caDir))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image: CA certificates: %w", err)
	}
	var b bytes.Buffer
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".crt") || !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		if !bytes.Contains(data, []byte("-----BEGIN CERTIFICATE-----")) {
			return nil, fmt.Errorf("image: %s is not a PEM certificate", e.Name())
		}
		b.Write(data)
		if !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	if b.Len() == 0 {
		return nil, fmt.Errorf("image: no certificates under %s", dir)
	}
	return b.Bytes(), nil
}
