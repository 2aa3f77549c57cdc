package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/instance"
)

// shutdownGrace is how long requests in flight may finish after SIGTERM.
const shutdownGrace = 30 * time.Second

func serveCommand() *command {
	return &command{
		name:    "serve",
		args:    "--listen ADDR [flags]",
		summary: "Serve the archives and the real bucket as an S3 endpoint (the function URL front, as a server).",
		help: `'serve' answers S3 REST requests (GetObject, HeadObject, ListObjectsV2,
ListObjects, GetObjectAttributes, and the bucket calls clients make
first) with the same handler, configuration and request log as the
function behind a Lambda function URL: for EC2, a container, Kubernetes
or a laptop. It is read-only, and checks every request's SigV4 signature
against the access keys in S3ARCHIVEFS_KEYS_FILE (or
S3ARCHIVEFS_KEYS_SECRET_ARN), re-read every
S3ARCHIVEFS_KEYS_REFRESH_INTERVAL.

The configuration is the function's: S3ARCHIVEFS_PREFIX_VMAP1..20 (and
the ext file), S3ARCHIVEFS_BUCKET, S3ARCHIVEFS_REAL_BUCKET,
S3ARCHIVEFS_CACHE_DIR and the rest; the archives and real objects are
read with this process's AWS credentials. SIGTERM or Ctrl-C stops
accepting connections and lets requests in flight finish (up to 30 s).

Examples:
  s3archivefs serve --listen 127.0.0.1:8080
      with S3ARCHIVEFS_PREFIX_VMAP1='datasets/linux|s3://my-archives/linux.sqfs',
      S3ARCHIVEFS_BUCKET=datasets and S3ARCHIVEFS_KEYS_FILE=keys.json set; then
      aws --endpoint-url http://127.0.0.1:8080 s3 ls s3://datasets/datasets/linux/`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			listen := fs.String("listen", "", "`address` to listen on, e.g. 127.0.0.1:8080 or :8080")
			region := fs.String("region", "", "`region` clients sign for (default: AWS_REGION, then us-east-1)")
			return func(ctx context.Context, e *env, args []string) error {
				if *listen == "" {
					return usagef("--listen is required")
				}
				if len(args) > 0 {
					return usagef("unexpected arguments: %v", args)
				}
				reg := *region
				if reg == "" {
					reg = e.getenv("AWS_REGION")
				}
				if reg == "" {
					reg = "us-east-1"
				}
				return serve(ctx, e, *listen, reg)
			}
		},
	}
}

func serve(ctx context.Context, e *env, listen, region string) error {
	in, err := instance.New(ctx)
	if err != nil {
		return err
	}
	h, err := in.S3Endpoint(ctx, region, 0)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(e.stderr, "s3archivefs serve: listening on http://%s (bucket %s, region %s)\n", ln.Addr(), in.Config.S3.Bucket, region)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	in.Logger.Info("shutting down", "grace", shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(e.stderr, "s3archivefs serve: stopped")
	return nil
}
