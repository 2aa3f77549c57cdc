// Package s3test runs a real, signature-checking S3 server on 127.0.0.1 for
// tests and local runs: versitygw with its posix backend, behind a small
// HTTP proxy that counts requests and response bytes, can add latency or
// throttle bandwidth, and injects faults (throttling, errors, connection
// resets, short bodies) so retry paths can be tested against real traffic.
//
// The proxy passes the Host header through unchanged, so SigV4 signatures
// made for the proxy's address verify at versitygw.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Defaults match the credentials `make run` uses.
const (
	DefaultAccessKey = "s3archivefs"
	DefaultSecretKey = "s3archivefs-local"
	DefaultRegion    = "us-east-1"
)

// Options configure a Server. The zero value is ready to use.
type Options struct {
	AccessKey, SecretKey, Region string
	// Port is the proxy's port on 127.0.0.1; 0 picks a free one.
	Port int
	// DataDir is the posix backend's root; "" uses a temporary directory
	// removed by Close.
	DataDir string
	// Latency is added before the first byte of each response.
	Latency time.Duration
	// BytesPerSecond throttles response bodies; 0 is unlimited.
	BytesPerSecond int64
}

// Server is a running versitygw with the proxy in front of it.
type Server struct {
	opts     Options
	cmd      *exec.Cmd
	done     chan struct{} // closed when versitygw exits
	tempDir  string        // removed by Close when we created it
	proxy    *proxy
	httpSrv  *http.Server
	endpoint string
	client   *s3.Client

	closeOnce sync.Once
	closeErr  error
}

// Binary returns the path of the versitygw binary: from PATH, else from
// $GOPATH/bin (where `go install` puts it).
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("s3test: versitygw not found on PATH nor at %s; install it with: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0", p)
}

// StartT starts a Server for a test and stops it in t.Cleanup. It fails the
// test if versitygw is missing or does not start.
func StartT(t testing.TB, opts Options) *Server {
	t.Helper()
	if _, err := Binary(); err != nil {
		t.Fatal(err)
	}
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("s3test: close: %v", err)
		}
	})
	return s
}

// Start starts versitygw and the proxy. Call Close to stop both.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.AccessKey == "" {
		opts.AccessKey = DefaultAccessKey
	}
	if opts.SecretKey == "" {
		opts.SecretKey = DefaultSecretKey
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts}
	if s.opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "s3test-*")
		if err != nil {
			return nil, fmt.Errorf("s3test: data dir: %w", err)
		}
		s.tempDir, s.opts.DataDir = dir, dir
	} else if err := os.MkdirAll(s.opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("s3test: data dir: %w", err)
	}

	// The gateway's port is picked by listening and closing; another
	// process may grab it in between, so try a few times.
	var backend string
	for attempt := 0; ; attempt++ {
		backend, err = s.startGateway(ctx, bin)
		if err == nil || attempt == 2 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port)))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("s3test: proxy listen: %w", err)
	}
	s.proxy = newProxy(backend, opts.Latency, opts.BytesPerSecond)
	s.httpSrv = &http.Server{Handler: s.proxy, ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(ln)
	s.endpoint = "http://" + ln.Addr().String()
	s.client = s3.New(s3.Options{
		Region:       opts.Region,
		BaseEndpoint: aws.String(s.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(opts.AccessKey, opts.SecretKey, ""),
	})
	return s, nil
}

// startGateway runs versitygw on a free port and waits until it answers.
func (s *Server) startGateway(ctx context.Context, bin string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("s3test: pick port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(bin,
		"--port", addr,
		"--access", s.opts.AccessKey,
		"--secret", s.opts.SecretKey,
		"--region", s.opts.Region,
		"--quiet",
		"posix", s.opts.DataDir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=")
	out := &limitedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("s3test: start versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()

	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			s.cmd, s.done = cmd, done
			return addr, nil
		}
		select {
		case <-done:
			return "", fmt.Errorf("s3test: versitygw exited at start (%v): %s", cmd.ProcessState, out.String())
		case <-ctx.Done():
			killGroup(cmd, done)
			return "", fmt.Errorf("s3test: waiting for versitygw: %w", ctx.Err())
		case <-deadline.C:
			killGroup(cmd, done)
			return "", fmt.Errorf("s3test: versitygw did not listen on %s within 15s: %s", addr, out.String())
		case <-tick.C:
		}
	}
}

// killGroup kills the process and its group, then waits for it to exit.
func killGroup(cmd *exec.Cmd, done <-chan struct{}) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Process.Kill()
	<-done
}

// Close stops the proxy and versitygw and removes a temporary data dir.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.httpSrv != nil {
			errs = append(errs, s.httpSrv.Close())
		}
		if s.proxy != nil {
			s.proxy.transport.CloseIdleConnections()
		}
		if s.cmd != nil {
			killGroup(s.cmd, s.done)
		}
		if s.tempDir != "" {
			errs = append(errs, os.RemoveAll(s.tempDir))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Endpoint is the proxy's URL, which clients use.
func (s *Server) Endpoint() string { return s.endpoint }

// DataDir is the posix backend's root: bucket b's object k is the file
// DataDir/b/k.
func (s *Server) DataDir() string { return s.opts.DataDir }

// Client returns an SDK client for Endpoint: path-style addressing, the
// server's region and static credentials.
func (s *Server) Client() *s3.Client { return s.client }

// Env returns the environment a child process needs to reach the server
// through the standard SDK configuration.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + s.endpoint,
		"AWS_ACCESS_KEY_ID=" + s.opts.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.opts.SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + s.opts.Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"S3ARCHIVEFS_S3_PATH_STYLE=true",
	}
}

// CreateBucket creates a bucket.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("s3test: create bucket %s: %w", name, err)
	}
	return nil
}

// PutFile uploads the file at path as bucket/key with user metadata.
func (s *Server) PutFile(ctx context.Context, bucket, key, path string, metadata map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("s3test: put %s/%s: %w", bucket, key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("s3test: put %s/%s: %w", bucket, key, err)
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          f,
		ContentLength: aws.Int64(fi.Size()),
		Metadata:      metadata,
	})
	if err != nil {
		return fmt.Errorf("s3test: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

// Stats returns what the proxy has seen since start or the last ResetStats.
func (s *Server) Stats() Stats { return s.proxy.stats() }

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.proxy.resetStats() }

// InjectFaults queues faults: each applies to the next requests it matches.
func (s *Server) InjectFaults(f ...Fault) { s.proxy.inject(f...) }

// SetRandomFaults faults requests at random from now on, after any queued
// faults; nil (or a zero Rate) stops it.
func (s *Server) SetRandomFaults(r *RandomFaults) { s.proxy.setRandom(r) }

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
