package image_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/image"
	"github.com/s3archivefs/s3archivefs/image/imagetest"
	"github.com/s3archivefs/s3archivefs/layer"
	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const archiveBucket = "archives"

// compressors: every one the format has, each archive decoded by the
// image's own /opt/lib under S3ARCHIVEFS_ENGINE=native. LZO is the one
// libsquashfs lacks; the native engine hands it to the Go decoder.
var compressors = []struct {
	name string
	tool fixture.Tool
}{
	{"gzip", fixture.Mksquashfs},
	{"lzma", fixture.Gensquashfs}, // mksquashfs does not write lzma
	{"lzo", fixture.Mksquashfs},
	{"xz", fixture.Mksquashfs},
	{"lz4", fixture.Mksquashfs},
	{"zstd", fixture.Mksquashfs},
}

// runTree is small on purpose (the arm64 run is emulated): a file of three
// data blocks and a tail, a file in a fragment, a nested one.
var runTree = fixture.Tree{Name: "image-run", Seed: 1313, Nodes: []fixture.Node{
	{Path: "blocks.txt", Size: 3*(64<<10) + 1000, Text: true},
	{Path: "small.txt", Size: 700, Text: true},
	{Path: "sub/dir/nested.bin", Size: 5000},
}}

// TestImageServes unpacks each image and runs its own bootstrap from it
// behind the local Object Lambda endpoint and versitygw: a GET of every file
// of an archive per compressor, a Range GET, a HEAD and a listing; in the
// chroot, the image's CLI lists an archive too. Two ways,
// both with only the image's loader, glibc and /opt/lib:
//
//	chroot  chroot ROOT /var/runtime/bootstrap, the image's own paths (PT_INTERP,
//	        the default /opt/lib); arm64 through qemu-aarch64-static copied into
//	        the test's unpacked tree (no binfmt_misc needed). Needs root.
//	loader  ROOT/<PT_INTERP> --inhibit-cache --library-path ROOT/lib/<triplet>
//	        ROOT/var/runtime/bootstrap, S3ARCHIVEFS_NATIVE_LIB_DIR=ROOT/opt/lib;
//	        arm64 with qemu-aarch64-static in front. Any user.
func TestImageServes(t *testing.T) {
	for _, arch := range archs {
		for _, mode := range []string{"chroot", "loader"} {
			t.Run(string(arch)+"/"+mode, func(t *testing.T) {
				img, _ := built(t, arch)
				imagetest.NeedTools(t, "mksquashfs", "gensquashfs", "versitygw")
				if mode == "chroot" && os.Geteuid() != 0 {
					t.Skip("chroot needs root; the loader run covers this image for other users")
				}
				var emulator string
				if image.Platform(arch) != runtime.GOARCH {
					if arch != layer.ARM64 || runtime.GOARCH != "amd64" {
						t.Skipf("no emulator for %s on %s", arch, runtime.GOARCH)
					}
					imagetest.NeedTools(t, "qemu-aarch64-static")
					emulator, _ = exec.LookPath("qemu-aarch64-static")
				}
				start := time.Now()
				root := filepath.Join(t.TempDir(), "rootfs")
				if err := os.Mkdir(root, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := imagetest.Unpack(img, root); err != nil {
					t.Fatal(err)
				}
				l := loaderLaunch(root, arch, emulator)
				if mode == "chroot" {
					var err error
					if l, err = chrootLaunch(root, emulator); err != nil {
						t.Fatal(err)
					}
				}
				s := startImageStack(t, root, l)
				t.Logf("%s %s: unpacked and serving in %v", arch, mode, time.Since(start).Round(time.Millisecond))
				s.checkRequests(t)
				s.checkEngine(t, l.libDir)
				t.Logf("%s %s: %d requests answered in %v (emulated: %v)", arch, mode, s.requests, time.Since(start).Round(time.Millisecond), emulator != "")
				if mode == "chroot" {
					s.checkCLI(t, l)
				}
			})
		}
	}
}

// launch is how the endpoint starts the image's bootstrap, and the paths as
// the bootstrap sees them.
type launch struct {
	binary   string
	args     []string
	libDir   string // S3ARCHIVEFS_NATIVE_LIB_DIR
	cacheDir string // S3ARCHIVEFS_CACHE_DIR
}

func chrootLaunch(root, emulator string) (launch, error) {
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		return launch{}, err
	}
	l := launch{binary: chroot, args: []string{root}, libDir: "/opt/lib", cacheDir: "/tmp/s3archivefs-cache"}
	if emulator != "" {
		// Not part of the image: the test's copy only.
		if err := copyFile(filepath.Join(root, ".qemu", "qemu-aarch64-static"), emulator, 0o755); err != nil {
			return launch{}, err
		}
		l.args = append(l.args, "/.qemu/qemu-aarch64-static")
	}
	l.args = append(l.args, "/var/runtime/bootstrap")
	return l, nil
}

