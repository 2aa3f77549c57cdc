// Command run is what `make run` starts: a signature-checking S3 server
// (versitygw) with an archive mapped at a virtual prefix, and in front of
// it one of the function's fronts (FRONT):
//
//	object-lambda  the local Object Lambda endpoint running the bootstrap binary (the default)
//	function-url   the local function URL running the same binary (S3ARCHIVEFS_FRONT=function_url)
//	serve          `s3archivefs serve`
//
// It prints the commands to try and runs until Ctrl-C or SIGTERM, then
// stops everything it started.
//
// Every setting is a flag with an environment default:
//
//	FRONT              -front              object-lambda
//	BOOTSTRAP          -bootstrap          dist/bootstrap (built for this machine)
//	CLI                -cli                dist/s3archivefs (FRONT=serve)
//	ARCHIVE            -archive            a directory (packed on the fly) or a .sqfs; empty: a generated demo tree
//	PREFIX             -prefix             demo/
//	OLAP_ADDR          -addr               127.0.0.1:9000
//	S3_PORT            -s3-port            9100
//	BUCKET             -bucket             s3archivefs
//	SUPPORTING_BUCKET  -supporting-bucket  s3archivefs-supporting
//	ARCHIVE_BUCKET     -archive-bucket     s3archivefs-archives
//	DATA_DIR           -data-dir           versitygw's data (empty: a temporary directory)
//	FUNCTION_TIMEOUT   -timeout            60s
//	INSTANCES          -instances          8 (at most; started on demand, as Lambda does)
//	MKSQUASHFS_ARGS    -mksquashfs-args    -comp gzip
//
// S3ARCHIVEFS_* variables in the environment pass through to the function
// unchanged: the archive's entry takes the first S3ARCHIVEFS_PREFIX_VMAPn
// that is not set, and the chunk cache goes to a temporary directory only
// when S3ARCHIVEFS_CACHE_DIR is not set.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

