package squash_test

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// fstestTree is tree without what fstest.TestFS cannot take: links that
// resolve to nothing (dangling, loops; TestFS opens every entry following
// links, and they fail on os.DirFS too) and large files (TestFS reads each
// file in many small pieces, and each piece decodes a whole block; the
// large files are read whole and at random ranges by TestMatrix).
func fstestTree(tree fixture.Tree) fixture.Tree {
	drop := map[string]bool{"links/dangling": true, "links/loop-a": true, "links/loop-b": true, "links/self": true}
	nodes := slices.DeleteFunc(slices.Clone(tree.Nodes), func(n fixture.Node) bool {
		if n.Size > 64<<10 {
			drop[n.Path] = true
		}
		return drop[n.Path]
	})
	nodes = slices.DeleteFunc(nodes, func(n fixture.Node) bool {
		target := path.Join(path.Dir(n.Path), n.Target)
		if strings.HasPrefix(n.Target, "/") {
			target = n.Target[1:]
		}
		return n.Kind == fixture.Symlink && drop[target]
	})
	return fixture.Tree{Name: tree.Name + "-fstest", Seed: tree.Seed, Nodes: nodes}
}

// TestFSConformance checks the io/fs face with testing/fstest and compares
// every file it walks with the source tree the archive was built from.
func TestFSConformance(t *testing.T) {
	for _, r := range []fixture.Recipe{
		{Tree: fstestTree(fixture.SmallTree), Tool: fixture.Mksquashfs, Compressor: "gzip", BlockSize: 4096},
		{Tree: fstestTree(fixture.SpecialTree), Tool: fixture.Mksquashfs, Compressor: "xz", BlockSize: 4096},
		{Tree: fstestTree(fixture.SpecialTree), Tool: fixture.Gensquashfs, Compressor: "lz4", BlockSize: 4096},
	} {
		t.Run(r.String(), func(t *testing.T) {
			archive, src := fixture.Build(t, r)
			a, _ := openArchive(t, archive, squash.Options{})
			fsys := a.FS()
			var expected []string
			for _, n := range r.Tree.Nodes {
				expected = append(expected, n.Path)
			}
			if err := fstest.TestFS(fsys, expected...); err != nil {
				t.Fatal(err)
			}
			compareWithSource(t, fsys, os.DirFS(src))
		})
	}
}

// compareWithSource walks both trees: same names, same types, same bytes.
func compareWithSource(t *testing.T, got, want fs.FS) {
	t.Helper()
	n := 0
	err := fs.WalkDir(want, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := fs.Lstat(got, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if info.Mode().Type() != d.Type() {
			t.Errorf("%s: type %v, source has %v", p, info.Mode().Type(), d.Type())
		}
		if d.Type().IsRegular() {
			g, err := fs.ReadFile(got, p)
			w, _ := fs.ReadFile(want, p)
			if err != nil || !bytes.Equal(g, w) {
				t.Errorf("%s: %d bytes, %v; source has %d bytes", p, len(g), err, len(w))
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no regular file compared")
	}
}

// TestWideDirectory: a directory of 10,000 files written by gensquashfs,
// whose index has more entries than its listing has metadata blocks.
// Every name is looked up through the index and every file compared.
func TestWideDirectory(t *testing.T) {
	archive, src := fixture.Build(t, fixture.WideDir)
	a, _ := openArchive(t, archive, squash.Options{})
	entries, err := fs.ReadDir(a.FS(), "wide")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 10_000 {
		t.Fatalf("ReadDir: %d entries, want 10000", len(entries))
	}
	compareWithSource(t, a.FS(), os.DirFS(src))
}

func TestFSRejectsInvalidNames(t *testing.T) {
	archive, _ := fixture.Build(t, fixture.Small)
	a, _ := openArchive(t, archive, squash.Options{})
	for _, name := range []string{"/hello.txt", "docs/../hello.txt", "docs/", "", "./hello.txt"} {
		if _, err := a.FS().Open(name); err == nil {
			t.Errorf("Open(%q) succeeded; io/fs names are unrooted and clean", name)
		}
	}
}
