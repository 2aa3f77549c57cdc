package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/layer"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const (
	archiveBucket    = "bench-archives"
	supportingBucket = "bench-supporting"
)

// Injected S3 behaviour for the latency measurements: first byte after
// about 20 ms, about 100 MB/s per response, as the issue asks.
const (
	s3Latency = 20 * time.Millisecond
	s3BPS     = 100_000_000
)

// Env is what every measurement shares: two S3 servers over the same data
// (one with injected latency and bandwidth, one without), the archives
// uploaded, the function binary and the extracted layer.
type Env struct {
	W         *Workloads
	Slow      *s3test.Server // with s3Latency and s3BPS
	Fast      *s3test.Server // no injected latency: throughput, memory
	Bootstrap string
	CLI       string   // the s3archivefs command
	LayerLib  string   // the layer's lib/, extracted: the native engine
	Work      string   // temporary directory for chunk caches, removed at the end
	Vars      []string // more S3ARCHIVEFS_* settings for every function process
	Log       func(string, ...any)
}

// Keys of the archives in archiveBucket, and the virtual prefixes they
// are mapped at.
const filesPrefix = "files"

// hugePrefix is where the n-file archive is mapped.
func hugePrefix(n int) string { return fmt.Sprintf("huge-%d", n) }

func bigPrefix(comp string) string  { return "big-" + comp }
func archiveKey(path string) string { return "archives/" + filepath.Base(path) }

// rawKey is where an archived file is also stored as a plain object: the
// baseline for latency (a direct GET of the same bytes).
func rawKey(name string) string { return "raw/" + name }

// setupS3 starts the servers on a data directory kept in the cache (so
// archives are uploaded once) and uploads what is missing.
func setupS3(ctx context.Context, e *Env, cache string) error {
	data := filepath.Join(cache, "s3data-"+genVersion)
	var err error
	if e.Slow, err = s3test.Start(ctx, s3test.Options{DataDir: data, Latency: s3Latency, BytesPerSecond: s3BPS}); err != nil {
		return err
	}
	if e.Fast, err = s3test.Start(ctx, s3test.Options{DataDir: data}); err != nil {
		return err
	}
	for _, b := range []string{archiveBucket, supportingBucket} {
		if err := e.Fast.CreateBucket(ctx, b); err != nil && !strings.Contains(err.Error(), "BucketAlready") {
			return err
		}
	}
	uploads := map[string]string{archiveKey(e.W.FilesSqf): e.W.FilesSqf}
	for _, n := range e.W.Sizes.HugeFiles {
		uploads[archiveKey(e.W.HugeSqf[n])] = e.W.HugeSqf[n]
		uploads[rawKey(hugeRawName(n))] = filepath.Join(e.W.HugeSrc, HugeSource(middleHugeFile(n)))
	}
	for _, p := range e.W.BigSqf {
		uploads[archiveKey(p)] = p
	}
	for _, s := range e.W.Sizes.Files[1:2] {
		uploads[rawKey(FileName(s))] = filepath.Join(e.W.BigDir, FileName(s))
	}
	uploads[rawKey(smallRawName(e.W.Sizes))] = filepath.Join(e.W.FilesDir, SmallFilePath(middleSmallFile(e.W.Sizes)))
	for key, path := range uploads {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		head, err := e.Fast.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(archiveBucket), Key: aws.String(key)})
		if err == nil && aws.ToInt64(head.ContentLength) == fi.Size() {
			continue
		}
		e.Log("uploading %s (%s)", key, humanBytes(fi.Size()))
		if err := e.Fast.PutFile(ctx, archiveBucket, key, path, nil); err != nil {
			return err
		}
	}
	return nil
}

// smallRawName names the plain copy of the small file the GETs read; the
// quick and full runs share the S3 data directory and have different ones.
func smallRawName(sz Sizes) string { return fmt.Sprintf("small-of-%d.txt", sz.SmallFiles) }

