package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// TestPack packs a tree with each tool and compressor and checks the
// archive with unsquashfs: recommended settings, and the same files,
// modes, times and link targets as the source.
func TestPack(t *testing.T) {
	src := fixture.SourceDir(t, fixture.SmallTree)
	for _, tc := range []struct{ tool, comp string }{
		{"mksquashfs", "zstd"}, {"gensquashfs", "xz"},
	} {
		t.Run(tc.tool+"/"+tc.comp, func(t *testing.T) {
			if _, err := exec.LookPath(tc.tool); err != nil {
				t.Skipf("%s not installed", tc.tool)
			}
			out := filepath.Join(t.TempDir(), "a.sqfs")
			r := runOK(t, baseEnv(t), "pack", "--tool", tc.tool, "--comp", tc.comp, src, out)
			if !strings.Contains(r.stdout, tc.comp+"\tblock 1048576\t") {
				t.Errorf("pack stdout %q", r.stdout)
			}
			sb, err := exec.Command("unsquashfs", "-s", out).Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Block size 1048576", "Compression " + tc.comp} {
				if !bytes.Contains(sb, []byte(want)) {
					t.Errorf("unsquashfs -s lacks %q:\n%s", want, sb)
				}
			}
			compareTrees(t, src, fixture.Extract(t, out))
		})
	}
}

func TestPackErrors(t *testing.T) {
	src := fixture.SourceDir(t, fixture.SmallTree)
	dir := t.TempDir()
	out := filepath.Join(dir, "a.sqfs")
	runOK(t, baseEnv(t), "pack", src, out)
	before, _ := os.ReadFile(out)

	r := cli(t, baseEnv(t), "pack", src, out)
	r.want(t, exitFailure)
	if !strings.Contains(r.stderr, "exists (use --force") {
		t.Errorf("stderr %q", r.stderr)
	}
	runOK(t, baseEnv(t), "pack", "--force", "--comp", "xz", src, out)
	if after, _ := os.ReadFile(out); bytes.Equal(before, after) {
		t.Error("--force did not replace the archive")
	}

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		msg  string
	}{
		{"missing dir", baseEnv(t), []string{"pack", filepath.Join(dir, "nope"), filepath.Join(dir, "b.sqfs")}, "no such file"},
		{"file not dir", baseEnv(t), []string{"pack", out, filepath.Join(dir, "b.sqfs")}, "not a directory"},
		{"no tools", append(baseEnv(t), "PATH="+t.TempDir()), []string{"pack", src, filepath.Join(dir, "b.sqfs")}, "neither mksquashfs nor gensquashfs is installed"},
		{"tool missing", append(baseEnv(t), "PATH="+t.TempDir()), []string{"pack", "--tool", "gensquashfs", src, filepath.Join(dir, "b.sqfs")}, "squashfs-tools-ng"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, tc.env, tc.args...)
			r.want(t, exitFailure, tc.args...)
			if !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("stderr %q lacks %q", r.stderr, tc.msg)
			}
		})
	}
	// Nothing but the archive: no temporary files, no b.sqfs.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only a.sqfs", names)
	}
}

// compareTrees checks that got has the same entries as want: types,
// permissions, modification times, contents and link targets.
func compareTrees(t *testing.T, want, got string) {
	t.Helper()
	seen := 0
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		seen++
		wfi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		gfi, err := os.Lstat(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if gfi.Mode() != wfi.Mode() {
			t.Errorf("%s: mode %v, want %v", rel, gfi.Mode(), wfi.Mode())
		}
		if !wfi.IsDir() && gfi.ModTime().Unix() != wfi.ModTime().Unix() {
			t.Errorf("%s: time %v, want %v", rel, gfi.ModTime(), wfi.ModTime())
		}
		switch {
		case wfi.Mode().IsRegular():
			wb, _ := os.ReadFile(p)
			gb, _ := os.ReadFile(filepath.Join(got, rel))
			if !bytes.Equal(wb, gb) {
				t.Errorf("%s: contents differ", rel)
			}
		case wfi.Mode()&fs.ModeSymlink != 0:
			wt, _ := os.Readlink(p)
			gt, _ := os.Readlink(filepath.Join(got, rel))
			if wt != gt {
				t.Errorf("%s: target %q, want %q", rel, gt, wt)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 5 {
		t.Fatalf("walked only %d entries", seen)
	}
}
