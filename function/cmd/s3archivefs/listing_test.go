package main

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

func TestModeString(t *testing.T) {
	tests := []struct {
		mode fs.FileMode
		want string
	}{
		{0o644, "-rw-r--r--"},
		{fs.ModeDir | 0o755, "drwxr-xr-x"},
		{fs.ModeSymlink | 0o777, "lrwxrwxrwx"},
		{fs.ModeDevice | fs.ModeCharDevice | 0o600, "crw-------"},
		{fs.ModeDevice | 0o660, "brw-rw----"},
		{fs.ModeNamedPipe | 0o640, "prw-r-----"},
		{fs.ModeSocket | 0o777, "srwxrwxrwx"},
		{fs.ModeSetuid | 0o755, "-rwsr-xr-x"},
		{fs.ModeSetuid | 0o644, "-rwSr--r--"},
		{fs.ModeSetgid | 0o2755&0o777, "-rwxr-sr-x"},
		{fs.ModeSetgid | 0o640, "-rw-r-S---"},
		{fs.ModeDir | fs.ModeSticky | 0o777, "drwxrwxrwt"},
		{fs.ModeDir | fs.ModeSticky | 0o776, "drwxrwxrwT"},
		{0, "----------"},
	}
	for _, tt := range tests {
		if got := squash.LsMode(tt.mode); got != tt.want {
			t.Errorf("squash.LsMode(%v) = %s, want %s", tt.mode, got, tt.want)
		}
	}
}

func TestLongLineWidths(t *testing.T) {
	when := time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		e    squash.Entry
		want string
	}{
		{squash.Entry{Mode: 0o644, Size: 3, ModTime: when}, "-rw-r--r-- 0/0                       3 2024-02-29 23:59 n"},
		{squash.Entry{Mode: 0o644, UID: 4294967295, GID: 4294967295, Size: 1 << 40, ModTime: when},
			"-rw-r--r-- 4294967295/4294967295 1099511627776 2024-02-29 23:59 n"},
		{squash.Entry{Mode: fs.ModeSymlink | 0o777, Target: "../x y", ModTime: when}, "lrwxrwxrwx 0/0                       6 2024-02-29 23:59 n -> ../x y"},
		{squash.Entry{Mode: fs.ModeDevice | fs.ModeCharDevice | 0o600, ModTime: when, Rdev: 1<<8 | 3}, "crw------- 0/0                   1,  3 2024-02-29 23:59 n"},
	}
	for _, tt := range tests {
		if got := longLine(tt.e, "n", time.UTC); got != tt.want {
			t.Errorf("longLine:\n got %q\nwant %q", got, tt.want)
		}
	}
}

