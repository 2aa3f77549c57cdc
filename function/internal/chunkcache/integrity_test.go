package chunkcache

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// overwrite replaces the bytes of path in place (same inode): the file is
// truncated to len(b)'s size first when resize is set.
func overwrite(t *testing.T, path string, b []byte, at int64, resize bool) {
	t.Helper()
	flags := os.O_WRONLY
	if resize {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// replace puts b at path through a rename (a new inode), as another
// process would.
func replace(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDamagedChunkNeverServed damages one cached chunk in every way a
// shared cache can see (garbage of the same size, of another size,
// truncation, a misplaced file, deletion; in place or by rename) and reads
// it in a fresh process and in one that holds the chunk's file open. The
// right bytes are always served; damage is counted and the chunk fetched
// again; a file kept open by the reader still has the right bytes when the
// path was replaced or removed under it.
func TestDamagedChunkNeverServed(t *testing.T) {
	const chunk = 4 * pageSize
	const victim = 3
	e := newEnv(t, s3test.Options{}, 10*chunk+500)
	fileSize := chunkFileSize(chunk)
	// Another version of the object: the same bytes, another identity.
	other := newCache(t, Config{Dir: t.TempDir()}).View(Identity{bucket, e.key, `"other"`}, e.info.Size, chunk, pinned{e.src, e.info.ETag})
	checkRead(t, other.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
	other.c.bg.Wait()

	damages := []struct {
		name   string
		damage func(t *testing.T, path string)
		// renamed: the path names a new file; a reader holding the old
		// one open keeps reading its (right) bytes. dataKept: the data
		// is intact, so a reader that checked the trailer before serves
		// it.
		renamed, deleted, dataKept bool
	}{
		{"garbage of the same size in place", func(t *testing.T, p string) {
			overwrite(t, p, randomBytes(int(fileSize), 7), 0, false)
		}, false, false, false},
		{"data garbage, checksums kept, in place", func(t *testing.T, p string) {
			overwrite(t, p, randomBytes(chunk, 8), 0, false)
		}, false, false, false},
		{"one byte changed in place", func(t *testing.T, p string) {
			b := readAll(t, p)
			overwrite(t, p, []byte{^b[2*pageSize+17]}, 2*pageSize+17, false)
		}, false, false, false},
		{"garbage of another size (longer) in place", func(t *testing.T, p string) {
			overwrite(t, p, randomBytes(int(fileSize)+100, 9), 0, true)
		}, false, false, false},
		{"garbage of another size (shorter) in place", func(t *testing.T, p string) {
			overwrite(t, p, randomBytes(chunk/2, 10), 0, true)
		}, false, false, false},
		{"truncated to the data alone", func(t *testing.T, p string) {
			if err := os.Truncate(p, chunk); err != nil {
				t.Fatal(err)
			}
		}, false, false, true},
		{"truncated to nothing", func(t *testing.T, p string) {
			if err := os.Truncate(p, 0); err != nil {
				t.Fatal(err)
			}
		}, false, false, false},
		{"garbage of the same size by rename", func(t *testing.T, p string) {
			replace(t, p, randomBytes(int(fileSize), 11))
		}, true, false, false},
		{"another chunk's file by rename", func(t *testing.T, p string) {
			replace(t, p, readAll(t, filepath.Join(filepath.Dir(p), "4")))
		}, true, false, false},
		{"another object's chunk by rename", func(t *testing.T, p string) {
			replace(t, p, readAll(t, other.path(victim)))
		}, true, false, false},
		{"deleted", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, true, true, false},
	}
	for _, d := range damages {
		for _, kept := range []bool{false, true} {
			name := d.name + "/fresh process"
			if kept {
				name = d.name + "/file kept open"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				c := newCache(t, Config{Dir: dir})
				o := e.object(c, chunk)
				checkRead(t, o.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
				c.bg.Wait()
				path := o.path(victim)
				if kept {
					// A warm read opens the chunk's file and keeps it.
					checkRead(t, o.ReaderAt(context.Background()), e.data, victim*chunk, chunk)
				} else {
					c = newCache(t, Config{Dir: dir})
					o = e.object(c, chunk)
				}
				d.damage(t, path)

				e.s.ResetStats()
				ctx, st := counted()
				r := o.ReaderAt(ctx)
				// A read inside the damaged page first, then the whole chunk
				// and its neighbours.
				checkRead(t, r, e.data, victim*chunk+2*pageSize+10, 20)
				checkRead(t, r, e.data, (victim-1)*chunk+5, 3*chunk-10)
				wantCorrupt, wantGets := int64(1), int64(1)
				switch {
				case kept && (d.renamed || d.dataKept):
					wantCorrupt, wantGets = 0, 0 // the bytes it serves are intact
				case d.deleted:
					wantCorrupt = 0
				}
				if got := st.CacheCorrupt.Load(); got != wantCorrupt {
					t.Errorf("%d damaged chunks counted, want %d", got, wantCorrupt)
				}
				if got := e.s.Stats().Requests["GET"]; got != wantGets {
					t.Errorf("%d GETs, want %d", got, wantGets)
				}

				// The chunk is sound on disk again (or still damaged, when a
				// kept file served it, and caught by the next process).
				c.bg.Wait()
				c2 := newCache(t, Config{Dir: dir})
				ctx2, st2 := counted()
				checkRead(t, e.object(c2, chunk).ReaderAt(ctx2), e.data, 0, int64(len(e.data)))
				if wantGets == 1 && st2.CacheCorrupt.Load()+st2.CacheMisses.Load() != 0 {
					t.Errorf("after the refetch: %d damaged, %d misses; want a sound cache", st2.CacheCorrupt.Load(), st2.CacheMisses.Load())
				}
			})
		}
	}
}

// TestChecksumCatchesWhatSizeDoesNot shows the damage test can fail: with
// verification off, same-size garbage in a chunk's data is served.
func TestChecksumCatchesWhatSizeDoesNot(t *testing.T) {
	const chunk = 4 * pageSize
	e := newEnv(t, s3test.Options{}, 4*chunk)
	c := newCache(t, Config{Dir: t.TempDir()})
	o := e.object(c, chunk)
	checkRead(t, o.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
	c.bg.Wait()
	overwrite(t, o.path(1), randomBytes(chunk, 8), 0, false)
	c.skipVerify = true
	buf := make([]byte, chunk)
	if _, err := o.ReaderAt(context.Background()).ReadAt(buf, chunk); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(buf, e.data[chunk:2*chunk]) {
		t.Fatal("garbage not served without verification: the damage tests prove nothing")
	}
	c.skipVerify = false
	checkRead(t, o.ReaderAt(context.Background()), e.data, chunk, chunk)
}

func TestVerifyPages(t *testing.T) {
	data := randomBytes(3*pageSize+100, 5)
	crcs, ok := parseTrailer(trailer(data, place{"o", 2}), int64(len(data)), place{"o", 2})
	if !ok || len(crcs) != 4 {
		t.Fatalf("trailer: %v, %d pages", ok, len(crcs))
	}
	if _, ok := parseTrailer(trailer(data, place{"o", 2}), int64(len(data)), place{"o", 3}); ok {
		t.Error("trailer of chunk 2 accepted for chunk 3")
	}
	if _, ok := parseTrailer(trailer(data, place{"o", 2}), int64(len(data)), place{"p", 2}); ok {
		t.Error("trailer of object o accepted for object p")
	}
	tests := []struct {
		name  string
		first int64
		parts [][]byte
		want  bool
	}{
		{"whole", 0, [][]byte{data}, true},
		{"split anywhere", 0, [][]byte{data[:1], data[1:5000], data[5000:]}, true},
		{"pages 1-2", 1, [][]byte{data[pageSize : 3*pageSize]}, true},
		{"last short page", 3, [][]byte{data[3*pageSize:]}, true},
		{"short of a page end", 1, [][]byte{data[pageSize : 2*pageSize-1]}, false},
		{"wrong page", 2, [][]byte{data[pageSize : 2*pageSize]}, false},
		{"past the end", 4, [][]byte{data[:pageSize]}, false},
		{"changed", 0, [][]byte{data[:10], {data[10] ^ 1}, data[11:]}, false},
	}
	for _, tt := range tests {
		if got := verifyPages(crcs, tt.first, tt.parts...); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestEvictionOfLayouts: eviction removes the previous layout's chunks
// (never read) like its own, and leaves other directories beside them
// (the archive's open records) alone.
func TestEvictionOfLayouts(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 32*chunk)
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	var planted []string
	for _, rel := range []string{"s3archivefs/v1/ab/abc.c4096/0", "s3archivefs/open-v1/ab/record"} {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, chunk), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
		planted = append(planted, p)
	}
	c := newCache(t, Config{Dir: dir, CapBytes: 8 * chunkFileSize(chunk)})
	o := e.object(c, chunk)
	for i := range int64(32) {
		checkRead(t, o.ReaderAt(context.Background()), e.data, i*chunk, chunk)
		c.bg.Wait()
	}
	if _, err := os.Stat(planted[0]); err == nil {
		t.Error("the v1 chunk was not evicted")
	}
	if _, err := os.Stat(planted[1]); err != nil {
		t.Errorf("the open record was evicted: %v", err)
	}
}
