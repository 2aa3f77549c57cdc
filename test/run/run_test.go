package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// needTools skips when a tool is missing, or fails under make test
// (S3ARCHIVEFS_REQUIRE_TOOLS), where every tool must be there.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, tool+" not installed (make tools)")
		}
	}
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("S3ARCHIVEFS_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s (S3ARCHIVEFS_REQUIRE_TOOLS is set)", why)
	}
	t.Skip(why)
}

// TestPrepareArchive checks each form ARCHIVE can take.
func TestPrepareArchive(t *testing.T) {
	needTools(t, "mksquashfs", "unsquashfs")
	dir := t.TempDir()
	src := filepath.Join(dir, "tree")
	os.MkdirAll(filepath.Join(src, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "b", "c.txt"), []byte("c"), 0o644)
	os.WriteFile(filepath.Join(src, "top.txt"), []byte("top"), 0o644)
	notSqfs := filepath.Join(dir, "plain.txt")
	os.WriteFile(notSqfs, []byte("not an archive"), 0o644)

	packed, files, err := prepareArchive(context.Background(), settings{archive: src, mksquashfsArgs: "-comp gzip"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, ",") != "a/b/c.txt,top.txt" {
		t.Fatalf("files %v", files)
	}
	again, files2, err := prepareArchive(context.Background(), settings{archive: packed}, t.TempDir())
	if err != nil || again != packed || len(files2) != 2 {
		t.Fatalf("a .sqfs is served as is: %s %v %v", again, files2, err)
	}
	for _, bad := range []string{notSqfs, filepath.Join(dir, "missing")} {
		if _, _, err := prepareArchive(context.Background(), settings{archive: bad}, t.TempDir()); err == nil {
			t.Errorf("ARCHIVE=%s accepted", bad)
		}
	}
}

// TestRunLifecycle starts the program as `make run` does (with the
// olaplocal test function as bootstrap), reads its instructions, uses the
// endpoint, stops it with SIGTERM and checks nothing it started survives.
func TestRunLifecycle(t *testing.T) {
	needTools(t, "mksquashfs", "unsquashfs")
	if _, err := s3test.Binary(); err != nil {
		missing(t, "versitygw not installed (make tools)")
	}
	bin := t.TempDir()
	for _, b := range [][]string{
		{"build", "-o", filepath.Join(bin, "run"), "."},
		{"build", "-tags", "lambda.norpc", "-o", filepath.Join(bin, "bootstrap"), "../olaplocal/testdata/testfunc"},
	} {
		if out, err := exec.Command("go", b...).CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", b, err, out)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "run"))
	cmd.Env = append(os.Environ(), "BOOTSTRAP="+filepath.Join(bin, "bootstrap"), "OLAP_ADDR=127.0.0.1:0", "S3_PORT=0", "ARCHIVE=", "PREFIX=demo/")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	banner := make(chan string, 1)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "s3 sync") {
				banner <- b.String()
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var text string
	select {
	case text = <-banner:
	case err := <-exited:
		t.Fatalf("exited before serving: %v", err)
	case <-time.After(90 * time.Second):
		t.Fatal("no instructions within 90 s")
	}
	m := regexp.MustCompile(`Object Lambda endpoint\s+(http://\S+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no endpoint URL in:\n%s", text)
	}
	url := m[1]
	for _, want := range []string{
		"/usr/bin/aws --endpoint-url " + url + " s3 ls --recursive s3://s3archivefs/demo/",
		"export AWS_ACCESS_KEY_ID=s3archivefs AWS_SECRET_ACCESS_KEY=s3archivefs-local AWS_DEFAULT_REGION=us-east-1",
		"--range bytes=0-99", "list-objects-v2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("instructions lack %q:\n%s", want, text)
		}
	}
	if n := regexp.MustCompile(`\((\d+) files\)`).FindStringSubmatch(text); n == nil || atoi(n[1]) < 200 {
		t.Errorf("demo archive is not a few hundred files: %v", n)
	}

	client := s3.New(s3.Options{BaseEndpoint: aws.String(url), UsePathStyle: true, Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("s3archivefs", "s3archivefs-local", "")})
	out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("s3archivefs"), Key: aws.String("hello.txt")})
	if err != nil {
		t.Fatalf("passthrough object: %v", err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !strings.HasPrefix(string(body), "Hello from the supporting bucket") {
		t.Fatalf("hello.txt: %q", body)
	}

	children := childrenOf(t, cmd.Process.Pid)
	if len(children) < 2 {
		t.Fatalf("expected versitygw and the function among the children, got %v", children)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after SIGTERM")
	}
	for _, pid := range children {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("process %d outlived make run", pid)
		}
	}
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at ')'.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && atoi(fields[1]) == pid {
			out = append(out, p)
		}
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestDemo checks the demo tree a newcomer first reads: a README that
// says what it is, text and binary files in nested folders, sensible
// modes, and the same bytes on every run.
func TestDemo(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, d := range dirs {
		if err := writeDemo(d); err != nil {
			t.Fatal(err)
		}
	}
	readme, err := os.ReadFile(filepath.Join(dirs[0], "README.md"))
	if err != nil || !strings.Contains(string(readme), "inside a squashfs archive") || !strings.Contains(string(readme), "Things to try") {
		t.Fatalf("README.md: %v\n%s", err, readme)
	}
	var files, binary, text, deep int
	err = filepath.WalkDir(dirs[0], func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		rel, _ := filepath.Rel(dirs[0], path)
		info, _ := d.Info()
		want := fs.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			want = 0o755
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", rel, info.Mode().Perm(), want)
		}
		data, _ := os.ReadFile(path)
		other, err := os.ReadFile(filepath.Join(dirs[1], rel))
		if err != nil || !bytes.Equal(data, other) {
			t.Errorf("%s differs between two runs", rel)
		}
		files++
		if utf8.Valid(data) && !bytes.ContainsRune(data, 0) {
			text++
		} else {
			binary++
		}
		if strings.Count(rel, string(filepath.Separator)) >= 3 {
			deep++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 200 || text < 100 || binary < 50 || deep < 100 {
		t.Errorf("%d files (%d text, %d binary, %d three folders deep)", files, text, binary, deep)
	}
	for _, bin := range []string{"maps/tiles/0/0/0.png", "logs/2024/06/01.log.gz"} {
		data, _ := os.ReadFile(filepath.Join(dirs[0], bin))
		if !bytes.HasPrefix(data, []byte("\x89PNG")) && !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			t.Errorf("%s is not what its name says", bin)
		}
	}
	if target, err := os.Readlink(filepath.Join(dirs[0], "docs", "start-here.md")); err != nil || target != "guide/getting-started.md" {
		t.Errorf("docs/start-here.md: %q %v", target, err)
	}
}

func TestFunctionVars(t *testing.T) {
	const entry = "demo|s3://b/archives/demo.sqfs"
	for _, tc := range []struct {
		name    string
		environ []string
		want    []string
	}{
		{"nothing set", []string{"HOME=/root"},
			[]string{"S3ARCHIVEFS_PREFIX_VMAP1=" + entry, "S3ARCHIVEFS_CACHE_DIR=/run/cache"}},
		{"caller's map and cache kept", []string{"S3ARCHIVEFS_PREFIX_VMAP1=mine|s3://x/y.sqfs", "S3ARCHIVEFS_PREFIX_VMAP2=also|s3://x/z.sqfs", "S3ARCHIVEFS_CACHE_DIR=/mnt/efs"},
			[]string{"S3ARCHIVEFS_PREFIX_VMAP3=" + entry}},
		{"a gap is used", []string{"S3ARCHIVEFS_PREFIX_VMAP1=mine|s3://x/y.sqfs", "S3ARCHIVEFS_PREFIX_VMAP3=also|s3://x/z.sqfs"},
			[]string{"S3ARCHIVEFS_PREFIX_VMAP2=" + entry, "S3ARCHIVEFS_CACHE_DIR=/run/cache"}},
		{"empty counts as unset", []string{"S3ARCHIVEFS_PREFIX_VMAP1=", "S3ARCHIVEFS_CACHE_DIR="},
			[]string{"S3ARCHIVEFS_PREFIX_VMAP1=" + entry, "S3ARCHIVEFS_CACHE_DIR=/run/cache"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := functionVars(tc.environ, entry, "/run/cache")
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("functionVars = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	var full []string
	for i := 1; i <= vmapMax; i++ {
		full = append(full, fmt.Sprintf("%s%d=p%d|s3://x/y.sqfs", vmapVar, i, i))
	}
	if _, err := functionVars(full, entry, "/run/cache"); err == nil || !strings.Contains(err.Error(), "all set") {
		t.Errorf("every VMAP variable set: err %v, want one saying so", err)
	}
}