type settings struct {
	front, cli                              string
	bootstrap, archive, prefix, addr        string
	bucket, supportingBucket, archiveBucket string
	dataDir, mksquashfsArgs                 string
	s3Port, instances                       int
	timeout                                 time.Duration
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func main() {
	var s settings
	flag.StringVar(&s.front, "front", envOr("FRONT", frontObjectLambda), "object-lambda, function-url or serve (env FRONT)")
	flag.StringVar(&s.cli, "cli", envOr("CLI", "dist/s3archivefs"), "the s3archivefs CLI, for FRONT=serve (env CLI)")
	flag.StringVar(&s.bootstrap, "bootstrap", envOr("BOOTSTRAP", "dist/bootstrap"), "the function binary, built for this machine (env BOOTSTRAP)")
	flag.StringVar(&s.archive, "archive", envOr("ARCHIVE", ""), "directory (packed on the fly) or .sqfs to serve; empty: a generated demo tree (env ARCHIVE)")
	flag.StringVar(&s.prefix, "prefix", envOr("PREFIX", "demo/"), "virtual prefix the archive appears at (env PREFIX)")
	flag.StringVar(&s.addr, "addr", envOr("OLAP_ADDR", "127.0.0.1:9000"), "endpoint address (env OLAP_ADDR)")
	flag.IntVar(&s.s3Port, "s3-port", envInt("S3_PORT", 9100), "versitygw port on 127.0.0.1 (env S3_PORT)")
	flag.StringVar(&s.bucket, "bucket", envOr("BUCKET", olaplocal.DefaultBucket), "bucket name clients use (env BUCKET)")
	flag.StringVar(&s.supportingBucket, "supporting-bucket", envOr("SUPPORTING_BUCKET", "s3archivefs-supporting"), "supporting bucket (env SUPPORTING_BUCKET)")
	flag.StringVar(&s.archiveBucket, "archive-bucket", envOr("ARCHIVE_BUCKET", "s3archivefs-archives"), "bucket holding the archive (env ARCHIVE_BUCKET)")
	flag.StringVar(&s.dataDir, "data-dir", envOr("DATA_DIR", ""), "versitygw data directory; empty: temporary (env DATA_DIR)")
	flag.DurationVar(&s.timeout, "timeout", envDuration("FUNCTION_TIMEOUT", olaplocal.DefaultTimeout), "function time limit (env FUNCTION_TIMEOUT)")
	flag.IntVar(&s.instances, "instances", envInt("INSTANCES", 8), "function processes at most, started on demand (env INSTANCES)")
	flag.StringVar(&s.mksquashfsArgs, "mksquashfs-args", envOr("MKSQUASHFS_ARGS", "-comp gzip"), "options for mksquashfs when packing (env MKSQUASHFS_ARGS)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	followParent()
	if err := run(ctx, s); err != nil {
		fmt.Fprintln(os.Stderr, "make run:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, s settings) error {
	switch s.front {
	case frontObjectLambda, frontFunctionURL:
		if _, err := os.Stat(s.bootstrap); err != nil {
			return fmt.Errorf("function binary: %w (build it for this machine first: the Makefile's run target does)", err)
		}
	case frontServe:
		if _, err := os.Stat(s.cli); err != nil {
			return fmt.Errorf("s3archivefs CLI: %w (the Makefile's run target builds it)", err)
		}
	default:
		return fmt.Errorf("FRONT=%s: want %s, %s or %s", s.front, frontObjectLambda, frontFunctionURL, frontServe)
	}
	prefix := strings.Trim(s.prefix, "/")
	if prefix == "" {
		return errors.New("PREFIX must name a prefix, e.g. demo/")
	}
	work, err := os.MkdirTemp("", "s3archivefs-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	archivePath, files, err := prepareArchive(ctx, s, work)
	if err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err := s3test.Start(startCtx, s3test.Options{Port: s.s3Port, DataDir: s.dataDir})
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, b := range []string{s.supportingBucket, s.archiveBucket} {
		if err := srv.CreateBucket(startCtx, b); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			return err
		}
	}
	archiveKey := "archives/" + prefix + ".sqfs"
	if err := srv.PutFile(startCtx, s.archiveBucket, archiveKey, archivePath, nil); err != nil {
		return err
	}
	hello := filepath.Join(work, "hello.txt")
	if err := os.WriteFile(hello, []byte("Hello from the supporting bucket: this object is outside every virtual prefix.\n"), 0o644); err != nil {
		return err
	}
	if err := srv.PutFile(startCtx, s.supportingBucket, "hello.txt", hello, nil); err != nil {
		return err
	}
	cacheDir := filepath.Join(work, "cache")
	if err := os.Mkdir(cacheDir, 0o755); err != nil {
		return err
	}
	vars, err := functionVars(os.Environ(), fmt.Sprintf("%s|s3://%s/%s", prefix, s.archiveBucket, archiveKey), cacheDir)
	if err != nil {
		return err
	}
	url, stopFront, err := startFront(ctx, s, srv, vars, work, logger)
	if err != nil {
		return err
	}
	defer stopFront()
	printHelp(os.Stdout, s, url, srv, prefix, archiveKey, files)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "stopping...")
	return nil
}

// vmapVar and vmapMax are the function's numbered VMAP variables
// (function/internal/vmap, which this command cannot import).
const (
	vmapVar = "S3ARCHIVEFS_PREFIX_VMAP"
	vmapMax = 20
)

// functionVars is what make run adds to the function's environment: the
// demo's VMAP entry in the first S3ARCHIVEFS_PREFIX_VMAPn the caller has
// not set, and the chunk cache in the run's directory unless the caller
// set S3ARCHIVEFS_CACHE_DIR. Every S3ARCHIVEFS_* variable of the caller
// reaches the function as it is.
func functionVars(environ []string, entry, cacheDir string) ([]string, error) {
	set := map[string]bool{}
	for _, kv := range environ {
		if k, v, _ := strings.Cut(kv, "="); v != "" {
			set[k] = true
		}
	}
	var vars []string
	for i := 1; i <= vmapMax; i++ {
		if name := vmapVar + strconv.Itoa(i); !set[name] {
			vars = append(vars, name+"="+entry)
			break
		}
	}
	if vars == nil {
		return nil, fmt.Errorf("%s1 to %s%d are all set: no room for the archive's entry %q", vmapVar, vmapVar, vmapMax, entry)
	}
	if !set["S3ARCHIVEFS_CACHE_DIR"] {
		vars = append(vars, "S3ARCHIVEFS_CACHE_DIR="+cacheDir)
	}
	return vars, nil
}

// prepareArchive returns the .sqfs to serve and the files it holds.
func prepareArchive(ctx context.Context, s settings, work string) (string, []string, error) {
	src := s.archive
	if src == "" {
		src = filepath.Join(work, "demo")
		if err := writeDemo(src); err != nil {
			return "", nil, fmt.Errorf("generating the demo tree: %w", err)
		}
	}
	fi, err := os.Stat(src)
	if err != nil {
		return "", nil, fmt.Errorf("ARCHIVE: %w", err)
	}
	out := src
	if fi.IsDir() {
		out = filepath.Join(work, "archive.sqfs")
		args := append([]string{src, out, "-noappend", "-quiet", "-no-progress"}, strings.Fields(s.mksquashfsArgs)...)
		cmd := exec.CommandContext(ctx, "mksquashfs", args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return "", nil, fmt.Errorf("mksquashfs %s: %w", strings.Join(args, " "), err)
		}
	} else if err := checkMagic(src); err != nil {
		return "", nil, err
	}
	files, err := listFiles(ctx, out)
	return out, files, err
}

func checkMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ARCHIVE: %w", err)
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != "hsqs" {
		return fmt.Errorf("ARCHIVE %s is neither a directory nor a squashfs archive", path)
	}
	return nil
}

// listFiles lists the archive's files with unsquashfs, for the examples.
func listFiles(ctx context.Context, archive string) ([]string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "unsquashfs", "-lc", "-d", "", archive)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("unsquashfs -lc %s: %w", archive, err)
	}
	var files []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "/") {
			files = append(files, strings.TrimPrefix(l, "/"))
		}
	}
	sort.Strings(files)
	return files, nil
}

