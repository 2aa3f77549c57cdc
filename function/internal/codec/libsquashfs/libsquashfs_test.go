package libsquashfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/layer"
)

const kib = 1 << 10

// recipes covers every compressor of the format, through both real tools,
// with default and non-default compressor options.
var recipes = []recipe{
	{name: "gzip", tool: "mksquashfs", comp: "gzip", id: codec.GZIP, blockSize: 128 * kib, blocks: 3},
	{name: "gzip-window10-level3", tool: "mksquashfs", comp: "gzip", id: codec.GZIP, args: []string{"-Xwindow-size", "10", "-Xcompression-level", "3"}, blockSize: 64 * kib, blocks: 3},
	{name: "gzip-gen", tool: "gensquashfs", comp: "gzip", id: codec.GZIP, args: []string{"level=1,window=9"}, blockSize: 128 * kib, blocks: 2},
	{name: "lzma", tool: "gensquashfs", comp: "lzma", id: codec.LZMA, blockSize: 128 * kib, blocks: 2},
	{name: "lzma-dict64k", tool: "gensquashfs", comp: "lzma", id: codec.LZMA, args: []string{"dictsize=64K,lc=2,pb=0"}, blockSize: 64 * kib, blocks: 2},
	{name: "lzo", tool: "mksquashfs", comp: "lzo", id: codec.LZO, blockSize: 128 * kib, blocks: 2},
	{name: "xz", tool: "mksquashfs", comp: "xz", id: codec.XZ, blockSize: 128 * kib, blocks: 3},
	{name: "xz-bcj-x86-dict50", tool: "mksquashfs", comp: "xz", id: codec.XZ, args: []string{"-Xbcj", "x86,arm", "-Xdict-size", "50%"}, blockSize: 128 * kib, blocks: 2},
	{name: "xz-gen-extreme", tool: "gensquashfs", comp: "xz", id: codec.XZ, args: []string{"x86,extreme,dictsize=32K"}, blockSize: 64 * kib, blocks: 2},
	{name: "lz4", tool: "mksquashfs", comp: "lz4", id: codec.LZ4, blockSize: 128 * kib, blocks: 3},
	{name: "lz4-hc", tool: "mksquashfs", comp: "lz4", id: codec.LZ4, args: []string{"-Xhc"}, blockSize: 128 * kib, blocks: 2},
	{name: "zstd", tool: "mksquashfs", comp: "zstd", id: codec.ZSTD, blockSize: 128 * kib, blocks: 3},
	{name: "zstd-19-1m", tool: "mksquashfs", comp: "zstd", id: codec.ZSTD, args: []string{"-Xcompression-level", "19"}, blockSize: 1024 * kib, blocks: 1},
	{name: "zstd-gen", tool: "gensquashfs", comp: "zstd", id: codec.ZSTD, args: []string{"level=3"}, blockSize: 128 * kib, blocks: 2},
}

// fixtures builds each recipe once per test binary run.
var fixtures = sync.OnceValues(func() (map[string]fixture, error) {
	m := map[string]fixture{}
	for _, r := range recipes {
		f, err := build(fixtureDir, r)
		if err != nil {
			return nil, err
		}
		m[r.name] = f
	}
	return m, nil
})

func fixtureFor(t *testing.T, name string) fixture {
	t.Helper()
	m, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	return m[name]
}

