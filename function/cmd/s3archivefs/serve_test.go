package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// TestServe runs `s3archivefs serve` over an archive in versitygw, reads
// through it with the Go SDK, then sends SIGTERM while a large GET is
// half read: the GET must complete, the process exit 0, and every request
// leave one JSON log line without the secret.
func TestServe(t *testing.T) {
	_, env := server(t, s3test.Options{}, "archives")
	ctx := context.Background()
	dir := t.TempDir()
	archive := filepath.Join(dir, "cli.sqfs")
	runOK(t, env, "pack", fixture.SourceDir(t, cliTree), archive)
	runOK(t, env, "install", archive, "s3://archives/cli.sqfs")
	keys := filepath.Join(dir, "keys.json")
	os.WriteFile(keys, []byte(`{"keys": [{"access_key_id": "AKIDSERVE", "secret_access_key": "serve-secret", "allow_prefixes": [""]}]}`), 0o600)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	cmd := exec.Command(cliBin, "serve", "--listen", addr)
	cmd.Env = append(env, "S3ARCHIVEFS_PREFIX_VMAP1=data|s3://archives/cli.sqfs", "S3ARCHIVEFS_BUCKET=served",
		"S3ARCHIVEFS_KEYS_FILE="+keys, "S3ARCHIVEFS_CACHE_DIR="+filepath.Join(dir, "cache"), "S3ARCHIVEFS_ENGINE=go")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve is not listening:\n%s", stderr.String())
		}
	}
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSERVE", "serve-secret", ""), Retryer: aws.NopRetryer{}})
	src := fixture.SourceDir(t, cliTree)
	want, _ := os.ReadFile(filepath.Join(src, "README"))
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("served"), Key: aws.String("data/README")})
	if err != nil {
		t.Fatalf("GET: %v\n%s", err, stderr.String())
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, want) {
		t.Fatalf("data/README: %d bytes, want %d", len(got), len(want))
	}
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("served"), Prefix: aws.String("data/docs/")})
	if err != nil || len(list.Contents) != 4 {
		t.Fatalf("list: %v %d", err, len(list.Contents))
	}

	big, _ := os.ReadFile(filepath.Join(src, "big/random.bin"))
	out, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("served"), Key: aws.String("data/big/random.bin")})
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(out.Body, 1<<10)
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(br, head); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond) // the server is shutting down now
	rest, err := io.ReadAll(br)
	out.Body.Close()
	if err != nil || !bytes.Equal(append(head, rest...), big) {
		t.Fatalf("the GET in flight at SIGTERM: %d bytes, %v", len(head)+len(rest), err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after SIGTERM")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("still accepting connections")
	}
	logs := stdout.String()
	if n := strings.Count(logs, `"msg":"request"`); n != 3 || !strings.Contains(logs, `"op":"ListObjectsV2"`) || strings.Contains(logs, "serve-secret") {
		t.Fatalf("%d request lines (want 3), or a secret in the log:\n%s", n, logs)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