// TestLsLocalModes packs a tree with setuid, setgid and sticky bits and
// compares `ls -lR` of the local archive with `unsquashfs -lln`.
func TestLsLocalModes(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	modes := map[string]fs.FileMode{
		"suid": fs.ModeSetuid | 0o755, "suid-noexec": fs.ModeSetuid | 0o644,
		"sgid": fs.ModeSetgid | 0o750, "sgid-noexec": fs.ModeSetgid | 0o640,
		"plain": 0o400,
	}
	if err := os.MkdirAll(filepath.Join(src, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, m := range modes {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(src, "tmp"), fs.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "modes.sqfs")
	runOK(t, baseEnv(t), "pack", src, archive)
	got := runOK(t, baseEnv(t), "ls", "-lR", "--utc", archive).stdout
	compareListings(t, got, unsquashfsList(t, archive, "-UTC"))
	for _, want := range []string{"-rwsr-xr-x", "-rwSr--r--", "-rwxr-s---", "-rw-r-S---", "drwxrwxrwt"} {
		if !strings.Contains(got, want) {
			t.Errorf("listing lacks %s:\n%s", want, got)
		}
	}
	out := runOK(t, baseEnv(t), "stat", archive, "suid").stdout
	if !strings.Contains(out, "(4755)") || !strings.Contains(out, "archive:  "+archive+" ") || strings.Contains(out, "ETag") {
		t.Errorf("stat of a local archive:\n%s", out)
	}
}

func TestProgress(t *testing.T) {
	var tty, plain bytes.Buffer
	pt, pp := newProgress(&tty, 100<<20, true), newProgress(&plain, 100<<20, false)
	for done := int64(0); done <= 100<<20; done += 5 << 20 {
		pt.update(done)
		pp.update(done)
	}
	pt.finish()
	pp.finish()
	if n := strings.Count(tty.String(), "\r["); n != 21 || !strings.HasSuffix(tty.String(), "\n") || strings.Count(tty.String(), "\n") != 1 {
		t.Errorf("terminal: %d redraws, output %q", n, tty.String())
	}
	if !strings.Contains(tty.String(), "[##############################] 100% 100.0 MiB / 100.0 MiB") {
		t.Errorf("terminal output lacks the full bar: %q", tty.String())
	}
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[9], "uploaded 100.0 MiB of 100.0 MiB (100%)") || strings.Contains(plain.String(), "\r") {
		t.Errorf("plain: %d lines, want one per tenth:\n%s", len(lines), plain.String())
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"5242880", 5 << 20, true},
		{"5MiB", 5 << 20, true},
		{"5M", 5 << 20, true},
		{"64 MiB", 64 << 20, true},
		{"1GiB", 1 << 30, true},
		{"5g", 5 << 30, true},
		{"512KiB", 512 << 10, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-5MiB", 0, false},
		{"5.5MiB", 0, false},
		{"5TiB", 0, false},
		{"99999999999999999999", 0, false},
		{"9999999999999GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"5242880", "5MiB", "1 GiB", "-1", "9223372036854775807", "7KB", "M", "ÿ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in, bucket, key string
	}{
		{"s3://b/k", "b", "k"},
		{"s3://bucket/dir/file.sqfs", "bucket", "dir/file.sqfs"},
		{"s3://bucket/", "", ""},
		{"s3://bucket", "", ""},
		{"s3:///key", "", ""},
		{"https://bucket/key", "", ""},
	}
	for _, tt := range tests {
		u, err := parseS3URL(tt.in)
		if tt.bucket == "" {
			if err == nil {
				t.Errorf("parseS3URL(%q) = %v, want an error", tt.in, u)
			}
			continue
		}
		if err != nil || u.bucket != tt.bucket || u.key != tt.key || u.String() != tt.in {
			t.Errorf("parseS3URL(%q) = %+v, %v", tt.in, u, err)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args      []string
		pos       []string
		long, rec bool
		cache     string
	}{
		{[]string{"s3://b/k", "dir", "-l"}, []string{"s3://b/k", "dir"}, true, false, ""},
		{[]string{"-lR", "s3://b/k"}, []string{"s3://b/k"}, true, true, ""},
		{[]string{"s3://b/k", "-Rl", "--cache", "/c", "x"}, []string{"s3://b/k", "x"}, true, true, "/c"},
		{[]string{"s3://b/k", "--", "-l"}, []string{"s3://b/k", "-l"}, false, false, ""},
		{[]string{"-l", "--", "-R", "--"}, []string{"-R", "--"}, true, false, ""},
	}
	for _, tt := range tests {
		fl := flag.NewFlagSet("t", flag.ContinueOnError)
		long, rec := fl.Bool("l", false, ""), fl.Bool("R", false, "")
		cache := fl.String("cache", "", "")
		pos, err := parseInterspersed(fl, tt.args)
		if err != nil || !slices.Equal(pos, tt.pos) || *long != tt.long || *rec != tt.rec || *cache != tt.cache {
			t.Errorf("%q: pos %q l=%v R=%v cache=%q err=%v", tt.args, pos, *long, *rec, *cache, err)
		}
	}
	fl := flag.NewFlagSet("t", flag.ContinueOnError)
	fl.SetOutput(&bytes.Buffer{})
	fl.Bool("l", false, "")
	if _, err := parseInterspersed(fl, []string{"-lx"}); err == nil {
		t.Error("-lx with no -x flag parsed")
	}
}