func load(t testing.TB) *Engine {
	t.Helper()
	e, err := Load(layerLib)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestParity decodes every data block of every fixture with the native
// engine (from the layer) and with codec.Go and expects the file's bytes
// from both; the first inode-table metadata block must decode identically.
func TestParity(t *testing.T) {
	native := load(t)
	engines := []codec.Engine{withFallback{native}, codec.Go}
	for _, r := range recipes {
		t.Run(r.name, func(t *testing.T) {
			f := fixtureFor(t, r.name)
			if r.id == codec.LZO {
				if _, err := native.NewDecoder(r.id, f.options); !errors.Is(err, codec.ErrUnsupported) {
					t.Fatalf("native lzo: err = %v, want ErrUnsupported (Debian's libsquashfs has no LZO)", err)
				}
			}
			var metas [][]byte
			for _, e := range engines {
				d, err := e.NewDecoder(r.id, f.options)
				if err != nil {
					t.Fatalf("%s: %v", e.Name(), err)
				}
				compressed := 0
				for i, b := range f.blocks {
					want := f.data[i*r.blockSize : (i+1)*r.blockSize]
					src := f.image[b.off : b.off+b.size]
					if !b.compressed {
						continue
					}
					compressed++
					dst := make([]byte, r.blockSize)
					n, err := d.Decode(dst, src)
					if err != nil {
						t.Fatalf("%s block %d: %v", e.Name(), i, err)
					}
					if !bytes.Equal(dst[:n], want) {
						t.Fatalf("%s block %d: %d bytes differ from the file's", e.Name(), i, n)
					}
				}
				if compressed == 0 {
					t.Fatal("no compressed block: the fixture proves nothing")
				}
				if f.meta[1]&0x80 == 0 {
					dst := make([]byte, 8192)
					n, err := d.Decode(dst, f.meta[2:])
					if err != nil {
						t.Fatalf("%s metadata block: %v", e.Name(), err)
					}
					metas = append(metas, dst[:n])
				}
			}
			if len(metas) == 2 && !bytes.Equal(metas[0], metas[1]) {
				t.Fatal("native and go decode the metadata block differently")
			}
		})
	}
}

func TestDecodeRejectsBadBlocks(t *testing.T) {
	native := load(t)
	for _, name := range []string{"gzip", "lzma", "xz", "lz4", "zstd"} {
		f := fixtureFor(t, name)
		b := f.blocks[0]
		src := f.image[b.off : b.off+b.size]
		d, err := native.NewDecoder(f.id, f.options)
		if err != nil {
			t.Fatal(err)
		}
		garbage := bytes.Repeat([]byte{0xa5, 0x17, 0xff, 0x00}, 64)
		tests := []struct {
			name     string
			dst, src []byte
		}{
			{"empty src", make([]byte, f.blockSize), nil},
			{"empty dst", nil, src},
			{"dst one byte short", make([]byte, f.blockSize-1), src},
			{"truncated", make([]byte, f.blockSize), src[:len(src)/2]},
			{"garbage", make([]byte, f.blockSize), garbage},
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				n, err := d.Decode(tt.dst, tt.src)
				if !errors.Is(err, codec.ErrCorrupt) || n != 0 {
					t.Fatalf("Decode() = %d, %v; want 0, ErrCorrupt", n, err)
				}
			})
		}
		// The decoder still works after its failures.
		dst := make([]byte, f.blockSize)
		if n, err := d.Decode(dst, src); err != nil || !bytes.Equal(dst[:n], f.data[:f.blockSize]) {
			t.Fatalf("%s: good block after bad ones: %d, %v", name, n, err)
		}
	}
}