func loaderLaunch(root string, arch layer.Arch, emulator string) launch {
	interp := map[layer.Arch]string{layer.X86_64: "lib64/ld-linux-x86-64.so.2", layer.ARM64: "lib/ld-linux-aarch64.so.1"}[arch]
	args := []string{"--inhibit-cache", "--library-path", filepath.Join(root, "lib", image.Triplet(arch)), filepath.Join(root, "var", "runtime", "bootstrap")}
	l := launch{binary: filepath.Join(root, interp), args: args,
		libDir: filepath.Join(root, "opt", "lib"), cacheDir: filepath.Join(root, "tmp", "s3archivefs-cache")}
	if emulator != "" {
		l.binary, l.args = emulator, append([]string{l.binary}, args...)
	}
	return l
}

// TestEmulatedArm64Codec runs the codec package's own load tests and decode
// benchmark, cross-compiled for arm64, under qemu-aarch64-static with the
// arm64 image as the library root (-L: its loader and glibc) and the arm64
// layer zip (byte-identical to the image's /opt/lib, see TestFiles). The
// benchmark asks the native engine directly, without the Go fallback, so each
// compressor libsquashfs supports must report a decode of four 1 MiB blocks;
// LZO must be the only skip. The decoded bytes are checked by
// TestImageServes, whose arm64 bootstrap serves an archive per compressor.
func TestEmulatedArm64Codec(t *testing.T) {
	img, dist := built(t, layer.ARM64)
	if runtime.GOARCH != "amd64" {
		t.Skipf("the emulated run is for amd64 hosts; this is %s", runtime.GOARCH)
	}
	imagetest.NeedTools(t, "qemu-aarch64-static", "mksquashfs", "gensquashfs")
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := imagetest.Unpack(img, root); err != nil {
		t.Fatal(err)
	}
	pkgDir := filepath.Join(imagetest.Repo(), "function", "internal", "codec", "libsquashfs")
	bin := filepath.Join(dir, "libsquashfs-arm64.test")
	start := time.Now()
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir = pkgDir
	build.Env = append(os.Environ(), "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cross-compiling the codec tests: %v\n%s", err, out)
	}
	compiled := time.Since(start)
	start = time.Now()
	cmd := exec.Command("qemu-aarch64-static", "-L", root, bin,
		"-test.run", "^(TestNewDecoderOptions|TestLoadedFromLayer)$",
		"-test.bench", "^BenchmarkDecode$/./^native$", "-test.benchtime", "1x", "-test.v")
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "S3ARCHIVEFS_LAYER_ZIP="+filepath.Join(dist, "layer-arm64.zip"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("emulated codec tests: %v\n%s", err, out)
	}
	t.Logf("arm64 codec tests: compiled in %v, ran under qemu in %v", compiled.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "BenchmarkDecode/") && strings.Contains(line, "MB/s") {
			t.Log(strings.Join(strings.Fields(line), " "))
		}
	}
	for _, c := range compressors {
		decoded := regexp.MustCompile(`(?m)^BenchmarkDecode/` + c.name + `/native-\d+\s+1\s+\d+ ns/op`).Match(out)
		if c.name == "lzo" {
			if decoded || !bytes.Contains(out, []byte("--- SKIP: BenchmarkDecode/lzo/native")) {
				t.Errorf("lzo: the layer's libsquashfs was expected to lack it (Debian builds it without LZO)")
			}
			continue
		}
		if !decoded {
			t.Errorf("%s: the arm64 libsquashfs did not decode natively:\n%s", c.name, out)
		}
	}
	if !bytes.Contains(out, []byte("--- PASS: TestNewDecoderOptions")) || !bytes.Contains(out, []byte("--- PASS: TestLoadedFromLayer")) {
		t.Errorf("the codec tests did not all run:\n%s", out)
	}
}

type imageStack struct {
	s3env    []string // what a client of the S3 server needs (AWS_*)
	client   *s3.Client
	sources  map[string]string // compressor -> the fixture's source directory
	logPath  string
	requests int
}