// hugeRawName names the plain copy of the n-file archive's file the GETs
// read.
func hugeRawName(n int) string { return fmt.Sprintf("huge-of-%d.txt", n) }

// middleHugeFile is the file of the n-file archive the GETs read.
func middleHugeFile(n int) int { return n/2 + 17 }

// middleSmallFile is the small file the GETs read: in the middle of the
// archive, far from its first and last metadata blocks.
func middleSmallFile(sz Sizes) int { return sz.SmallFiles/2 + 17 }

// vmapVars maps the many-files archive and each big archive.
func (e *Env) vmapVars() []string {
	vars := []string{fmt.Sprintf("S3ARCHIVEFS_PREFIX_VMAP1=%s|s3://%s/%s", filesPrefix, archiveBucket, archiveKey(e.W.FilesSqf))}
	variants := streamVariants()
	for i, c := range variants {
		vars = append(vars, fmt.Sprintf("S3ARCHIVEFS_PREFIX_VMAP%d=%s|s3://%s/%s", i+2, bigPrefix(c), archiveBucket, archiveKey(e.W.BigSqf[c])))
	}
	for _, n := range e.W.Sizes.HugeFiles {
		vars = append(vars, fmt.Sprintf("S3ARCHIVEFS_PREFIX_VMAP%d=%s|s3://%s/%s", len(vars)+1, hugePrefix(n), archiveBucket, archiveKey(e.W.HugeSqf[n])))
	}
	return vars
}

// buildCommand builds ./function/cmd/<name> the way the Makefile builds
// the function: static, without the RPC mode of aws-lambda-go.
func buildCommand(ctx context.Context, dir, name string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", out, "./function/cmd/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./function/cmd/%s: %w\n%s", name, err, msg)
	}
	return out, nil
}

// prepareLayer extracts the libsquashfs layer for this machine into
// dir/opt and returns its lib/. It uses zipPath when given, else builds
// the layer with layer/build.sh into the cache, keyed by the recipe's
// files so a changed recipe is rebuilt.
func prepareLayer(ctx context.Context, cache, zipPath, dir string, log func(string, ...any)) (string, error) {
	if zipPath == "" {
		arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
		if arch == "" {
			return "", fmt.Errorf("no Lambda layer for GOARCH %s", runtime.GOARCH)
		}
		h := sha256.New()
		recipe, _ := filepath.Glob("layer/*")
		for _, p := range recipe {
			if b, err := os.ReadFile(p); err == nil {
				fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
				h.Write(b)
			}
		}
		zipPath = filepath.Join(cache, fmt.Sprintf("layer-%s-%x.zip", arch, h.Sum(nil)[:8]))
		if _, err := os.Stat(zipPath); err != nil {
			log("building the libsquashfs layer (layer/build.sh %s)", arch)
			tmp := zipPath + ".tmp.zip"
			if msg, err := exec.CommandContext(ctx, "layer/build.sh", arch, tmp).CombinedOutput(); err != nil {
				return "", fmt.Errorf("layer/build.sh %s: %w\n%s", arch, err, msg)
			}
			if err := os.Rename(tmp, zipPath); err != nil {
				return "", err
			}
		}
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		return "", err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("%s: %w", zipPath, err)
	}
	if err := layer.Extract(zr, filepath.Join(dir, "opt")); err != nil {
		return "", err
	}
	return filepath.Join(dir, "opt", "lib"), nil
}

// Function is the local Object Lambda endpoint running the real bootstrap
// binary, and the processes it started.
type Function struct {
	srv    *olaplocal.Server
	client *s3.Client
	pids   *pidLog
	cache  string
	out    *lockedWriter
}

// FuncOpts choose how the function runs.
type FuncOpts struct {
	S3        *s3test.Server
	Engine    string // go or native
	Instances int
	CacheDir  string // "" for a fresh, empty one
}

