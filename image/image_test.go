package image_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/s3archivefs/s3archivefs/image"
	"github.com/s3archivefs/s3archivefs/image/imagetest"
	"github.com/s3archivefs/s3archivefs/layer"
)

var archs = []layer.Arch{layer.X86_64, layer.ARM64}

var errMissing = errors.New("a build tool is not installed")

// builds holds two independent `make image` runs per arch, into two dist
// directories: the first is what the layout tests inspect.
var builds struct {
	dist [2]string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if testing.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "image-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	builds.err = buildAll(dir)
	return m.Run()
}

func buildAll(dir string) error {
	for _, tool := range []string{"make", "apt-get", "dpkg-deb", "zip"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s (make tools)", errMissing, tool)
		}
	}
	b, err := imagetest.NewBuilder(dir)
	if err != nil {
		return err
	}
	// The two arches at once (their .deb caches are apart); the second
	// round after the first, so a cold cache is filled once.
	for i := range builds.dist {
		builds.dist[i] = filepath.Join(dir, fmt.Sprintf("dist%d", i))
		errs := make([]error, len(archs))
		var wg sync.WaitGroup
		for j, arch := range archs {
			wg.Go(func() { _, _, errs[j] = b.Build(arch, builds.dist[i]) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

// built returns the first build's image, layer zip and binaries for arch.
func built(t *testing.T, arch layer.Arch) (img v1.Image, dist string) {
	t.Helper()
	if testing.Short() {
		t.Skip("image: -short (it builds the images)")
	}
	if builds.err != nil {
		if errors.Is(builds.err, errMissing) {
			imagetest.Missing(t, builds.err.Error())
		}
		t.Fatal(builds.err)
	}
	dist = builds.dist[0]
	img, err := image.ReadLayout(filepath.Join(dist, "image-"+string(arch)))
	if err != nil {
		t.Fatal(err)
	}
	return img, dist
}

func TestDigestIsStable(t *testing.T) {
	for _, arch := range archs {
		t.Run(string(arch), func(t *testing.T) {
			img, _ := built(t, arch)
			again, err := image.ReadLayout(filepath.Join(builds.dist[1], "image-"+string(arch)))
			if err != nil {
				t.Fatal(err)
			}
			d1, err := img.Digest()
			if err != nil {
				t.Fatal(err)
			}
			d2, err := again.Digest()
			if err != nil {
				t.Fatal(err)
			}
			size, err := image.CompressedSize(img)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: build 1 %s, build 2 %s, %d bytes compressed", arch, d1, d2, size)
			if d1 != d2 {
				t.Fatalf("two builds of the same source: %s and %s", d1, d2)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	for _, arch := range archs {
		t.Run(string(arch), func(t *testing.T) {
			img, _ := built(t, arch)
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS != "linux" || cf.Architecture != image.Platform(arch) {
				t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, image.Platform(arch))
			}
			if !slices.Equal(cf.Config.Entrypoint, []string{"/var/runtime/bootstrap"}) || len(cf.Config.Cmd) != 0 {
				t.Errorf("entrypoint %q cmd %q, want [/var/runtime/bootstrap] and no cmd", cf.Config.Entrypoint, cf.Config.Cmd)
			}
			if cf.Created.Unix() != 1700000000 {
				t.Errorf("created %v, want SOURCE_DATE_EPOCH", cf.Created)
			}
			m, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			for where, labels := range map[string]map[string]string{"config labels": cf.Config.Labels, "manifest annotations": m.Annotations} {
				if labels[image.LabelVersion] != imagetest.Version || labels[image.LabelRevision] != imagetest.Revision {
					t.Errorf("%s: version %q revision %q, want %q %q", where, labels[image.LabelVersion], labels[image.LabelRevision], imagetest.Version, imagetest.Revision)
				}
			}
			if len(m.Layers) != 1 || m.MediaType != "application/vnd.oci.image.manifest.v1+json" {
				t.Errorf("manifest %s with %d layers, want one OCI layer", m.MediaType, len(m.Layers))
			}
		})
	}
}

// TestFiles checks the root filesystem against the exact set it may hold:
// /opt/lib is the layer zip byte for byte, bootstrap is the function zip's,
// and the base is the loader, glibc and CA bundle, nothing more.
func TestFiles(t *testing.T) {
	for _, arch := range archs {
		t.Run(string(arch), func(t *testing.T) {
			img, dist := built(t, arch)
			entries, err := imagetest.Entries(img)
			if err != nil {
				t.Fatal(err)
			}
			libDir := "lib/" + image.Triplet(arch)
			loader := map[layer.Arch]string{layer.X86_64: "ld-linux-x86-64.so.2", layer.ARM64: "ld-linux-aarch64.so.1"}[arch]
			interp := map[layer.Arch]string{layer.X86_64: "lib64/" + loader, layer.ARM64: "lib/" + loader}[arch]
			want := map[string][]byte{
				"var/runtime/bootstrap":             read(t, filepath.Join(dist, "bootstrap-"+string(arch), "bootstrap")),
				"usr/local/bin/s3archivefs":         read(t, filepath.Join(dist, "s3archivefs-"+string(arch))),
				"etc/ssl/certs/ca-certificates.crt": nil,
				libDir + "/" + loader:               nil,
				libDir + "/libc.so.6":               nil,
				libDir + "/libdl.so.2":              nil,
				libDir + "/libpthread.so.0":         nil,
			}
			zr := openZip(t, read(t, filepath.Join(dist, "layer-"+string(arch)+".zip")))
			for _, f := range zr.File {
				want["opt/"+f.Name] = readZip(t, f)
			}
			var got []string
			for name, e := range entries {
				if e.Header.Uid != 0 || e.Header.Gid != 0 || e.Header.Uname != "" || e.Header.Gname != "" || e.Header.ModTime.Unix() != 1700000000 {
					t.Errorf("%s: owner %d:%d (%q:%q) time %v, want 0:0 and SOURCE_DATE_EPOCH", name, e.Header.Uid, e.Header.Gid, e.Header.Uname, e.Header.Gname, e.Header.ModTime)
				}
				switch e.Header.Typeflag {
				case tar.TypeDir:
					continue
				case tar.TypeSymlink:
					if name != interp || path.Join(path.Dir(name), e.Header.Linkname) != libDir+"/"+loader {
						t.Errorf("symlink %s -> %s; the only link is %s to the loader", name, e.Header.Linkname, interp)
					}
					continue
				}
				got = append(got, name)
				w, ok := want[name]
				if !ok {
					t.Errorf("%s is in the image, outside the expected set", name)
					continue
				}
				if w != nil && !bytes.Equal(w, e.Data) {
					t.Errorf("%s differs from its source (%d bytes, want %d)", name, len(e.Data), len(w))
				}
				wantMode := int64(0o644)
				if strings.HasPrefix(name, "var/") || strings.HasPrefix(name, "usr/") || name == libDir+"/"+loader {
					wantMode = 0o755
				}
				if e.Header.Mode != wantMode {
					t.Errorf("%s has mode %o, want %o", name, e.Header.Mode, wantMode)
				}
			}
			for name := range want {
				if _, ok := entries[name]; !ok {
					t.Errorf("%s is missing", name)
				}
			}
			if _, ok := entries[interp]; !ok {
				t.Errorf("the ELF interpreter %s is missing", interp)
			}
			if e := entries["tmp"]; e.Header == nil || e.Header.Mode != 0o1777 {
				t.Error("/tmp is missing or not 1777")
			}
			if ca := entries["etc/ssl/certs/ca-certificates.crt"].Data; bytes.Count(ca, []byte("BEGIN CERTIFICATE")) < 100 {
				t.Errorf("the CA bundle holds %d certificates", bytes.Count(ca, []byte("BEGIN CERTIFICATE")))
			}
			slices.Sort(got)
			t.Logf("%s: %d files: %s", arch, len(got), strings.Join(got, " "))
		})
	}
}

// TestRootFSRefuses: inputs that cannot make a working image are errors.
func TestRootFSRefuses(t *testing.T) {
	img, dist := built(t, layer.X86_64)
	boot := read(t, filepath.Join(dist, "bootstrap-x86_64", "bootstrap"))
	cli := read(t, filepath.Join(dist, "s3archivefs-x86_64"))
	zipData := read(t, filepath.Join(dist, "layer-x86_64.zip"))
	armBoot := read(t, filepath.Join(builds.dist[0], "bootstrap-arm64", "bootstrap"))
	// The loader is an executable with no interpreter of its own.
	entries, err := imagetest.Entries(img)
	if err != nil {
		t.Fatal(err)
	}
	static := entries["lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"].Data
	tests := []struct {
		name string
		in   image.Inputs
		want string
	}{
		{"wrong machine", image.Inputs{Arch: layer.X86_64, Bootstrap: armBoot, CLI: cli, LayerZip: zipData}, "is EM_AARCH64, want EM_X86_64"},
		{"static bootstrap", image.Inputs{Arch: layer.X86_64, Bootstrap: static, CLI: cli, LayerZip: zipData}, "no ELF interpreter"},
		{"not a zip", image.Inputs{Arch: layer.X86_64, Bootstrap: boot, CLI: cli, LayerZip: []byte("PK nope")}, "not a zip"},
		{"no debian root", image.Inputs{Arch: layer.X86_64, Bootstrap: boot, CLI: cli, LayerZip: zipData, DebRoot: t.TempDir()}, "not found under"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := image.RootFS(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("RootFS() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestTarIsDeterministic(t *testing.T) {
	files := []image.File{
		{Path: "/b/x", Mode: 0o644, Data: []byte("x")},
		{Path: "/a/y", Mode: 0o755, Data: []byte("y")},
		{Path: "/tmp", Mode: os.ModeDir | os.ModeSticky | 0o777},
		{Path: "/b/l", Mode: os.ModeSymlink | 0o777, Data: []byte("x")},
	}
	one, err := image.Tar(files, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	two, err := image.Tar([]image.File{files[3], files[2], files[1], files[0]}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one, two) {
		t.Fatal("Tar depends on the order of its input")
	}
	var names []string
	tr := tar.NewReader(bytes.NewReader(one))
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		names = append(names, fmt.Sprintf("%s:%o", h.Name, h.Mode))
	}
	want := []string{"a/:755", "a/y:755", "b/:755", "b/l:777", "b/x:644", "tmp/:1777"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	for _, bad := range []string{"relative", "/a/../b", "/"} {
		if _, err := image.Tar([]image.File{{Path: bad, Mode: 0o644}}, time.Unix(0, 0)); err == nil {
			t.Errorf("Tar accepted path %q", bad)
		}
	}
	if _, err := image.Tar([]image.File{files[0], files[0]}, time.Unix(0, 0)); err == nil {
		t.Error("Tar accepted a path twice")
	}
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openZip(t *testing.T, data []byte) *zip.Reader {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func readZip(t *testing.T, f *zip.File) []byte {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
