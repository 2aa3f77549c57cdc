// Command bootstrap is the s3archivefs Lambda function (runtime
// provided.al2023): it answers S3 Object Lambda events for GetObject,
// HeadObject, ListObjects and ListObjectsV2.
//
// Everything that lives for the life of the process (configuration, the S3
// clients, the chunk cache, the set of open archives, the decompression
// engine) is built once here at init and passed down. Invalid
// configuration stops init with a message naming the variable.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/codec/libsquashfs"
	"github.com/s3archivefs/s3archivefs/function/internal/config"
	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/olap"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

func main() {
	h, err := setup(context.Background())
	if err != nil {
		// The message reaches CloudWatch and the Lambda init error.
		newLogger(os.Stderr, slog.LevelInfo).Error("init failed", "err", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func setup(ctx context.Context) (*olap.Handler, error) {
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
	logger := newLogger(os.Stdout, cfg.LogLevel)
	for _, name := range cfg.Unknown {
		logger.Warn("unknown configuration variable ignored (a typo?)", "variable", name)
	}
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
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
	softMemoryLimit()
	logger.Info("init", "engine", engine.Name(), "virtual_prefixes", cfg.VMap.Len(),
		"cache_dir", cfg.CacheDir, "cache_chunk_size", cfg.CacheChunkSize, "memory_budget", cfg.MemoryBudgetBytes)
	return &olap.Handler{
		Archived: &objects.Archived{
			VMap:     cfg.VMap,
			Archives: &archive.Set{Opener: opener, Max: cfg.OpenArchives, Revalidate: cfg.RevalidateInterval},
			Owners:   objects.ObjectOwner(client),
			Logger:   logger,
		},
		Writer: olap.ResponseClient(client, cfg.WGOREndpointURL),
		HTTP:   &http.Client{},
		Lister: client,
		Logger: logger,
	}, nil
}

// softMemoryLimit sets the Go runtime's memory limit to 90% of the
// function's memory (unless GOMEMLIMIT says otherwise), so the garbage
// collector works harder before Lambda would stop the instance.
func softMemoryLimit() {
	mib, err := strconv.ParseInt(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if os.Getenv("GOMEMLIMIT") == "" && err == nil && mib > 0 {
		debug.SetMemoryLimit(mib << 20 / 10 * 9)
	}
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