func TestNewDecoderOptions(t *testing.T) {
	native := load(t)
	tests := []struct {
		name    string
		id      codec.ID
		options []byte
		want    error
	}{
		{"gzip defaults", codec.GZIP, nil, nil},
		{"gzip level 9 window 15", codec.GZIP, []byte{9, 0, 0, 0, 15, 0, 0, 0}, nil},
		{"gzip short", codec.GZIP, []byte{9, 0, 0, 0}, codec.ErrCorrupt},
		{"gzip window 16", codec.GZIP, []byte{9, 0, 0, 0, 16, 0, 0, 0}, codec.ErrCorrupt},
		{"lzma with options", codec.LZMA, []byte{1, 2, 3, 4}, codec.ErrCorrupt},
		{"xz dict 4k", codec.XZ, []byte{0, 16, 0, 0, 0, 0, 0, 0}, nil},
		{"xz dict 2k", codec.XZ, []byte{0, 8, 0, 0, 0, 0, 0, 0}, codec.ErrCorrupt},
		{"xz dict 2m", codec.XZ, []byte{0, 0, 32, 0, 0, 0, 0, 0}, codec.ErrCorrupt},
		{"xz unknown filter", codec.XZ, []byte{0, 0, 1, 0, 0x40, 0, 0, 0}, codec.ErrUnsupported},
		{"lz4 version 2", codec.LZ4, []byte{2, 0, 0, 0, 0, 0, 0, 0}, codec.ErrUnsupported},
		{"zstd level 0", codec.ZSTD, []byte{0, 0, 0, 0}, codec.ErrCorrupt},
		{"zstd level 19", codec.ZSTD, []byte{19, 0, 0, 0}, nil},
		{"lzo not in the library", codec.LZO, nil, codec.ErrUnsupported},
		{"unknown compressor", codec.ID(9), nil, codec.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := native.NewDecoder(tt.id, tt.options)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("NewDecoder() = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestConcurrentDecode shares one decoder between goroutines (run with
// -race): every result must be right and the idle pool stays bounded.
func TestConcurrentDecode(t *testing.T) {
	f := fixtureFor(t, "zstd")
	d, err := load(t).NewDecoder(f.id, f.options)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			dst := make([]byte, f.blockSize)
			for i := range 20 {
				k := (g + i) % len(f.blocks)
				b := f.blocks[k]
				n, err := d.Decode(dst, f.image[b.off:b.off+b.size])
				if err != nil || !bytes.Equal(dst[:n], f.data[k*f.blockSize:(k+1)*f.blockSize]) {
					errs <- fmt.Errorf("goroutine %d block %d: %d, %v", g, k, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	dd := d.(*decoder)
	if len(dd.idle) > cap(dd.idle) || len(dd.idle) == 0 {
		t.Errorf("idle pool holds %d of %d", len(dd.idle), cap(dd.idle))
	}
}

func TestLoadErrors(t *testing.T) {
	notELF := t.TempDir()
	if err := os.WriteFile(filepath.Join(notELF, Soname), []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A real library without libsquashfs's symbols.
	noSyms := t.TempDir()
	z, err := os.ReadFile(filepath.Join(layerLib, "libz.so.1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noSyms, Soname), z, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, dir, want string }{
		{"missing", t.TempDir(), "no such file"},
		{"not an ELF", notELF, "libsquashfs: " + filepath.Join(notELF, Soname)},
		{"no symbols", noSyms, "has no symbol sqfs_compressor_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	missing := t.TempDir()
	tests := []struct {
		mode, dir  string
		wantEngine string
		wantErr    string
		wantLog    string
	}{
		{"go", layerLib, "go", "", `"engine":"go"`},
		{"native", layerLib, "native", "", `"engine":"native"`},
		{"auto", layerLib, "native", "", `"go_for":"gzip"`},
		{"auto", missing, "go", "", `"native_error":"libsquashfs:`},
		{"native", missing, "", "S3ARCHIVEFS_ENGINE=native: libsquashfs:", ""},
		{"fast", layerLib, "", `S3ARCHIVEFS_ENGINE="fast"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"/"+filepath.Base(tt.dir), func(t *testing.T) {
			var log bytes.Buffer
			e, err := Select(tt.mode, tt.dir, slog.New(slog.NewJSONHandler(&log, nil)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Select() = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Name() != tt.wantEngine {
				t.Errorf("engine %s, want %s", e.Name(), tt.wantEngine)
			}
			if !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log %q lacks %q", log.String(), tt.wantLog)
			}
			// gzip decodes in Go unless native is asked for; zstd natively
			// whenever the library loads.
			for id, want := range map[codec.ID]bool{codec.GZIP: tt.mode == "native", codec.ZSTD: tt.wantEngine == "native"} {
				if got := isNative(t, e, id); got != want {
					t.Errorf("%v decoder native = %v, want %v", id, got, want)
				}
			}
		})
	}
}

// isNative says whether e's decoder for id is another than the Go engine's.
func isNative(t *testing.T, e codec.Engine, id codec.ID) bool {
	d, err := e.NewDecoder(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := codec.Go.NewDecoder(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return reflect.TypeOf(d) != reflect.TypeOf(g)
}

// TestLoadedFromLayer checks, in this process, that Load(dir) mapped
// libsquashfs and its dependencies from dir and not the copies this machine
// has in its system library path.
func TestLoadedFromLayer(t *testing.T) {
	load(t)
	maps := mappedLibs(t, "/proc/self/maps")
	for _, name := range []string{Soname, "liblzma.so.5", "libz.so.1", "liblz4.so.1", "libzstd.so.1"} {
		fromLayer := false
		for _, p := range maps[name] {
			fromLayer = fromLayer || filepath.Dir(p) == layerLib
			if strings.HasPrefix(p, "/usr/") || strings.HasPrefix(p, "/lib") {
				t.Errorf("%s mapped from the system: %s", name, p)
			}
		}
		if !fromLayer {
			t.Errorf("%s not mapped from %s: %v", name, layerLib, maps[name])
		}
	}
}

// mappedLibs reads a maps file: shared-object base name -> the paths mapped.
func mappedLibs(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseMaps(data)
}

func parseMaps(data []byte) map[string][]string {
	m := map[string][]string{}
	seen := map[string]bool{}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 6 || !strings.Contains(fields[5], ".so") || seen[fields[5]] {
			continue
		}
		seen[fields[5]] = true
		base := filepath.Base(fields[5])
		m[base] = append(m[base], fields[5])
	}
	return m
}

const childEnv = "LIBSQUASHFS_TEST_CHILD"

// TestLayerLoadsAlone runs a child with LD_LIBRARY_PATH set to the layer's
// lib/ and nothing else, as Lambda would find it in /opt/lib: the child
// loads libsquashfs by SONAME through the dynamic loader, decodes a block,
// and reports its mappings. Every shared object it mapped must come from the
// layer or be one the runtime provides (layer/al2023-base-libs.txt).
func TestLayerLoadsAlone(t *testing.T) {
	f := fixtureFor(t, "xz")
	dir := t.TempDir()
	b := f.blocks[0]
	src, want := filepath.Join(dir, "src"), filepath.Join(dir, "want")
	if err := os.WriteFile(src, f.image[b.off:b.off+b.size], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, f.data[:f.blockSize], 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LD_LIBRARY_PATH=") && !strings.HasPrefix(kv, "LD_PRELOAD=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+layerLib, childEnv+"="+src+":"+want)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	body, maps, ok := bytes.Cut(out, []byte("decoded ok\n"))
	if !ok {
		t.Fatalf("child did not decode:\n%s", out)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		t.Logf("child said: %s", body)
	}
	bf, err := os.Open("../../../../layer/al2023-base-libs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	base, err := layer.ReadBaseLibs(bf)
	if err != nil {
		t.Fatal(err)
	}
	libs := parseMaps(maps)
	if p := libs[Soname]; len(p) != 1 || filepath.Dir(p[0]) != layerLib {
		t.Errorf("%s mapped from %v, want %s", Soname, p, layerLib)
	}
	for name, paths := range libs {
		for _, p := range paths {
			if filepath.Dir(p) != layerLib && !base[name] {
				t.Errorf("child mapped %s, neither from the layer nor a runtime library", p)
			}
		}
	}
}

// child is the body of TestLayerLoadsAlone's subprocess.
func child() int {
	srcPath, wantPath, _ := strings.Cut(os.Getenv(childEnv), ":")
	fail := func(err error) int {
		fmt.Println("child:", err)
		return 1
	}
	e, err := Load("")
	if err != nil {
		return fail(err)
	}
	src, err := os.ReadFile(srcPath)
	if err != nil {
		return fail(err)
	}
	want, err := os.ReadFile(wantPath)
	if err != nil {
		return fail(err)
	}
	d, err := e.NewDecoder(codec.XZ, nil)
	if err != nil {
		return fail(err)
	}
	dst := make([]byte, len(want))
	n, err := d.Decode(dst, src)
	if err != nil {
		return fail(err)
	}
	if !bytes.Equal(dst[:n], want) {
		return fail(errors.New("decoded bytes differ"))
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return fail(err)
	}
	fmt.Print("decoded ok\n")
	os.Stdout.Write(maps)
	return 0
}

// TestHugeDictionaryRejected: an LZMA header claiming a 4 GiB dictionary
// must fail at once (libsquashfs caps liblzma's memory), not allocate it.
func TestHugeDictionaryRejected(t *testing.T) {
	d, err := load(t).NewDecoder(codec.LZMA, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := append([]byte{0x5d, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0, 0, 0, 0, 0}, make([]byte, 64)...)
	if n, err := d.Decode(make([]byte, 1<<20), src); !errors.Is(err, codec.ErrCorrupt) {
		t.Fatalf("Decode() = %d, %v; want ErrCorrupt", n, err)
	}
}
