package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// bigRecipe is an archive of three 5 MiB parts (incompressible data).
var bigRecipe = fixture.Recipe{
	Tree: fixture.Tree{Name: "cli-big", Seed: 82, Nodes: []fixture.Node{
		{Path: "random.bin", Size: 12 << 20},
		{Path: "small.txt", Size: 100, Text: true},
	}},
	Tool: fixture.Mksquashfs, Compressor: "zstd", BlockSize: 1 << 20,
}

// assertNothingLeft fails unless the bucket holds no multipart upload and
// no object at key.
func assertNothingLeft(t *testing.T, srv *s3test.Server, bucket, key string) {
	t.Helper()
	ctx := context.Background()
	ups, err := srv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d multipart uploads left behind", len(ups.Uploads))
	}
	_, err = srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HEAD %s after a failed install: %v, want NotFound", key, err)
	}
}

// TestInstallFailureAborts makes every part upload fail: the install
// must exit non-zero and leave nothing behind.
func TestInstallFailureAborts(t *testing.T) {
	archive, _ := fixture.Build(t, bigRecipe)
	srv, env := server(t, s3test.Options{}, "bkt")
	srv.InjectFaults(s3test.Fault{Kind: s3test.InternalError, Method: "PUT", Path: "/bkt/big.sqfs", Times: 1000})
	r := cli(t, env, "install", archive, "s3://bkt/big.sqfs")
	r.want(t, exitFailure)
	if !strings.Contains(r.stderr, "part ") || !strings.Contains(r.stderr, "UploadPart") {
		t.Errorf("stderr %q: want the failed part and operation", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q", r.stdout)
	}
	assertNothingLeft(t, srv, "bkt", "big.sqfs")
}

// TestInstallInterrupted sends SIGINT (Ctrl-C) once the first part is in:
// the install must abort the multipart upload and exit 1.
func TestInstallInterrupted(t *testing.T) {
	archive, _ := fixture.Build(t, bigRecipe)
	// Latency keeps each part in flight long enough to interrupt.
	srv, env := server(t, s3test.Options{Latency: 300 * time.Millisecond}, "bkt")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, "install", "--concurrency", "1", archive, "s3://bkt/big.sqfs")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "uploaded ") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
		t.Fatalf("install after SIGINT: %v, want exit %d\n%s", err, exitFailure, strings.Join(lines, "\n"))
	}
	if !strings.Contains(strings.Join(lines, "\n"), "interrupted") {
		t.Errorf("stderr does not say it was interrupted:\n%s", strings.Join(lines, "\n"))
	}
	assertNothingLeft(t, srv, "bkt", "big.sqfs")
}

// TestInstallStorageClassAndPartSize checks that the environment's part
// size and storage class reach S3, and that the part size is raised to
// stay within 10,000 parts (checked in the upload package) but never
// lowered below what was asked.
func TestInstallStorageClassAndPartSize(t *testing.T) {
	archive, _ := fixture.Build(t, bigRecipe)
	srv, env := server(t, s3test.Options{}, "bkt")
	env = append(env, "S3ARCHIVEFS_MPU_CHUNK_SIZE=8388608", "S3ARCHIVEFS_STORAGE_CLASS=STANDARD")
	r := runOK(t, env, "install", "--quiet", archive, "s3://bkt/k.sqfs")
	if !strings.Contains(r.stdout, "\t2 parts\t") {
		t.Errorf("8 MiB parts of a 12 MiB archive: %q, want 2 parts", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("--quiet wrote %q", r.stderr)
	}
	head, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k.sqfs")})
	if err != nil {
		t.Fatal(err)
	}
	if sc := head.StorageClass; sc != "" && sc != types.StorageClassStandard {
		t.Errorf("storage class %q", sc)
	}

	// Reinstalling over an existing archive replaces it.
	small, _ := fixture.Build(t, fixture.Small)
	runOK(t, env, "install", "--quiet", small, "s3://bkt/k.sqfs")
	fi, _ := os.Stat(small)
	head, err = srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k.sqfs")})
	if err != nil || aws.ToInt64(head.ContentLength) != fi.Size() {
		t.Fatalf("after reinstall: %v, size %d want %d", err, aws.ToInt64(head.ContentLength), fi.Size())
	}

	// A truncated archive is refused before anything is uploaded.
	data, _ := os.ReadFile(archive)
	cut := filepath.Join(t.TempDir(), "cut.sqfs")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	r = cli(t, env, "install", cut, "s3://bkt/cut.sqfs")
	r.want(t, exitFailure)
	if !strings.Contains(r.stderr, "truncated") || srv.Stats().Total() != 0 {
		t.Errorf("truncated archive: stderr %q, %d requests", r.stderr, srv.Stats().Total())
	}
}