// startFunction starts an endpoint whose function reads from o.S3. The
// function process starts on the first request: a cold start, as on
// Lambda.
func (e *Env) startFunction(o FuncOpts) (*Function, error) {
	f := &Function{pids: &pidLog{}, cache: o.CacheDir, out: &lockedWriter{w: &limited{max: 64 << 10}}}
	if f.cache == "" {
		dir, err := os.MkdirTemp(e.Work, "cache-")
		if err != nil {
			return nil, err
		}
		f.cache = dir
	}
	vars := append(e.vmapVars(),
		"S3ARCHIVEFS_CACHE_DIR="+f.cache,
		"S3ARCHIVEFS_ENGINE="+o.Engine,
		"S3ARCHIVEFS_NATIVE_LIB_DIR="+e.LayerLib,
		"S3ARCHIVEFS_LOG_LEVEL=warn")
	vars = append(vars, e.Vars...)
	srv, err := olaplocal.StartServer(olaplocal.ServerConfig{
		Addr: "127.0.0.1:0",
		Endpoint: olaplocal.Config{Upstream: olaplocal.Upstream{Endpoint: o.S3.Endpoint(), Bucket: supportingBucket,
			AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey}},
		Binary:          e.Bootstrap,
		Instances:       max(o.Instances, 1),
		FunctionTimeout: 5 * time.Minute,
		FunctionVars:    vars,
		FunctionOutput:  f.out,
		Logger:          slog.New(f.pids),
	})
	if err != nil {
		return nil, err
	}
	f.srv = srv
	f.client = s3.New(s3.Options{
		Region:                     olaplocal.DefaultRegion,
		BaseEndpoint:               aws.String(srv.URL()),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, ""),
		RetryMaxAttempts:           1,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		HTTPClient:                 &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}},
	})
	return f, nil
}

// Close stops the endpoint and its function processes.
func (f *Function) Close() error { return f.srv.Close() }

// idle waits until every function process has finished its invocation,
// settled its chunk cache and asked for the next one (pidLog.idle).
func (f *Function) idle(ctx context.Context) error {
	if err := f.pids.idle(ctx); err != nil {
		return fmt.Errorf("%w (function output: %s)", err, f.output())
	}
	return nil
}

// PeakRSS returns VmHWM of every function process started so far that is
// still alive: the peak resident memory each one reached.
func (f *Function) PeakRSS() ([]int64, error) {
	var out []int64
	for _, pid := range f.pids.list() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return nil, fmt.Errorf("function process %d: %w (it exited? its output: %s)", pid, err, f.output())
		}
		v, err := statusField(b, "VmHWM")
		if err != nil {
			return nil, fmt.Errorf("/proc/%d/status: %w", pid, err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("no function process was started")
	}
	return out, nil
}

func (f *Function) output() string {
	f.out.mu.Lock()
	defer f.out.mu.Unlock()
	return string(f.out.w.(*limited).b)
}

// statusField parses a "Name:   123 kB" line of /proc/<pid>/status.
func statusField(status []byte, name string) (int64, error) {
	for line := range strings.SplitSeq(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, name+":")
		if !ok {
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || unit != "kB" {
			return 0, fmt.Errorf("%s: cannot parse %q", name, rest)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}

// pidLog is a slog.Handler that keeps the pid of every function process
// olaplocal starts (it logs "function process started" with the pid).
type pidLog struct {
	mu   sync.Mutex
	pids []int
}

func (p *pidLog) Enabled(context.Context, slog.Level) bool { return true }
func (p *pidLog) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *pidLog) WithGroup(string) slog.Handler            { return p }
func (p *pidLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "function process started" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "pid" {
			p.mu.Lock()
			p.pids = append(p.pids, int(a.Value.Int64()))
			p.mu.Unlock()
			return false
		}
		return true
	})
	return nil
}

// idle waits until every process has asked for its next invocation and
// the endpoint has frozen it, as Lambda does: the next GET then finds the
// instance free, its chunk cache settled.
func (p *pidLog) idle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := olaplocal.WaitStopped(ctx, p.list()); err != nil {
		return fmt.Errorf("waiting for the function to go idle: %w", err)
	}
	return nil
}

func (p *pidLog) list() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.pids...)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
