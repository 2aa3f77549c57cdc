package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// cliTree has every kind of entry, odd names, and a file large enough
// for a multipart upload of three 5 MiB parts.
var cliTree = fixture.Tree{Name: "cli", Seed: 81, Nodes: []fixture.Node{
	{Path: "big/random.bin", Size: 12<<20 + 4321},
	{Path: "README", Size: 5000, Text: true},
	{Path: "empty", Size: 0},
	{Path: "docs/a.txt", Size: 70_000, Text: true},
	{Path: "docs/with space.txt", Size: 10, Text: true},
	{Path: "docs/ünïcødé", Size: 12, Text: true},
	{Path: "docs/sub/deep/leaf.txt", Size: 42, Text: true},
	{Path: "links/hard", Kind: fixture.Hardlink, Target: "README"},
	{Path: "links/rel", Kind: fixture.Symlink, Target: "../README"},
	{Path: "links/dangling", Kind: fixture.Symlink, Target: "nowhere"},
	{Path: "links/dir", Kind: fixture.Symlink, Target: "../docs"},
	{Path: "emptydir", Kind: fixture.Dir},
	{Path: "dev/fifo", Kind: fixture.Fifo},
	{Path: "dev/null", Kind: fixture.CharDev},
}}

// TestPackInstallRead is the operator's path: pack a tree, install it,
// read it back through the archive core, and compare with the source
// tree and with unsquashfs.
func TestPackInstallRead(t *testing.T) {
	src := fixture.SourceDir(t, cliTree)
	srv, env := server(t, s3test.Options{}, "archives")
	ctx := context.Background()
	dir := t.TempDir()
	local := filepath.Join(dir, "cli.sqfs")
	url := "s3://archives/sets/cli.sqfs"
	cache := []string{"--cache", filepath.Join(dir, "cache")}

	runOK(t, env, "pack", src, local)
	r := runOK(t, append(env, "S3ARCHIVEFS_MPU_CHUNK_SIZE=5MiB"), "install", "--concurrency", "2", local, url)
	if !strings.Contains(r.stdout, "3 parts") || !strings.Contains(r.stdout, "size and ETag verified") {
		t.Errorf("install stdout: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "uploaded") || !strings.Contains(r.stderr, "(100%)") {
		t.Errorf("install progress (not a terminal: plain lines): %q", r.stderr)
	}

	t.Run("object", func(t *testing.T) {
		data, err := os.ReadFile(local)
		if err != nil {
			t.Fatal(err)
		}
		head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("archives"), Key: aws.String("sets/cli.sqfs")})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToInt64(head.ContentLength); got != int64(len(data)) {
			t.Errorf("size %d, want %d", got, len(data))
		}
		if got, want := head.Metadata["s3archivefs-superblock"], base64.StdEncoding.EncodeToString(data[:96]); got != want {
			t.Errorf("superblock metadata %q, want %q", got, want)
		}
		if !strings.HasSuffix(aws.ToString(head.ETag), `-3"`) {
			t.Errorf("ETag %s: want a 3-part multipart ETag", aws.ToString(head.ETag))
		}
		out, err := srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archives"), Key: aws.String("sets/cli.sqfs")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("object differs from the local archive (%d bytes, %v)", len(got), err)
		}
		ups, err := srv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("archives")})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) != 0 {
			t.Errorf("%d multipart uploads left", len(ups.Uploads))
		}
	})

	t.Run("ls -lR matches unsquashfs -lln", func(t *testing.T) {
		want := unsquashfsList(t, local, "-UTC")
		got := runOK(t, env, withCache(cache, "ls", "-lR", "--utc", url)...).stdout
		compareListings(t, got, want)
	})

	t.Run("ls -lR local time", func(t *testing.T) {
		tzEnv := append(env, "TZ=Asia/Kolkata") // +05:30: minutes shift too
		want := unsquashfsListEnv(t, local, tzEnv)
		got := runOK(t, tzEnv, withCache(cache, "ls", "-lR", url)...).stdout
		compareListings(t, got, want)
	})

	t.Run("ls -l dir", func(t *testing.T) {
		var want strings.Builder
		for _, line := range strings.SplitAfter(unsquashfsList(t, local, "-UTC"), "\n") {
			// Direct children of docs, named by base name as ls does.
			if m := relPath.FindStringSubmatch(line); m != nil && strings.HasPrefix(m[2], "docs/") && !strings.Contains(m[2][5:], "/") {
				want.WriteString(m[1] + m[2][5:] + m[3])
			}
		}
		got := runOK(t, env, withCache(cache, "ls", url, "docs/", "-l", "--utc")...).stdout
		compareListings(t, got, want.String())
	})

	t.Run("ls names", func(t *testing.T) {
		for _, p := range []string{"", "docs", "links/dir", "emptydir"} {
			ents, err := os.ReadDir(filepath.Join(src, p))
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, e := range ents {
				want.WriteString(e.Name() + "\n")
			}
			args := withCache(cache, "ls", url)
			if p != "" {
				args = append(args, p)
			}
			if got := runOK(t, env, args...).stdout; got != want.String() {
				t.Errorf("ls %q:\n%s\nwant:\n%s", p, got, want.String())
			}
		}
		if got := runOK(t, env, withCache(cache, "ls", url, "README")...).stdout; got != "README\n" {
			t.Errorf("ls of a file: %q", got)
		}
		r := cli(t, env, withCache(cache, "ls", url, "missing")...)
		r.want(t, exitFailure)
		if !strings.Contains(r.stderr, "missing: no such file or directory") {
			t.Errorf("stderr %q", r.stderr)
		}
	})

	t.Run("stat", func(t *testing.T) {
		fi, err := os.Lstat(filepath.Join(src, "README"))
		if err != nil {
			t.Fatal(err)
		}
		out := runOK(t, env, withCache(cache, "stat", url, "/README")...).stdout
		for _, want := range []string{
			"path:     README\n", "type:     regular file\n",
			"mode:     " + fi.Mode().String() + " (0" + strconv.FormatUint(uint64(fi.Mode().Perm()), 8) + ")\n",
			"size:     5000\n", "modified: " + fi.ModTime().UTC().Format(time.RFC3339) + "\n",
			"links:    2\n", "archive:  s3://archives/sets/cli.sqfs ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("stat README lacks %q:\n%s", want, out)
			}
		}
		out = runOK(t, env, withCache(cache, "stat", url, "links/rel")...).stdout
		for _, want := range []string{"type:     symbolic link\n", "target:   ../README\n", "size:     9\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("stat links/rel lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("cat", func(t *testing.T) {
		files := regularFiles(t, src)
		for _, p := range files {
			want, err := os.ReadFile(filepath.Join(src, p))
			if err != nil {
				t.Fatal(err)
			}
			if got := runOK(t, env, withCache(cache, "cat", url, p)...).stdout; got != string(want) {
				t.Errorf("cat %s: %d bytes differ from the source's %d", p, len(got), len(want))
			}
		}
		readme, _ := os.ReadFile(filepath.Join(src, "README"))
		leaf, _ := os.ReadFile(filepath.Join(src, "docs/sub/deep/leaf.txt"))
		if got := runOK(t, env, withCache(cache, "cat", url, "links/rel", "links/dir/sub/deep/leaf.txt")...).stdout; got != string(readme)+string(leaf) {
			t.Errorf("cat through symlinks: %q", got)
		}
		for p, msg := range map[string]string{"docs": "is a directory", "nope": "no such file", "links/dangling": "no such file"} {
			r := cli(t, env, withCache(cache, "cat", url, p)...)
			r.want(t, exitFailure)
			if !strings.Contains(r.stderr, msg) {
				t.Errorf("cat %s: stderr %q lacks %q", p, r.stderr, msg)
			}
		}
	})

	t.Run("cat reads data through the chunk cache", func(t *testing.T) {
		fresh := []string{"--cache", t.TempDir()}
		runOK(t, env, withCache(fresh, "cat", url, "big/random.bin")...)
		srv.ResetStats()
		runOK(t, env, withCache(fresh, "cat", url, "big/random.bin")...)
		// The second run fetches only what an open always reads (head and
		// tail); the 12 MiB of data blocks come from the cache.
		if got := srv.Stats().BodyBytes; got > tailBytes+64<<10 {
			t.Errorf("second cat read %d bytes from S3, want at most %d", got, tailBytes+64<<10)
		}
	})

	t.Run("get", func(t *testing.T) {
		out := t.TempDir()
		runOK(t, env, withCache(cache, "get", url, "big/random.bin", out)...)
		runOK(t, env, withCache(cache, "get", url, "docs/with space.txt", filepath.Join(out, "renamed"))...)
		for p, dst := range map[string]string{"big/random.bin": "random.bin", "docs/with space.txt": "renamed"} {
			want, _ := os.ReadFile(filepath.Join(src, p))
			got, err := os.ReadFile(filepath.Join(out, dst))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("get %s: %d bytes (%v), want the source's %d", p, len(got), err, len(want))
			}
			sfi, _ := os.Stat(filepath.Join(src, p))
			gfi, err := os.Stat(filepath.Join(out, dst))
			if err != nil || gfi.Mode() != sfi.Mode() || !gfi.ModTime().Equal(sfi.ModTime().Truncate(time.Second)) {
				t.Errorf("get %s: mode %v time %v, want %v %v", p, gfi.Mode(), gfi.ModTime(), sfi.Mode(), sfi.ModTime())
			}
		}
		if left, _ := filepath.Glob(filepath.Join(out, ".*tmp*")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})

	t.Run("vmap check", func(t *testing.T) {
		r := runOK(t, append(env, "S3ARCHIVEFS_PREFIX_VMAP2=datasets/cli|"+url), "vmap", "check")
		if !regexp.MustCompile(`(?m)^/datasets/cli +s3://archives/sets/cli.sqfs +\d+ +1048576 +zstd +\d+ +ok$`).MatchString(r.stdout) {
			t.Errorf("vmap check:\n%s", r.stdout)
		}
	})
}

// listPath splits an unsquashfs -lln line (root "R") into what comes
// before the path, the path, and the rest (symlink target, newline).
var listPath = regexp.MustCompile(`^(.* \d{4}-\d\d-\d\d \d\d:\d\d )R/(.*?)((?: -> .*)?\n)$`)

// relPath is listPath for lines whose paths are already relative.
var relPath = regexp.MustCompile(`^(.* \d{4}-\d\d-\d\d \d\d:\d\d )(.*?)((?: -> .*)?\n)$`)

// unsquashfsList returns `unsquashfs -lln` for the archive with the root
// line dropped and paths made relative to the root, in the environment's
// time zone (TZ=UTC) or with extra flags.
func unsquashfsList(t *testing.T, archive string, flags ...string) string {
	t.Helper()
	return unsquashfsListEnv(t, archive, append(os.Environ(), "TZ=UTC"), flags...)
}

func unsquashfsListEnv(t *testing.T, archive string, env []string, flags ...string) string {
	t.Helper()
	cmd := exec.Command("unsquashfs", append(append([]string{"-lln"}, flags...), "-d", "R", archive)...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("unsquashfs -lln: %v", err)
	}
	var b strings.Builder
	for i, line := range strings.SplitAfter(string(out), "\n") {
		if i == 0 || line == "" {
			continue // the root
		}
		m := listPath.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unsquashfs line %q", line)
		}
		b.WriteString(m[1] + m[2] + m[3])
	}
	return b.String()
}

// compareListings compares the CLI's long listing with unsquashfs's,
// line by line and byte for byte.
func compareListings(t *testing.T, got, want string) {
	t.Helper()
	gl, wl := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	if len(gl) != len(wl) {
		t.Fatalf("%d lines, want %d\ngot:\n%s\nwant:\n%s", len(gl), len(wl), got, want)
	}
	for i := range gl {
		if gl[i] != wl[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, gl[i], wl[i])
		}
	}
}

// regularFiles lists the regular files of a tree, slash-separated.
func regularFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// withCache puts the cache flags after the command name.
func withCache(cache []string, args ...string) []string {
	return append(append([]string{args[0]}, cache...), args[1:]...)
}
