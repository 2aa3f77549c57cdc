package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/s3archivefs/s3archivefs/test/functionurl"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// The fronts make run can start.
const (
	frontObjectLambda = "object-lambda"
	frontFunctionURL  = "function-url"
	frontServe        = "serve"
)

var (
	frontLabel = map[string]string{frontObjectLambda: "Object Lambda endpoint", frontFunctionURL: "Function URL (local)",
		frontServe: "s3archivefs serve"}
	bucketNote = map[string]string{frontObjectLambda: "stands for the access point alias",
		frontFunctionURL: "read-only: archive files and the real bucket", frontServe: "read-only: archive files and the real bucket"}
	keysNote = map[string]string{frontObjectLambda: "", frontFunctionURL: ", with keys from keys.json", frontServe: ", with keys from keys.json"}
)

// startFront starts the chosen front over the S3 server and returns its
// URL and how to stop it. The fronts that are S3 endpoints themselves
// read the supporting bucket's objects as the real bucket, with the
// function role's credentials, and take the demo's access key from a keys
// file.
func startFront(ctx context.Context, s settings, srv *s3test.Server, vars []string, work string, logger *slog.Logger) (string, func(), error) {
	if s.front == frontObjectLambda {
		ep, err := olaplocal.StartServer(olaplocal.ServerConfig{
			Addr: s.addr,
			Endpoint: olaplocal.Config{Bucket: s.bucket, Upstream: olaplocal.Upstream{Endpoint: srv.Endpoint(),
				Bucket: s.supportingBucket, AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey}},
			Binary:          s.bootstrap,
			Instances:       s.instances,
			FunctionTimeout: s.timeout,
			FunctionVars:    vars,
			Logger:          logger,
		})
		if err != nil {
			return "", nil, err
		}
		return ep.URL(), func() { ep.Close() }, nil
	}
	keys, err := json.Marshal(map[string]any{"keys": []map[string]any{{"access_key_id": s3test.DefaultAccessKey,
		"secret_access_key": s3test.DefaultSecretKey, "allow_prefixes": []string{""}}}})
	if err != nil {
		return "", nil, err
	}
	keysFile := filepath.Join(work, "keys.json")
	if err := os.WriteFile(keysFile, keys, 0o600); err != nil {
		return "", nil, err
	}
	vars = append(vars, "S3ARCHIVEFS_KEYS_FILE="+keysFile, "S3ARCHIVEFS_BUCKET="+s.bucket, "S3ARCHIVEFS_REAL_BUCKET="+s.supportingBucket)
	if s.front == frontFunctionURL {
		ep, err := functionurl.StartServer(functionurl.ServerConfig{Addr: s.addr, Binary: s.bootstrap, Instances: s.instances,
			FunctionTimeout: s.timeout, AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey,
			S3Endpoint: srv.Endpoint(), FunctionVars: vars, Logger: logger})
		if err != nil {
			return "", nil, err
		}
		return ep.URL(), func() { ep.Close() }, nil
	}
	return startServe(ctx, s, srv, vars)
}

// startServe runs `s3archivefs serve` as a child process, with the
// function role's credentials and the S3 server as its S3, and waits
// until it listens.
func startServe(ctx context.Context, s settings, srv *s3test.Server, vars []string) (string, func(), error) {
	env := olaplocal.FunctionEnv{Region: s3test.DefaultRegion, AccessKeyID: s3test.DefaultAccessKey,
		SecretAccessKey: s3test.DefaultSecretKey, S3Endpoint: srv.Endpoint(), Vars: vars}
	cmd := exec.Command(s.cli, "serve", "--listen", s.addr)
	cmd.Env = env.Environ()
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt) // graceful: requests in flight finish
		select {
		case <-exited:
		case <-time.After(35 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + s.addr, stop, nil
		}
		select {
		case err := <-exited:
			return "", nil, fmt.Errorf("s3archivefs serve exited: %v", err)
		case <-ctx.Done():
			stop()
			return "", nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("s3archivefs serve is not listening on %s after 30 s", s.addr)
		}
	}
}
