package objects

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// orderingTree has names whose key order differs from their name order:
// '-' and '.' sort before '/', so "a-b" and "a.txt" come before "a/...".
var orderingTree = fixture.Tree{Name: "key-order", Seed: 11, Nodes: []fixture.Node{
	{Path: "a/x", Size: 3, Text: true},
	{Path: "a/y/z", Size: 3, Text: true},
	{Path: "a-b/c", Size: 3, Text: true},
	{Path: "a-b.txt", Size: 3, Text: true},
	{Path: "a.txt", Size: 3, Text: true},
	{Path: "a0", Size: 3, Text: true},
	{Path: "a", Kind: fixture.Dir},
	{Path: "b/a!/q", Size: 3, Text: true},
	{Path: "b/a/q", Size: 3, Text: true},
	{Path: "b/a", Kind: fixture.Dir},
	{Path: "b/a.", Size: 1, Text: true},
	{Path: "b/a ", Size: 1, Text: true},
	{Path: "c/empty", Kind: fixture.Dir},
	{Path: "c/link-to-a.txt", Kind: fixture.Symlink, Target: "../a.txt"},
	{Path: "c/link-to-dir", Kind: fixture.Symlink, Target: "../a"},
	{Path: "c/dangling", Kind: fixture.Symlink, Target: "nowhere"},
	{Path: "c/fifo", Kind: fixture.Fifo},
	{Path: "ü/ファイル", Size: 2, Text: true},
}}

func openArchive(t *testing.T, path string) (*squash.Image, *countingReaderAt) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r := &countingReaderAt{r: f}
	a, err := squash.Open(r, st.Size(), squash.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a, r
}

type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// expectedKeys is the ground truth: every regular file listed by unsquashfs,
// and every symlink that resolves to one, in byte order.
func expectedKeys(t *testing.T, archivePath string, a *squash.Image) []string {
	var keys []string
	for _, e := range fixture.List(t, archivePath) {
		switch {
		case strings.HasPrefix(e.Mode, "-"):
			keys = append(keys, e.Path)
		case strings.HasPrefix(e.Mode, "l"):
			if st, err := a.Stat(e.Path); err == nil && st.Mode.IsRegular() {
				keys = append(keys, e.Path)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

func walkKeys(t *testing.T, a *squash.Image, from string, max int) []string {
	t.Helper()
	var got []string
	walk(context.Background(), a, from, func(f file, err error) bool {
		if err != nil {
			t.Fatalf("walk from %q: %v", from, err)
		}
		got = append(got, f.key)
		return max <= 0 || len(got) < max
	})
	return got
}

func TestWalkKeyOrder(t *testing.T) {
	for _, tree := range []fixture.Tree{orderingTree, fixture.SpecialTree} {
		t.Run(tree.Name, func(t *testing.T) {
			path, _ := fixture.Build(t, fixture.Recipe{Tree: tree, Tool: fixture.Mksquashfs, Compressor: "gzip", BlockSize: 4096})
			a, _ := openArchive(t, path)
			want := expectedKeys(t, path, a)
			if got := walkKeys(t, a, "", 0); !slices.Equal(got, want) {
				t.Fatalf("full walk:\n got %q\nwant %q", got, want)
			}
			// Resume from every key, from just after it, from prefixes
			// and from successors of directories (what a delimiter
			// roll-up asks for), and from random strings.
			froms := []string{"", "a", "a/", "a0", "a/y0", "b/a/", "b/a0", "\xff"}
			for _, k := range want {
				froms = append(froms, k, k+"\x00")
				if i := strings.LastIndexByte(k, '/'); i > 0 {
					froms = append(froms, k[:i], k[:i+1], k[:i]+"0")
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 50 {
				k := want[rng.IntN(len(want))]
				froms = append(froms, k[:rng.IntN(len(k)+1)])
			}
			for _, from := range froms {
				var suffix []string
				for _, k := range want {
					if k >= from {
						suffix = append(suffix, k)
					}
				}
				if got := walkKeys(t, a, from, 0); !slices.Equal(got, suffix) {
					t.Errorf("walk from %q:\n got %q\nwant %q", from, got, suffix)
				}
			}
		})
	}
}

// TestWalkPageCost checks that a page deep inside a large archive reads a
// small part of the metadata a full walk reads.
func TestWalkPageCost(t *testing.T) {
	path, _ := fixture.Build(t, fixture.Files20k)
	full, fullReader := openArchive(t, path)
	if n := len(walkKeys(t, full, "", 0)); n != 20000 {
		t.Fatalf("full walk found %d files, want 20000", n)
	}
	page, pageReader := openArchive(t, path)
	opened := pageReader.n.Load()
	got := walkKeys(t, page, "d050/f10100.txt", 10)
	if len(got) != 10 || got[0] != "d050/f10100.txt" {
		t.Fatalf("page = %q", got)
	}
	pageBytes := pageReader.n.Load() - opened
	fullBytes := fullReader.n.Load() - opened
	t.Logf("metadata read: full walk %d bytes, one page of 10 deep inside %d bytes", fullBytes, pageBytes)
	if pageBytes*20 > fullBytes {
		t.Errorf("a deep page read %d bytes, more than 1/20 of a full walk (%d): not O(page)", pageBytes, fullBytes)
	}
}
