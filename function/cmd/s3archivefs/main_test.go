package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// cliBin is the s3archivefs binary built once for all tests: they run it
// as users do, as a subprocess.
var cliBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "s3archivefs-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cliBin = filepath.Join(dir, "s3archivefs")
	if out, err := exec.Command("go", "build", "-o", cliBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build s3archivefs: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the CLI produced.
type result struct {
	stdout, stderr string
	code           int
}

// baseEnv is a minimal environment: no AWS settings leak in from the
// developer's shell, and times print in UTC unless a test says otherwise.
func baseEnv(t *testing.T) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TZ=UTC",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// cli runs the binary with env and args.
func cli(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// want fails the test unless r exited with code.
func (r result) want(t *testing.T, code int, args ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("s3archivefs %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
}

// runOK runs the CLI and requires exit code 0.
func runOK(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := cli(t, env, args...)
	r.want(t, 0, args...)
	return r
}

// server starts versitygw with a bucket and returns it with the CLI's
// environment for it.
func server(t *testing.T, opts s3test.Options, bucket string) (*s3test.Server, []string) {
	t.Helper()
	s := s3test.StartT(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	return s, append(baseEnv(t), s.Env()...)
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string // substring wanted on stdout
		stderr string // substring wanted on stderr
	}{
		{args: nil, code: exitUsage, stderr: "Commands:"},
		{args: []string{"frobnicate"}, code: exitUsage, stderr: `unknown command "frobnicate"`},
		{args: []string{"help"}, code: exitOK, stdout: "Exit codes:"},
		{args: []string{"--help"}, code: exitOK, stdout: "vmap"},
		{args: []string{"help", "ls"}, code: exitOK, stdout: "usage: s3archivefs ls"},
		{args: []string{"ls"}, code: exitUsage, stderr: "usage: s3archivefs ls"},
		{args: []string{"ls", "bucket/key"}, code: exitFailure, stderr: "open bucket/key: no such file"},
		{args: []string{"ls", cliBin}, code: exitFailure, stderr: "bad magic"},
		{args: []string{"ls", "/etc/hostname"}, code: exitFailure, stderr: "/etc/hostname: squash: superblock"},
		{args: []string{"ls", "/etc"}, code: exitFailure, stderr: "not a regular file"},
		{args: []string{"ls", "s3://bucket"}, code: exitUsage, stderr: "want s3://bucket/key"},
		{args: []string{"ls", "--bogus", "s3://b/k"}, code: exitUsage, stderr: "flag provided but not defined: -bogus"},
		{args: []string{"stat", "s3://b/k"}, code: exitUsage, stderr: "want s3://bucket/key and a path"},
		{args: []string{"cat", "s3://b/k"}, code: exitUsage, stderr: "at least one path"},
		{args: []string{"get", "s3://b/k", "/"}, code: exitUsage, stderr: "get copies one file"},
		{args: []string{"install", "a.sqfs"}, code: exitUsage, stderr: "want a local archive"},
		{args: []string{"install", "--part-size", "4MiB", "a.sqfs", "s3://b/k"}, code: exitUsage, stderr: "5 MiB"},
		{args: []string{"install", "--part-size", "6GiB", "a.sqfs", "s3://b/k"}, code: exitUsage, stderr: "5 GiB"},
		{args: []string{"install", "--part-size", "lots", "a.sqfs", "s3://b/k"}, code: exitUsage, stderr: "not a size"},
		{args: []string{"install", "--part-size", "8TB", "a.sqfs", "s3://b/k"}, code: exitUsage, stderr: "unknown unit"},
		{args: []string{"install", "--storage-class", "GLACIER", "a.sqfs", "s3://b/k"}, code: exitUsage, stderr: "restored"},
		{args: []string{"install", "--storage-class", "CHEAP", "a.sqfs", "s3://b/k"}, code: exitUsage, stderr: "INTELLIGENT_TIERING"},
		{args: []string{"install", "--concurrency", "0", "a.sqfs", "s3://b/k"}, code: exitUsage, stderr: "--concurrency"},
		{args: []string{"install", "--endpoint-url", "ftp://x", "/dev/null", "s3://b/k"}, code: exitUsage, stderr: "http(s) URL"},
		{args: []string{"pack", "dir"}, code: exitUsage, stderr: "want a directory and an output file"},
		{args: []string{"pack", "--comp", "gzip", "d", "o"}, code: exitUsage, stderr: "want zstd or xz"},
		{args: []string{"pack", "--tool", "tar", ".", "o"}, code: exitUsage, stderr: "--tool"},
		{args: []string{"vmap"}, code: exitUsage, stderr: "'check'"},
		{args: []string{"vmap", "check"}, code: exitFailure, stderr: "the map is empty"},
		{args: []string{"install", "/nonexistent.sqfs", "s3://b/k"}, code: exitFailure, stderr: "no such file"},
		{args: []string{"install", "/etc/hostname", "s3://b/k"}, code: exitFailure, stderr: "not a squashfs archive"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := cli(t, baseEnv(t), tt.args...)
			r.want(t, tt.code, tt.args...)
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderr)
			}
			if tt.code != exitOK && r.stdout != "" {
				t.Errorf("a failure wrote to stdout: %q", r.stdout)
			}
		})
	}
}

// TestHelp checks that every command documents itself with examples.
func TestHelp(t *testing.T) {
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			r := runOK(t, baseEnv(t), c.name, flag)
			for _, want := range []string{"usage: s3archivefs " + c.name, "Examples:\n  s3archivefs " + c.name} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%s %s: output lacks %q:\n%s", c.name, flag, want, r.stdout)
				}
			}
			if r.stderr != "" {
				t.Errorf("%s %s wrote to stderr: %s", c.name, flag, r.stderr)
			}
		}
	}
}