func printHelp(w io.Writer, s settings, url string, srv *s3test.Server, prefix, archiveKey string, files []string) {
	example := "README.md" // the demo's: what it holds and what to try
	if len(files) > 0 && !slices.Contains(files, example) {
		example = files[0]
	}
	aws := "/usr/bin/aws --endpoint-url " + url
	fmt.Fprintf(w, `
s3archivefs is running. Ctrl-C stops everything.

  %-23s %s   bucket %s (%s)
  S3 server (versitygw)   %s   data in %s
  archive                 %s/ -> s3://%s/%s (%d files)
  passthrough object      s3://%s/hello.txt (from supporting bucket %s)

Set these in your shell (the endpoint checks signatures%s):

  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s

Then try:

  %s s3 cp 's3://%s/%s/%s' -
  %s s3 ls s3://%s/
  %s s3 ls --recursive s3://%s/%s/
  %s s3api list-objects-v2 --bucket %s --prefix %s/ --delimiter /
  %s s3api head-object --bucket %s --key '%s/%s'
  %s s3api get-object --bucket %s --key '%s/%s' --range bytes=0-99 /dev/stdout
  %s s3 cp s3://%s/hello.txt -
  %s s3 sync s3://%s/%s/ ./%s-copy
%s
`, frontLabel[s.front], url, s.bucket, bucketNote[s.front], srv.Endpoint(), srv.DataDir(), prefix, s.archiveBucket, archiveKey, len(files), s.bucket, s.supportingBucket,
		keysNote[s.front], s3test.DefaultAccessKey, s3test.DefaultSecretKey, s3test.DefaultRegion,
		aws, s.bucket, prefix, example,
		aws, s.bucket, aws, s.bucket, prefix, aws, s.bucket, prefix,
		aws, s.bucket, prefix, example, aws, s.bucket, prefix, example,
		aws, s.bucket, aws, s.bucket, prefix, prefix, extraHelp(s, aws, prefix, example))
}

// extraHelp shows what only the fronts that are S3 endpoints of their own
// do: presigned URLs for curl or a browser, and the read-only refusal.
func extraHelp(s settings, aws, prefix, example string) string {
	if s.front == frontObjectLambda {
		return ""
	}
	return fmt.Sprintf(`  curl "$(%s s3 presign 's3://%s/%s/%s')"
  %s s3 cp /etc/hostname s3://%s/new.txt     (refused: the endpoint is read-only)
`, aws, s.bucket, prefix, example, aws, s.bucket)
}
