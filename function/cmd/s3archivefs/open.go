package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/function/internal/codec/libsquashfs"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// tailBytes is read from the end of an archive at open, where mksquashfs
// and gensquashfs put the metadata tables: the function's default
// (S3ARCHIVEFS_TAIL_PREFETCH_BYTES), so the CLI reads as the function does.
const tailBytes = 256 << 10

// readFlags are the flags of the commands that read inside an archive.
type readFlags struct {
	aws      awsFlags
	cache    string
	cacheMax int64
	engine   string
	libDir   string
}

func (r *readFlags) register(fs *flag.FlagSet) {
	r.aws.register(fs)
	fs.StringVar(&r.engine, "engine", "go", "block decompressor: go, native (libsquashfs from --native-lib-dir) or auto, as S3ARCHIVEFS_ENGINE")
	fs.StringVar(&r.libDir, "native-lib-dir", libsquashfs.DefaultDir, "where the native engine's libsquashfs is found")
	fs.StringVar(&r.cache, "cache", "", "chunk cache `dir` (default: the user cache dir + /s3archivefs)")
	fs.Int64Var(&r.cacheMax, "cache-max", 1<<30, "chunk cache size bound in `bytes`")
}

// opened is an archive ready to read.
type opened struct {
	fs    *squash.Image
	name  string // s3://bucket/key or the local path
	size  int64
	etag  string // "" for a local file
	close func() error
}

// open opens the archive named by arg: s3://bucket/key is read the way the
// function reads it, through the chunk cache and only the blocks a command
// needs; anything else is a local archive file (to look inside before
// installing it).
func (r *readFlags) open(ctx context.Context, e *env, arg string) (*opened, error) {
	engine, err := libsquashfs.Select(r.engine, r.libDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	opts := squash.Options{Engine: engine, Decoders: decoders(engine)}
	if !strings.HasPrefix(arg, "s3://") {
		return openLocal(arg, opts)
	}
	u, err := parseS3URL(arg)
	if err != nil {
		return nil, err
	}
	client, err := r.aws.client(ctx)
	if err != nil {
		return nil, err
	}
	opener, err := r.opener(e, client)
	if err != nil {
		return nil, err
	}
	opener.Squash.Engine, opener.Squash.Decoders = opts.Engine, opts.Decoders
	a, err := opener.Open(ctx, archive.Ref{Bucket: u.bucket, Key: u.key})
	if err != nil {
		return nil, err
	}
	// Closing the cache lets the last chunks' writes finish before exit.
	return &opened{fs: a.Image(ctx), name: u.String(), size: a.Size, etag: a.ETag, close: opener.Cache.Close}, nil
}

// decoders is how many blocks a stream of the command decodes at once.
// With the native engine, twice the cores: each decode is a C call, and
// with one per core the cores idled between them (cat of 1 GiB of zstd:
// 0.75x unsquashfs, 0.97x with twice; docs/decisions.md). The function
// keeps one per core: its cores are saturated by decoding and its
// answers' transport, and twice as many measured no gain there. The Go
// engine's zstd decoder runs at most GOMAXPROCS decodes anyway.
func decoders(engine codec.Engine) int {
	if engine.Name() == "native" {
		return 2 * runtime.GOMAXPROCS(0)
	}
	return 0
}

// opener returns an archive opener like the function's: reading through
// the chunk cache in --cache.
func (r *readFlags) opener(e *env, client *s3.Client) (*archive.Opener, error) {
	dir := r.cache
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache directory (set --cache): %w", err)
		}
		dir = filepath.Join(base, "s3archivefs")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("--cache %s: %w", dir, err)
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cache, err := chunkcache.New(chunkcache.Config{Dir: dir, CapBytes: r.cacheMax, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("--cache %s: %w", dir, err)
	}
	return &archive.Opener{
		Cache:     cache,
		Source:    func(ref archive.Ref) *s3src.Reader { return s3src.New(client, ref.Bucket, ref.Key) },
		TailBytes: tailBytes,
		Logger:    logger,
	}, nil
}

func openLocal(name string, opts squash.Options) (*opened, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file (want s3://bucket/key or an archive file)", name)
	}
	var fsys *squash.Image
	if err == nil {
		fsys, err = squash.Open(f, fi.Size(), opts)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &opened{fs: fsys, name: name, size: fi.Size(), close: f.Close}, nil
}

// cleanPath turns a path argument into the archive's form: no leading or
// trailing slash, "" for the root.
func cleanPath(p string) string {
	p = strings.Trim(p, "/")
	if p == "." {
		return ""
	}
	return p
}

// copyFile streams the named file's bytes to w.
func copyFile(fsys *squash.Image, name string, w io.Writer) (int64, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return 0, err
	}
	r := f.Reader(0, f.Size())
	defer r.Close()
	n, err := io.Copy(w, r)
	if err == nil && n != f.Size() {
		err = fmt.Errorf("%s: read %d bytes of %d", name, n, f.Size())
	}
	return n, err
}