func startImageStack(t *testing.T, root string, l launch) *imageStack {
	t.Helper()
	ctx := t.Context()
	srv := s3test.StartT(t, s3test.Options{})
	for _, b := range []string{archiveBucket, "supporting"} {
		if err := srv.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	s := &imageStack{s3env: srv.Env(), sources: map[string]string{}, logPath: filepath.Join(t.TempDir(), "function.log")}
	vars := []string{"S3ARCHIVEFS_ENGINE=native", "S3ARCHIVEFS_NATIVE_LIB_DIR=" + l.libDir, "S3ARCHIVEFS_CACHE_DIR=" + l.cacheDir}
	for i, c := range compressors {
		archive, src := fixture.Build(t, fixture.Recipe{Tree: runTree, Tool: c.tool, Compressor: c.name, BlockSize: 64 << 10})
		if err := srv.PutFile(ctx, archiveBucket, c.name+".sqfs", archive, nil); err != nil {
			t.Fatal(err)
		}
		s.sources[c.name] = src
		vars = append(vars, fmt.Sprintf("S3ARCHIVEFS_PREFIX_VMAP%d=%s|s3://%s/%s.sqfs", i+1, c.name, archiveBucket, c.name))
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp", "s3archivefs-cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	ep, err := olaplocal.StartServer(olaplocal.ServerConfig{
		Addr: "127.0.0.1:0",
		Endpoint: olaplocal.Config{Bucket: olaplocal.DefaultBucket, Upstream: olaplocal.Upstream{
			Endpoint: srv.Endpoint(), Bucket: "supporting",
			AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey}},
		Binary:          l.binary,
		Args:            l.args,
		FunctionTimeout: 2 * time.Minute, // emulated start-up is slow
		FunctionVars:    vars,
		FunctionOutput:  logFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	s.client = s3.New(s3.Options{
		Region:       s3test.DefaultRegion,
		BaseEndpoint: aws.String(ep.URL()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, ""),
		Retryer:      aws.NopRetryer{},
	})
	return s
}

func (s *imageStack) checkRequests(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	bucket := aws.String(olaplocal.DefaultBucket)
	for _, c := range compressors {
		for _, name := range []string{"blocks.txt", "small.txt", "sub/dir/nested.bin"} {
			want, err := os.ReadFile(filepath.Join(s.sources[c.name], filepath.FromSlash(name)))
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(c.name + "/" + name)})
			s.requests++
			if err != nil {
				t.Fatalf("GET %s/%s: %v\n%s", c.name, name, err, s.tail(t))
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("GET %s/%s: %d bytes (%v), want the file's %d", c.name, name, len(got), err, len(want))
			}
		}
	}
	src, err := os.ReadFile(filepath.Join(s.sources["zstd"], "blocks.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// A range across a block boundary: two blocks decoded.
	lo, hi := (64<<10)-100, (64<<10)+99
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("zstd/blocks.txt"),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", lo, hi))})
	s.requests++
	if err != nil {
		t.Fatalf("Range GET: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, src[lo:hi+1]) || aws.ToString(out.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", lo, hi, len(src)) {
		t.Fatalf("Range GET: %d bytes, Content-Range %q (%v)", len(got), aws.ToString(out.ContentRange), err)
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("xz/blocks.txt")})
	s.requests++
	if err != nil {
		t.Fatalf("HEAD: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(src)) || aws.ToString(head.ETag) == "" {
		t.Fatalf("HEAD: length %d etag %q, want %d and an ETag", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), len(src))
	}
	list, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String("lz4/")})
	s.requests++
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if want := []string{"lz4/blocks.txt", "lz4/small.txt", "lz4/sub/dir/nested.bin"}; !slices.Equal(keys, want) {
		t.Fatalf("LIST lz4/: %v, want %v", keys, want)
	}
}

// checkCLI runs the image's operator CLI the same way as bootstrap (chroot,
// emulator): it lists an archive straight from the S3 server, its metadata
// decoded by the image's /opt/lib (--engine native).
func (s *imageStack) checkCLI(t *testing.T, l launch) {
	t.Helper()
	args := append(slices.Clone(l.args[:len(l.args)-1]), "/usr/local/bin/s3archivefs", "ls", "--engine", "native", "s3://"+archiveBucket+"/zstd.sqfs")
	cmd := exec.CommandContext(t.Context(), l.binary, args...)
	cmd.Env = append([]string{"HOME=/tmp", "PATH=/usr/local/bin:/usr/bin:/bin"}, s.s3env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the image's s3archivefs ls: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); !slices.Equal(got, []string{"blocks.txt", "small.txt", "sub"}) {
		t.Fatalf("the image's s3archivefs ls printed %q", out)
	}
}

// checkEngine reads the function's logs: every process it started chose
// the native engine from the image's /opt/lib.
func (s *imageStack) checkEngine(t *testing.T, libDir string) {
	t.Helper()
	f, err := os.Open(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	engines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct{ Msg, Engine, Dir string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Errorf("function output line is not JSON: %q", sc.Text())
			continue
		}
		if l.Msg == "codec engine" {
			engines++
			if l.Engine != "native" || l.Dir != libDir {
				t.Errorf("codec engine %q from %q, want native from %s", l.Engine, l.Dir, libDir)
			}
		}
	}
	if engines == 0 {
		t.Error("the function never logged its codec engine")
	}
}

func (s *imageStack) tail(t *testing.T) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func copyFile(dst, src string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}
