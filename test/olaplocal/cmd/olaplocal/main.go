// Command olaplocal serves a local S3 Object Lambda access point in front
// of an S3 server, running a bootstrap binary through the Lambda Runtime
// API. `make run` (test/run) starts one with a demo archive; this command
// is for pointing it at servers and binaries of your own.
//
//	olaplocal -function dist/bootstrap -upstream http://127.0.0.1:9100 \
//	  -supporting-bucket s3archivefs-supporting -env 'S3ARCHIVEFS_PREFIX_VMAP1=demo|s3://b/demo.sqfs'
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "olaplocal:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		cfg  olaplocal.ServerConfig
		vars listFlag
	)
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:9000", "address the endpoint listens on")
	flag.StringVar(&cfg.Endpoint.Bucket, "bucket", olaplocal.DefaultBucket, "bucket name clients use (stands for the access point alias)")
	flag.StringVar(&cfg.Endpoint.Region, "region", olaplocal.DefaultRegion, "region clients sign for")
	flag.StringVar(&cfg.Endpoint.AccessKeyID, "access-key", olaplocal.DefaultAccessKey, "access key id clients sign with")
	flag.StringVar(&cfg.Endpoint.SecretAccessKey, "secret-key", olaplocal.DefaultSecretKey, "secret access key clients sign with")
	flag.StringVar(&cfg.Endpoint.Upstream.Endpoint, "upstream", "http://127.0.0.1:9100", "S3 server holding the supporting bucket")
	flag.StringVar(&cfg.Endpoint.Upstream.Bucket, "supporting-bucket", "s3archivefs-supporting", "supporting bucket on the S3 server")
	flag.StringVar(&cfg.Endpoint.Upstream.AccessKeyID, "upstream-access-key", olaplocal.DefaultAccessKey, "the function role's access key id on the S3 server")
	flag.StringVar(&cfg.Endpoint.Upstream.SecretAccessKey, "upstream-secret-key", olaplocal.DefaultSecretKey, "the function role's secret key on the S3 server")
	flag.StringVar(&cfg.Endpoint.Payload, "payload", "", "configuration.payload of the events")
	flag.StringVar(&cfg.Binary, "function", "dist/bootstrap", "the function's bootstrap binary")
	flag.IntVar(&cfg.Instances, "instances", 8, "function processes at most (Lambda concurrency), started on demand")
	flag.DurationVar(&cfg.FunctionTimeout, "timeout", olaplocal.DefaultTimeout, "time limit of one invocation")
	flag.IntVar(&cfg.MemoryMB, "memory", 1024, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE given to the function")
	flag.StringVar(&cfg.FunctionName, "name", "s3archivefs", "function name")
	flag.Var(&vars, "env", "NAME=value for the function (repeatable); S3ARCHIVEFS_* of this process pass through too")
	flag.Parse()
	cfg.FunctionVars = vars
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg.Logger = logger

	srv, err := olaplocal.StartServer(cfg)
	if err != nil {
		return err
	}
	logger.Info("serving", "url", srv.URL(), "bucket", cfg.Endpoint.Bucket, "function", cfg.Binary)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("stopping took longer than 10 s")
	}
}
