package squash_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

var special = fixture.Recipe{Tree: fixture.SpecialTree, Tool: fixture.Mksquashfs, Compressor: "zstd", BlockSize: 128 << 10}

func TestResolve(t *testing.T) {
	archive, _ := fixture.Build(t, special)
	a, _ := openArchive(t, archive, squash.Options{})
	tests := []struct {
		name   string
		stat   bool // Stat (follow) rather than Lstat
		want   string
		mode   fs.FileMode // type bits
		size   int64
		nlink  uint32
		target string
		err    error
	}{
		{name: "", want: ".", mode: fs.ModeDir},
		{name: ".", want: ".", mode: fs.ModeDir},
		{name: "/", want: ".", mode: fs.ModeDir},
		{name: "/text/small.txt", want: "small.txt", size: 900, nlink: 1},
		{name: "text//./small.txt", want: "small.txt", size: 900, nlink: 1},
		{name: "links/rel", want: "rel", mode: fs.ModeSymlink, target: "../text/small.txt", nlink: 1},
		{name: "links/rel", stat: true, want: "rel", size: 900, nlink: 1},
		{name: "links/abs", stat: true, want: "abs", size: 300_000, nlink: 1},
		{name: "links/escape", stat: true, want: "escape", size: 900, nlink: 1},
		{name: "links/chain", stat: true, want: "chain", size: 900, nlink: 1},
		{name: "links/to-dir/small.txt", want: "small.txt", size: 900, nlink: 1},
		{name: "links/to-dir", stat: true, want: "to-dir", mode: fs.ModeDir},
		{name: "../../text/../text/small.txt", want: "small.txt", size: 900, nlink: 1},
		{name: "links/hard-a", want: "hard-a", size: 5000, nlink: 2},
		{name: "links/hard-b", want: "hard-b", size: 5000, nlink: 2},
		{name: "dev/fifo", want: "fifo", mode: fs.ModeNamedPipe, nlink: 1},
		{name: "links/dangling", want: "dangling", mode: fs.ModeSymlink, target: "nowhere/at-all", nlink: 1},
		{name: "links/dangling", stat: true, err: fs.ErrNotExist},
		{name: "links/loop-a", stat: true, err: squash.ErrLoop},
		{name: "links/self", stat: true, err: squash.ErrLoop},
		{name: "links/self/x", err: squash.ErrLoop},
		{name: "missing", err: fs.ErrNotExist},
		{name: "text/missing", err: fs.ErrNotExist},
		{name: "text/small.txt/x", err: squash.ErrNotDir},
		{name: "names/ünïcødé-ファイル", want: "ünïcødé-ファイル", size: 12, nlink: 1},
		{name: "names/per%cent+plus#hash?q", want: "per%cent+plus#hash?q", size: 11, nlink: 1},
	}
	for _, tt := range tests {
		stat := a.Lstat
		if tt.stat {
			stat = a.Stat
		}
		e, err := stat(tt.name)
		if tt.err != nil {
			var pe *fs.PathError
			if !errors.Is(err, tt.err) || !errors.As(err, &pe) {
				t.Errorf("stat(%q) = %v, want *fs.PathError wrapping %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("stat(%q): %v", tt.name, err)
			continue
		}
		if e.Name != tt.want || e.Mode.Type() != tt.mode || (!e.IsDir() && e.Size != tt.size) || e.Target != tt.target || (tt.nlink != 0 && e.Nlink != tt.nlink) {
			t.Errorf("stat(%q) = %+v, want name %q type %v size %d target %q nlink %d", tt.name, e, tt.want, tt.mode, tt.size, tt.target, tt.nlink)
		}
	}
	if ea, _ := a.Lstat("links/hard-a"); true {
		eb, _ := a.Lstat("links/hard-b")
		if ea.Inode != eb.Inode {
			t.Errorf("hard links have inodes %d and %d", ea.Inode, eb.Inode)
		}
	}
	if os.Geteuid() == 0 {
		if e, err := a.Lstat("dev/null"); err != nil || e.Mode.Type() != fs.ModeDevice|fs.ModeCharDevice {
			t.Errorf("dev/null: %+v, %v", e, err)
		}
	}
	if _, err := a.Open("text"); !errors.Is(err, squash.ErrIsDir) {
		t.Errorf("open(dir) = %v, want ErrIsDir", err)
	}
	if _, err := a.Open("dev/fifo"); err == nil {
		t.Errorf("open(fifo) succeeded")
	}
	if _, err := a.ReadDir("text/small.txt", "", 0); !errors.Is(err, squash.ErrNotDir) {
		t.Errorf("readdir(file) = %v, want ErrNotDir", err)
	}
	if ents, err := a.ReadDir("links/to-dir", "", 0); err != nil || len(ents) != 2 {
		t.Errorf("readdir through a symlink: %v, %v", ents, err)
	}
}

// TestReadDirPages pages through a directory of 1500 entries and checks
// that starting after a late name uses the directory index: it decodes
// fewer metadata blocks than listing from the start.
func TestReadDirPages(t *testing.T) {
	archive, _ := fixture.Build(t, special)
	a, _ := openArchive(t, archive, squash.Options{})
	all, err := a.ReadDir("many", "", 0)
	if err != nil || len(all) != 1500 {
		t.Fatalf("readdir: %d entries, %v", len(all), err)
	}
	for _, n := range []int{1, 7, 100, 1499, 1500, 5000} {
		var got []squash.Entry
		after := ""
		for {
			page, err := a.ReadDir("many", after, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > n {
				t.Fatalf("page of %d for n=%d", len(page), n)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Name
		}
		if len(got) != len(all) {
			t.Fatalf("n=%d: %d entries, want %d", n, len(got), len(all))
		}
		for i := range got {
			if got[i] != all[i] {
				t.Fatalf("n=%d: entry %d = %+v, want %+v", n, i, got[i], all[i])
			}
		}
	}
	if page, err := a.ReadDir("many", "entry-with-a-long-name-01234x", 3); err != nil || len(page) != 3 || page[0].Name != "entry-with-a-long-name-01235" {
		t.Errorf("after a name between entries: %v, %v", page, err)
	}

	decodes := func(after string) int64 {
		e := &countingEngine{Engine: codec.Go}
		a, _ := openArchive(t, archive, squash.Options{Engine: e})
		base := e.decodes.Load()
		if _, err := a.ReadDir("many", after, 5); err != nil {
			t.Fatal(err)
		}
		return e.decodes.Load() - base
	}
	first, late := decodes(""), decodes("entry-with-a-long-name-01490")
	full := func() int64 {
		e := &countingEngine{Engine: codec.Go}
		a, _ := openArchive(t, archive, squash.Options{Engine: e})
		base := e.decodes.Load()
		if _, err := a.ReadDir("many", "", 0); err != nil {
			t.Fatal(err)
		}
		return e.decodes.Load() - base
	}()
	t.Logf("metadata decodes: first page %d, page after entry 1490 %d, whole listing %d", first, late, full)
	if late >= full/2 {
		t.Errorf("a late page decoded %d blocks, the whole listing %d: index not used", late, full)
	}
}

// TestFragmentCache reads the 200 small files of one directory of the
// 20,000-file archive: their tails share a few fragment blocks, which must
// be decompressed once, and a second view must decode nothing.
func TestFragmentCache(t *testing.T) {
	archive, src := fixture.Build(t, fixture.Files20k)
	readAll := func(a *squash.Image) {
		ents, err := a.ReadDir("d007", "", 0)
		if err != nil || len(ents) != 200 {
			t.Fatalf("readdir: %d, %v", len(ents), err)
		}
		for _, e := range ents {
			f, err := a.Open("d007/" + e.Name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f.Reader(0, f.Size()))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(filepath.Join(src, "d007", e.Name))
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs", e.Name)
			}
		}
	}
	e := &countingEngine{Engine: codec.Go}
	a, cr := openArchive(t, archive, squash.Options{Engine: e})
	readAll(a)
	cold, coldReads := e.decodes.Load(), cr.calls.Load()
	readAll(a.WithReader(cr))
	warm := e.decodes.Load() - cold

	un := &countingEngine{Engine: codec.Go}
	b, _ := openArchive(t, archive, squash.Options{Engine: un, CacheBytes: 1})
	readAll(b)
	t.Logf("200 files: %d decodes and %d ReadAt cold, %d decodes warm; %d decodes without a cache", cold, coldReads, warm, un.decodes.Load())
	if warm != 0 {
		t.Errorf("warm pass decoded %d blocks, want 0", warm)
	}
	if cold > 20 {
		t.Errorf("cold pass decoded %d blocks for 200 files: fragments decoded more than once", cold)
	}
	if un.decodes.Load() < 200 {
		t.Errorf("without a cache only %d decodes: the test does not measure the cache", un.decodes.Load())
	}
}

// TestRunReads checks that a large read fetches adjacent blocks with one
// ReadAt and decodes each block once (compressible text: random bytes are
// stored uncompressed and never reach the decoder).
func TestRunReads(t *testing.T) {
	r := special
	r.Fragments = fixture.NoFragments
	archive, src := fixture.Build(t, r)
	e := &countingEngine{Engine: codec.Go}
	a, cr := openArchive(t, archive, squash.Options{Engine: e})
	f, err := a.Open("text/medium.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(src, "text/medium.txt"))
	reads, decodes := cr.calls.Load(), e.decodes.Load()
	got := make([]byte, len(want))
	if _, err := f.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read: %v", err)
	}
	blocks := int64((len(want) + 128<<10 - 1) / (128 << 10))
	dReads, dDecodes := cr.calls.Load()-reads, e.decodes.Load()-decodes
	t.Logf("%d blocks: %d ReadAt, %d decodes", blocks, dReads, dDecodes)
	// One ReadAt for the data run, at most two for the block list.
	if dReads > 3 {
		t.Errorf("%d ReadAt calls for one run of %d blocks", dReads, blocks)
	}
	if dDecodes > blocks+2 {
		t.Errorf("%d decodes for %d blocks", dDecodes, blocks)
	}
	// A small range inside one block reads and decodes just that block.
	reads, decodes = cr.calls.Load(), e.decodes.Load()
	if _, err := f.ReadAt(got[:100], 200_000); err != nil || !bytes.Equal(got[:100], want[200_000:200_100]) {
		t.Fatal(err)
	}
	if d := e.decodes.Load() - decodes; d != 1 {
		t.Errorf("small range: %d decodes, want 1", d)
	}
	if d := cr.calls.Load() - reads; d != 1 {
		t.Errorf("small range: %d ReadAt, want 1", d)
	}
}

// TestBigSparse reads a sparse file of more than 4 GiB (extended inode)
// near its start, the 4 GiB boundary and its end.
func TestBigSparse(t *testing.T) {
	if testing.Short() {
		t.Skip("4 GiB sparse fixture skipped in -short mode")
	}
	for _, tool := range []fixture.Tool{fixture.Mksquashfs, fixture.Gensquashfs} {
		t.Run(string(tool), func(t *testing.T) {
			archive, src := fixture.Build(t, fixture.Recipe{Tree: fixture.BigSparseTree, Tool: tool, Compressor: "zstd", BlockSize: 128 << 10})
			a, _ := openArchive(t, archive, squash.Options{})
			f, err := a.Open("big")
			if err != nil {
				t.Fatal(err)
			}
			if f.Size() != fixture.SparseFileSize {
				t.Fatalf("size %d", f.Size())
			}
			sf, err := os.Open(filepath.Join(src, "big"))
			if err != nil {
				t.Fatal(err)
			}
			defer sf.Close()
			for _, off := range []int64{0, 4000, 1 << 20, 4<<30 - 5000, 4<<30 - 1, fixture.SparseFileSize - 20000, fixture.SparseFileSize - 1} {
				n := min(int64(20000), fixture.SparseFileSize-off)
				got, want := make([]byte, n), make([]byte, n)
				if _, err := f.ReadAt(got, off); err != nil && err != io.EOF {
					t.Fatalf("read at %d: %v", off, err)
				}
				if _, err := sf.ReadAt(want, off); err != nil && err != io.EOF {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("bytes at %d differ", off)
				}
			}
		})
	}
}

func BenchmarkReadLargeFile(b *testing.B) {
	for _, c := range []string{"zstd", "gzip", "xz"} {
		b.Run(c, func(b *testing.B) {
			r := special
			r.Compressor = c
			archive, _ := fixture.Build(b, r)
			a, _ := openArchive(b, archive, squash.Options{})
			f, err := a.Open("random/large.bin")
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(f.Size())
			for b.Loop() {
				rd := f.Reader(0, f.Size())
				if _, err := io.Copy(io.Discard, rd); err != nil {
					b.Fatal(err)
				}
				rd.Close()
			}
		})
	}
}

// TestConcurrent reads many files of one archive from several goroutines
// through views sharing one cache (run with -race).
func TestConcurrent(t *testing.T) {
	archive, src := fixture.Build(t, special)
	e := &countingEngine{Engine: codec.Go}
	a, cr := openArchive(t, archive, squash.Options{Engine: e, CacheBytes: 256 << 10})
	names := []string{"text/small.txt", "text/medium.txt", "random/tail.bin", "links/chain", "many/entry-with-a-long-name-00042", "sparse/holes", "exact/blocks"}
	want := map[string][]byte{}
	for _, n := range names {
		p, _ := filepath.EvalSymlinks(filepath.Join(src, n))
		want[n], _ = os.ReadFile(p)
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			v := a.WithReader(cr)
			for i := range 20 {
				n := names[(g+i)%len(names)]
				f, err := v.Open(n)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(f.Reader(0, f.Size()))
				if err != nil || !bytes.Equal(got, want[n]) {
					t.Errorf("%s: %d bytes, %v", n, len(got), err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestReadDirTypes: the names and types from the listing alone agree with
// what ReadDir learns from the inodes, page by page.
func TestReadDirTypes(t *testing.T) {
	archive, _ := fixture.Build(t, special)
	a, _ := openArchive(t, archive, squash.Options{})
	for _, dir := range []string{"", "links", "dev", "many", "names"} {
		full, err := a.ReadDir(dir, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []squash.DirEntry
		for after := ""; ; {
			page, err := a.ReadDirTypes(dir, after, 64)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Name
		}
		if len(got) != len(full) {
			t.Fatalf("%q: %d entries, ReadDir has %d", dir, len(got), len(full))
		}
		for i, e := range full {
			if got[i].Name != e.Name || got[i].Type != e.Mode.Type() {
				t.Errorf("%q: entry %d = %q %v, ReadDir says %q %v", dir, i, got[i].Name, got[i].Type, e.Name, e.Mode.Type())
			}
			if ent, err := a.EntryOf(got[i]); err != nil || ent != e {
				t.Errorf("%q: EntryOf(%q) = %+v, %v; ReadDir says %+v", dir, e.Name, ent, err, e)
			}
		}
	}
	if _, err := a.EntryOf(squash.DirEntry{Name: "made-up"}); err == nil {
		t.Error("EntryOf of an entry no listing returned must fail")
	}
	if _, err := a.ReadDirTypes("text/small.txt", "", 0); !errors.Is(err, squash.ErrNotDir) {
		t.Errorf("ReadDirTypes of a file: %v, want ErrNotDir", err)
	}
}
