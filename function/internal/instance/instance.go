// Package instance builds, once at init, what a function instance or an
// `s3archivefs serve` process keeps for its whole life: the validated
// configuration, the logger, the S3 client, the decompression engine, the
// chunk cache and the set of open archives, and from them the front the
// configuration asks for. Nothing of it lives in package globals.
package instance

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/s3archivefs/s3archivefs/function/internal/accesskeys"
	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/function/internal/codec/libsquashfs"
	"github.com/s3archivefs/s3archivefs/function/internal/config"
	"github.com/s3archivefs/s3archivefs/function/internal/httpfront"
	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/realobjects"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// Instance is the process-wide state.
type Instance struct {
	Config *config.Config
	Logger *slog.Logger
	S3     *s3.Client
	// Archived is the namespace of the files inside archives.
	Archived *objects.Archived
	cache    *chunkcache.Cache
	started  time.Time
}

// New reads the configuration from the environment (a bad value is an
// error naming the variable) and builds everything on it.
func New(ctx context.Context) (*Instance, error) {
	pathStyle, err := config.PathStyle(os.Getenv)
	if err != nil {
		return nil, err
	}
	client, err := s3src.NewClientPathStyle(ctx, pathStyle)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(os.Environ(), readFile(ctx, client))
	if err != nil {
		return nil, err
	}
	logger := NewLogger(os.Stdout, cfg.LogLevel)
	for _, name := range cfg.Unknown {
		logger.Warn("unknown configuration variable ignored (a typo?)", "variable", name)
	}
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	go codec.Warm() // the first zstd GET should not pay for the decoder's setup
	engine, err := libsquashfs.Select(cfg.Engine, cfg.NativeLibDir, logger)
	if err != nil {
		return nil, fmt.Errorf("S3ARCHIVEFS_ENGINE=%s: %w", cfg.Engine, err)
	}
	cache, err := chunkcache.New(chunkcache.Config{Dir: cfg.CacheDir, CapBytes: cfg.CacheMaxBytes, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("S3ARCHIVEFS_CACHE_DIR=%s: %w", cfg.CacheDir, err)
	}
	opener := &archive.Opener{
		Cache:     cache,
		Source:    func(r archive.Ref) *s3src.Reader { return s3src.New(client, r.Bucket, r.Key) },
		ChunkSize: cfg.CacheChunkSize,
		TailBytes: cfg.TailPrefetchBytes,
		Squash:    squash.Options{Engine: engine, CacheBytes: cfg.MemoryCacheBytes, Budget: squash.NewBudget(cfg.MemoryBudgetBytes)},
		RecordDir: cfg.CacheDir,
		Logger:    logger,
	}
	logger.Info("init", "front", cfg.Front, "engine", engine.Name(), "virtual_prefixes", cfg.VMap.Len(),
		"cache_dir", cfg.CacheDir, "cache_chunk_size", cfg.CacheChunkSize, "memory_budget", cfg.MemoryBudgetBytes)
	return &Instance{
		Config: cfg,
		Logger: logger,
		S3:     client,
		Archived: &objects.Archived{
			VMap:     cfg.VMap,
			Archives: &archive.Set{Opener: opener, Max: cfg.OpenArchives, Revalidate: cfg.RevalidateInterval},
			Owners:   objects.ObjectOwner(client),
			Logger:   logger,
		},
		cache:   cache,
		started: time.Now(),
	}, nil
}

// settleMargin is how much of an invocation's time Settle leaves unused:
// an invocation that runs to its deadline fails as timed out, although
// its answer was complete.
const settleMargin = 500 * time.Millisecond

// settleLimit is how long Settle may wait at now: timeout, and never
// past deadline (zero: none) less settleMargin.
func settleLimit(timeout time.Duration, deadline, now time.Time) time.Duration {
	if deadline.IsZero() {
		return timeout
	}
	return min(timeout, deadline.Sub(now)-settleMargin)
}

// Settle waits for the chunk cache's fetches and writes in progress, for
// at most S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT and never past ctx's deadline
// less settleMargin. A Lambda front calls it after each answer, before
// the instance asks for the next event and Lambda freezes it.
func (in *Instance) Settle(ctx context.Context) {
	deadline, _ := ctx.Deadline()
	limit := settleLimit(in.Config.CacheSettleTimeout, deadline, time.Now())
	if limit <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	if err := in.cache.Settle(ctx); err != nil {
		in.Logger.Warn("chunk cache writes still in progress after the settle timeout: they finish if Lambda thaws this instance",
			"waited_ms", time.Since(start).Milliseconds(), "variable", "S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT")
		return
	}
	if waited := time.Since(start); waited >= time.Millisecond {
		in.Logger.Debug("chunk cache settled", "waited_ms", waited.Milliseconds())
	}
}

// S3Endpoint builds front B, the S3 endpoint of the function URL and of
// `serve`: the access keys (read now: a missing or bad key document is an
// error), the real bucket read with this process's own credentials, and
// the handler. maxResponseBytes bounds one answer's body (0: no bound).
func (in *Instance) S3Endpoint(ctx context.Context, region string, maxResponseBytes int64) (*httpfront.Handler, error) {
	e := in.Config.S3
	if err := e.Validate(); err != nil {
		return nil, err
	}
	var src accesskeys.Source = accesskeys.File(e.KeysFile)
	if e.KeysSecretARN != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS config for Secrets Manager: %w", err)
		}
		src = accesskeys.Secret{Client: secretsmanager.NewFromConfig(awsCfg), ARN: e.KeysSecretARN}
	}
	keys, err := accesskeys.Open(ctx, src, accesskeys.Options{Interval: e.KeysRefreshInterval, Logger: in.Logger})
	if err != nil {
		return nil, err
	}
	ns := objects.Router{VMap: in.Config.VMap, Archived: in.Archived}
	if e.RealBucket != "" {
		ns.Real = &realobjects.Bucket{Client: in.S3, Name: e.RealBucket, HTTP: &http.Client{}}
	}
	return httpfront.New(httpfront.Config{Bucket: e.Bucket, Region: region, Keys: keys, Objects: ns,
		MaxResponseBytes: maxResponseBytes, Created: in.started, Logger: in.Logger})
}

// readFile reads the VMAP ext file from a local path (a layer, EFS) or from
// S3 (s3://bucket/key, how Terraform delivers a map too large for the
// environment).
func readFile(ctx context.Context, client *s3.Client) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		rest, ok := strings.CutPrefix(name, "s3://")
		if !ok {
			return os.ReadFile(name)
		}
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" || key == "" {
			return nil, fmt.Errorf("%q: want s3://bucket/key", name)
		}
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, err
		}
		defer out.Body.Close()
		return io.ReadAll(io.LimitReader(out.Body, 16<<20))
	}
}
