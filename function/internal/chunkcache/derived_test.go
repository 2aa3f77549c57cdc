package chunkcache

import (
	"bytes"
	"os"
	"testing"
)

func TestDataLenInvertsChunkFileSize(t *testing.T) {
	for n := int64(0); n <= 3*pageSize+1; n++ {
		if got, ok := dataLen(chunkFileSize(n)); !ok || got != n {
			t.Fatalf("dataLen(chunkFileSize(%d)) = %d, %v", n, got, ok)
		}
	}
	valid := map[int64]bool{}
	for n := int64(0); n <= 2*pageSize; n++ {
		valid[chunkFileSize(n)] = true
	}
	for size := int64(0); size <= chunkFileSize(2*pageSize); size++ {
		if _, ok := dataLen(size); ok != valid[size] {
			t.Fatalf("dataLen(%d) ok = %v, want %v", size, ok, valid[size])
		}
	}
}

// storeDerived stores data under key and waits for it to be on disk.
func storeDerived(t *testing.T, d *Derived, key int64, data []byte) string {
	t.Helper()
	d.Store(key, data)
	d.c.bg.Wait()
	if _, err := os.Stat(d.path(key)); err != nil {
		t.Fatal(err)
	}
	return d.path(key)
}

// TestDerivedValues: a value stored by one process is read in parts by
// another, each part checked; reads past its end are refused.
func TestDerivedValues(t *testing.T) {
	dir := t.TempDir()
	id := Identity{bucket, "a.sqfs", `"e1"`}
	data := randomBytes(3*pageSize+777, 7)
	storeDerived(t, newCache(t, Config{Dir: dir}).Derived(id, "frag"), 1234, data)

	d := newCache(t, Config{Dir: dir}).Derived(id, "frag")
	for _, r := range []struct{ off, n int64 }{{0, 1}, {0, int64(len(data))}, {4000, 200}, {pageSize, pageSize}, {int64(len(data)) - 5, 5}, {int64(len(data)), 0}} {
		p := make([]byte, r.n)
		if !d.ReadAt(1234, p, r.off) {
			t.Fatalf("ReadAt(%d bytes at %d) failed", r.n, r.off)
		}
		if !bytes.Equal(p, data[r.off:r.off+r.n]) {
			t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", r.n, r.off)
		}
	}
	if d.ReadAt(1234, make([]byte, 10), int64(len(data))-5) || d.ReadAt(1234, make([]byte, 1), -1) {
		t.Fatal("a read past the value's end succeeded")
	}
	if _, err := os.Stat(d.path(1234)); err != nil {
		t.Fatalf("a read past the end removed the value: %v", err)
	}
	if d.ReadAt(99, make([]byte, 1), 0) {
		t.Fatal("a missing value was read")
	}
	// Another kind, another object version: other values.
	if newCache(t, Config{Dir: dir}).Derived(id, "meta").ReadAt(1234, make([]byte, 1), 0) ||
		newCache(t, Config{Dir: dir}).Derived(Identity{bucket, "a.sqfs", `"e2"`}, "frag").ReadAt(1234, make([]byte, 1), 0) {
		t.Fatal("a value was read under another kind or version")
	}
}

// TestDamagedDerivedNeverServed: a damaged value file (bytes changed in
// place, truncated, grown, another key's file renamed over it) is refused
// and removed, in a process that opens it and in one that holds it open.
func TestDamagedDerivedNeverServed(t *testing.T) {
	dir := t.TempDir()
	id := Identity{bucket, "a.sqfs", `"e1"`}
	data := randomBytes(2*pageSize+100, 9)
	damages := []struct {
		name   string
		damage func(t *testing.T, d *Derived, path string)
	}{
		{"a data byte flipped in place", func(t *testing.T, _ *Derived, p string) {
			b := readAll(t, p)
			overwrite(t, p, []byte{b[pageSize+10] ^ 1}, pageSize+10, false)
		}},
		{"truncated", func(t *testing.T, _ *Derived, p string) {
			if err := os.Truncate(p, chunkFileSize(pageSize)); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage appended", func(t *testing.T, _ *Derived, p string) {
			b := readAll(t, p)
			overwrite(t, p, append(b, make([]byte, 4100)...), 0, true)
		}},
		{"another key's value renamed over it", func(t *testing.T, d *Derived, p string) {
			other := storeDerived(t, d, 5678, data)
			if err := os.Rename(other, p); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, dm := range damages {
		t.Run(dm.name, func(t *testing.T) {
			writer := newCache(t, Config{Dir: dir}).Derived(id, "frag")
			path := storeDerived(t, writer, 1234, data)
			holder := newCache(t, Config{Dir: dir}).Derived(id, "frag")
			if !holder.ReadAt(1234, make([]byte, 10), 0) {
				t.Fatal("intact value not read")
			}
			dm.damage(t, writer, path)
			for name, d := range map[string]*Derived{"holding it open": holder, "opening it": newCache(t, Config{Dir: dir}).Derived(id, "frag")} {
				p := make([]byte, len(data))
				if d.ReadAt(1234, p, 0) {
					if bytes.Equal(p, data) {
						// Only a reader that holds the intact inode open may
						// still serve it.
						continue
					}
					t.Fatalf("%s: damaged value served", name)
				}
			}
			if _, err := os.Stat(path); err == nil {
				if d := newCache(t, Config{Dir: dir}).Derived(id, "frag"); d.ReadAt(1234, make([]byte, len(data)), 0) {
					t.Fatal("damaged value still readable by a new process")
				}
				if _, err := os.Stat(path); err == nil {
					t.Fatal("damaged value not removed")
				}
			}
		})
	}
}
