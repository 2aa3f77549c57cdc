package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// TestVmapCheck checks a map with one entry of each kind, from the
// environment and from a file, and the exit status.
func TestVmapCheck(t *testing.T) {
	srv, env := server(t, s3test.Options{}, "arch")
	ctx := context.Background()
	small, _ := fixture.Build(t, fixture.Small)
	other, _ := fixture.Build(t, fixture.Recipe{Tree: fixture.SmallTree, Tool: fixture.Gensquashfs, Compressor: "xz", BlockSize: 64 << 10})
	data, err := os.ReadFile(small)
	if err != nil {
		t.Fatal(err)
	}
	otherData, _ := os.ReadFile(other)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	put := func(key, path string, meta map[string]string) {
		if err := srv.PutFile(ctx, "arch", key, path, meta); err != nil {
			t.Fatal(err)
		}
	}
	runOK(t, env, "install", "--quiet", small, "s3://arch/good.sqfs")
	put("nometa.sqfs", other, nil)
	put("text.txt", write("text.txt", []byte(strings.Repeat("hello, not an archive\n", 10))), nil)
	put("cut.sqfs", write("cut.sqfs", data[:4096]), nil)
	put("stale.sqfs", small, map[string]string{"s3archivefs-superblock": base64.StdEncoding.EncodeToString(otherData[:96])})

	good := "datasets/good|s3://arch/good.sqfs"
	mapText := strings.Join([]string{
		"# comment",
		good,
		"nometa|s3://arch/nometa.sqfs",
		"missing|s3://arch/missing.sqfs",
		"text|s3://arch/text.txt",
		"cut|s3://arch/cut.sqfs",
		"stale|s3://arch/stale.sqfs",
		"no pipe here",
		"",
	}, "\n")

	wantRows := []string{
		`(?m)^/datasets/good +s3://arch/good.sqfs +\d+ +131072 +gzip +\d+ +ok$`,
		`(?m)^/nometa +s3://arch/nometa.sqfs +\d+ +65536 +xz +\d+ +ok \(no s3archivefs-superblock metadata\)$`,
		`(?m)^/missing +s3://arch/missing.sqfs +- +- +- +- +ERROR: object not found$`,
		`(?m)^/text +s3://arch/text.txt +220 +- .*ERROR: not a squashfs archive: .*bad magic`,
		`(?m)^/cut +s3://arch/cut.sqfs +4096 +- .*ERROR: truncated: the superblock says \d+ bytes, the object has 4096$`,
		`(?m)^/stale +s3://arch/stale.sqfs +\d+ +- .*ERROR: the s3archivefs-superblock metadata differs`,
		`(?m)^- +- +- .*ERROR: .*:8: "no pipe here": want exactly one '\|'`,
	}
	check := func(t *testing.T, r result) {
		t.Helper()
		r.want(t, exitCheck)
		if !strings.HasPrefix(r.stdout, "PREFIX ") {
			t.Errorf("no header:\n%s", r.stdout)
		}
		for _, re := range wantRows {
			if !regexp.MustCompile(re).MatchString(r.stdout) {
				t.Errorf("no line matching %s in:\n%s", re, r.stdout)
			}
		}
		if n := strings.Count(r.stdout, "\n"); n != 1+len(wantRows) {
			t.Errorf("%d lines, want a header and %d entries:\n%s", n, len(wantRows), r.stdout)
		}
		if !strings.Contains(r.stderr, "5 of 7 entries") {
			t.Errorf("stderr %q", r.stderr)
		}
	}

	t.Run("file", func(t *testing.T) {
		check(t, cli(t, env, "vmap", "check", "--file", write("vmap.txt", []byte(mapText))))
	})
	t.Run("ext file in S3", func(t *testing.T) {
		put("maps/vmap.txt", write("vmap-s3.txt", []byte(mapText)), nil)
		check(t, cli(t, append(env, "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE=s3://arch/maps/vmap.txt"), "vmap", "check"))
	})
	t.Run("environment", func(t *testing.T) {
		e := append(env, "S3ARCHIVEFS_PREFIX_VMAP1="+good, "S3ARCHIVEFS_PREFIX_VMAP7=nometa|s3://arch/nometa.sqfs")
		r := runOK(t, e, "vmap", "check")
		if strings.Count(r.stdout, " ok") != 2 {
			t.Errorf("want two ok entries:\n%s", r.stdout)
		}
		e = append(e, "S3ARCHIVEFS_PREFIX_VMAP20=datasets/good/|s3://arch/text.txt", "S3ARCHIVEFS_PREFIX_VMAP3=bad|http://arch/x")
		r = cli(t, e, "vmap", "check")
		r.want(t, exitCheck)
		for _, want := range []string{"S3ARCHIVEFS_PREFIX_VMAP3", "already mapped by S3ARCHIVEFS_PREFIX_VMAP1"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("deep", func(t *testing.T) {
		// Superblock intact, metadata tables garbled: only --deep sees it.
		broken := append([]byte(nil), data...)
		used := int(binary.LittleEndian.Uint64(broken[40:]))
		for i := used - 64; i < used; i++ {
			broken[i] = 0xff
		}
		put("broken.sqfs", write("broken.sqfs", broken), map[string]string{"s3archivefs-superblock": base64.StdEncoding.EncodeToString(broken[:96])})
		e := append(env, "S3ARCHIVEFS_PREFIX_VMAP1="+good, "S3ARCHIVEFS_PREFIX_VMAP2=broken|s3://arch/broken.sqfs")
		if r := runOK(t, e, "vmap", "check"); strings.Count(r.stdout, " ok\n") != 2 {
			t.Errorf("without --deep both pass:\n%s", r.stdout)
		}
		r := cli(t, e, "vmap", "check", "--deep", "--cache", t.TempDir())
		r.want(t, exitCheck)
		if !regexp.MustCompile(`(?m)^/datasets/good .* ok$`).MatchString(r.stdout) ||
			!regexp.MustCompile(`(?m)^/broken .*ERROR: open s3://arch/broken.sqfs: not a readable squashfs archive`).MatchString(r.stdout) {
			t.Errorf("--deep:\n%s", r.stdout)
		}
	})
	t.Run("unreadable file", func(t *testing.T) {
		r := cli(t, env, "vmap", "check", "--file", filepath.Join(dir, "none.txt"))
		r.want(t, exitFailure)
	})
}
