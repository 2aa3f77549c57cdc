package layer_test

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/s3archivefs/s3archivefs/layer"
)

// built holds the layer zips build.sh produced for this test run, by arch.
var built = map[layer.Arch][]byte{}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "layer-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	tool := filepath.Join(dir, "layertool")
	if out, err := exec.Command("go", "build", "-o", tool, "./cmd/layertool").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building layertool: %v\n%s", err, out)
		return 1
	}
	os.Setenv("LAYERTOOL", tool)
	for _, arch := range []layer.Arch{layer.X86_64, layer.ARM64} {
		data, err := buildLayer(arch, filepath.Join(dir, string(arch)+".zip"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		built[arch] = data
	}
	return m.Run()
}

// buildLayer runs the real build script; once the .debs are cached it works
// offline in a few seconds.
func buildLayer(arch layer.Arch, out string) ([]byte, error) {
	cmd := exec.Command("./build.sh", string(arch), out)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("layer/build.sh %s: %w\n%s", arch, err, log.String())
	}
	return os.ReadFile(out)
}

func readBase(t *testing.T) layer.BaseLibs {
	t.Helper()
	f, err := os.Open("al2023-base-libs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := layer.ReadBaseLibs(f)
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

func files(t *testing.T, data []byte) []layer.File {
	t.Helper()
	var fs []layer.File
	for _, f := range openZip(t, data).File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(r); err != nil {
			t.Fatal(err)
		}
		r.Close()
		fs = append(fs, layer.File{Name: f.Name, Data: b.Bytes()})
	}
	return fs
}

func zipOf(t *testing.T, fs []layer.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := layer.WriteZip(&buf, fs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBuiltLayersPassCheck(t *testing.T) {
	base := readBase(t)
	for arch, data := range built {
		t.Run(string(arch), func(t *testing.T) {
			zr := openZip(t, data)
			if err := layer.Check(zr, arch, base); err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, f := range zr.File {
				names[f.Name] = true
			}
			// libsquashfs's real dependencies, as its ELF says; glibc stays out.
			for _, want := range []string{"lib/libsquashfs.so.1", "lib/liblzma.so.5", "lib/libz.so.1", "lib/liblz4.so.1", "lib/libzstd.so.1"} {
				if !names[want] {
					t.Errorf("%s missing from the layer", want)
				}
			}
			if names["lib/libc.so.6"] {
				t.Error("the layer ships libc.so.6, which the runtime provides")
			}
		})
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	again, err := buildLayer(layer.X86_64, filepath.Join(t.TempDir(), "again.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, built[layer.X86_64]) {
		t.Fatal("two builds from the same packages gave different bytes")
	}
	// Order of the input must not matter either.
	fs := files(t, again)
	rev := make([]layer.File, len(fs))
	for i, f := range fs {
		rev[len(fs)-1-i] = f
	}
	if !bytes.Equal(zipOf(t, rev), again) {
		t.Fatal("WriteZip depends on the order of its input")
	}
}

// TestCheckFindsProblems breaks a real layer in one way at a time and expects
// Check to name the problem.
func TestCheckFindsProblems(t *testing.T) {
	base := readBase(t)
	good := files(t, built[layer.X86_64])
	armLzma := find(t, files(t, built[layer.ARM64]), "lib/liblzma.so.5")

	tests := []struct {
		name   string
		mutate func([]layer.File) []layer.File
		want   string
	}{
		{"missing dependency", func(fs []layer.File) []layer.File {
			return without(fs, "lib/liblzma.so.5")
		}, "needs liblzma.so.5, which is neither in the layer"},
		{"missing root", func(fs []layer.File) []layer.File {
			return without(fs, "lib/libsquashfs.so.1")
		}, "lib/libsquashfs.so.1 is missing"},
		{"wrong name", func(fs []layer.File) []layer.File {
			z := find(t, fs, "lib/libz.so.1")
			return append(without(fs, "lib/libz.so.1"), layer.File{Name: "lib/libz.so.1.2.13", Data: z.Data})
		}, `has SONAME "libz.so.1"`},
		{"wrong machine", func(fs []layer.File) []layer.File {
			return append(without(fs, "lib/liblzma.so.5"), armLzma)
		}, "is EM_AARCH64, want EM_X86_64"},
		{"glibc too new", func(fs []layer.File) []layer.File {
			z := find(t, fs, "lib/liblzma.so.5")
			// Same length, so the ELF stays well formed.
			data := bytes.Replace(z.Data, []byte("GLIBC_2.34"), []byte("GLIBC_2.38"), 1)
			if bytes.Equal(data, z.Data) {
				t.Fatal("liblzma.so.5 has no GLIBC_2.34 reference to rewrite")
			}
			return append(without(fs, "lib/liblzma.so.5"), layer.File{Name: "lib/liblzma.so.5", Data: data})
		}, "requires libc.so.6:GLIBC_2.38, newer than the runtime's glibc 2.34"},
		{"not an ELF", func(fs []layer.File) []layer.File {
			return append(fs, layer.File{Name: "lib/README", Data: []byte("hello")})
		}, "not an ELF file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := layer.Check(openZip(t, zipOf(t, tt.mutate(clone(good)))), layer.X86_64, base)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckRejectsPathsOutsideLib(t *testing.T) {
	base := readBase(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"lib/libsquashfs.so.1", "opt/lib/liblzma.so.5", "lib/../x.so", "libz.so.1"} {
		if _, err := zw.Create(name); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	err := layer.Check(openZip(t, buf.Bytes()), layer.X86_64, base)
	for _, want := range []string{`"opt/lib/liblzma.so.5" is not lib/<file>`, `"lib/../x.so" is not lib/<file>`, `"libz.so.1" is not lib/<file>`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v, want an error containing %q", err, want)
		}
	}
	if err := layer.WriteZip(&bytes.Buffer{}, []layer.File{{Name: "lib/a/b.so"}}); err == nil {
		t.Error("WriteZip accepted lib/a/b.so")
	}
}

func TestExtract(t *testing.T) {
	dir := t.TempDir()
	if err := layer.Extract(openZip(t, built[layer.X86_64]), dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range files(t, built[layer.X86_64]) {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s differs after extraction", f.Name)
		}
	}
}

func TestGlibcViolations(t *testing.T) {
	need := func(deps ...string) layer.Object {
		n := elf.DynamicVersionNeed{Name: "libc.so.6"}
		for _, d := range deps {
			n.Needs = append(n.Needs, elf.DynamicVersionDep{Dep: d})
		}
		return layer.Object{Needs: []elf.DynamicVersionNeed{n}}
	}
	tests := []struct {
		name string
		o    layer.Object
		want []string
	}{
		{"old enough", need("GLIBC_2.2.5", "GLIBC_2.14", "GLIBC_2.34"), nil},
		{"newer", need("GLIBC_2.33", "GLIBC_2.35"), []string{"libc.so.6:GLIBC_2.35"}},
		{"minor compared as number", need("GLIBC_2.4", "GLIBC_2.100"), []string{"libc.so.6:GLIBC_2.100"}},
		{"private", need("GLIBC_PRIVATE"), []string{"libc.so.6:GLIBC_PRIVATE"}},
		{"other namespaces ignored", need("XZ_5.0", "GCC_3.0"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.o.GlibcViolations(layer.MaxGlibc)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := need("GLIBC_2.x").GlibcViolations(layer.MaxGlibc); err == nil {
		t.Error("GLIBC_2.x accepted")
	}
}

func TestReadBaseLibs(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"# c\nlibc.so.6 # glibc\n\nlibm.so.6\n", 2, false},
		{"libc.so.6 libm.so.6\n", 0, true},
		{"/lib64/libc.so.6\n", 0, true},
		{"glibc\n", 0, true},
		{"# nothing\n", 0, true},
	}
	for _, tt := range tests {
		b, err := layer.ReadBaseLibs(strings.NewReader(tt.in))
		if (err != nil) != tt.wantErr || len(b) != tt.want {
			t.Errorf("ReadBaseLibs(%q) = %v, %v", tt.in, b, err)
		}
	}
}

func TestParseArch(t *testing.T) {
	for in, want := range map[string]elf.Machine{"arm64": elf.EM_AARCH64, "x86_64": elf.EM_X86_64} {
		a, err := layer.ParseArch(in)
		if err != nil || a.Machine() != want {
			t.Errorf("ParseArch(%q) = %v, %v", in, a, err)
		}
	}
	for _, in := range []string{"amd64", "aarch64", ""} {
		if _, err := layer.ParseArch(in); err == nil {
			t.Errorf("ParseArch(%q) accepted", in)
		}
	}
}

// TestCollectStaysInRoot checks that an absolute symlink in the extracted
// packages is read inside the staging root, never from the build machine.
func TestCollectStaysInRoot(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("symlink layout is Linux's")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "usr", "lib", "x86_64-linux-gnu")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// An absolute link to a path that exists on the host but not in root.
	if err := os.Symlink("/usr/lib/x86_64-linux-gnu/libsquashfs.so.1.4.0", filepath.Join(dir, "libsquashfs.so.1")); err != nil {
		t.Fatal(err)
	}
	_, err := layer.Collect(root, layer.X86_64, readBase(t))
	if err == nil || !strings.Contains(err.Error(), "not found under") {
		t.Fatalf("Collect() = %v, want not found under the root", err)
	}
}

func find(t *testing.T, fs []layer.File, name string) layer.File {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("%s not in the layer", name)
	return layer.File{}
}

func without(fs []layer.File, name string) []layer.File {
	var out []layer.File
	for _, f := range fs {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

func clone(fs []layer.File) []layer.File { return append([]layer.File(nil), fs...) }
