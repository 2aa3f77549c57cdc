package chunkcache

import (
	"path/filepath"
	"strconv"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
)

// Derived keeps values computed from one version of an object (its
// decoded blocks) in the cache, beside the object's chunks:
//
//	<Dir>/s3archivefs/v2/<h[0:2]>/<h>.<kind>/<key>
//
// A process on a shared cache (a new Lambda instance on EFS) then reads
// the part of a value it needs, as another process computed it, instead
// of computing the whole value again: a read of a few pages and their
// checksums instead of a decompression. The files have the chunks' format
// (chunkfile.go), their footer bound to the kind and key; they are kept
// open in the same bounded LRU, and counted and evicted with the chunks.
type Derived struct {
	c    *Cache
	dir  string
	name string // the directory's name, bound into each value's checksum
}

// Derived returns the values of kind (a short name such as "frag") derived
// from the object id.
func (c *Cache) Derived(id Identity, kind string) *Derived {
	h := id.hash()
	name := h + "." + kind
	return &Derived{c: c, dir: filepath.Join(c.root, h[:2], name), name: name}
}

func (d *Derived) path(key int64) string { return filepath.Join(d.dir, strconv.FormatInt(key, 10)) }

// ReadAt fills p with the bytes at off of the value stored under key,
// checked against their checksums, and reports whether it did. A value
// too short for the read is left alone (the caller computes it again and
// finds why); a damaged one is removed and logged (not counted in a
// request's reqstats: there is no request context here), so the caller
// computes it again.
func (d *Derived) ReadAt(key int64, p []byte, off int64) bool {
	return d.c.readFile(d.path(key), -1, place{d.name, key}, p, off, new(reqstats.Counters))
}

// Store keeps data under key, written in the background within the budget
// of bytes awaiting their write (past it, the value is not kept: it can
// be computed again). data must not be modified afterwards.
func (d *Derived) Store(key int64, data []byte) {
	n := int64(len(data))
	if !d.c.reserveWrite(n) {
		return
	}
	d.c.goUnsaved(func() {
		defer d.c.releaseWrite(n)
		d.c.publish(d.path(key), data, place{d.name, key})
	})
}

// dataLen is the length of the data a chunk file of size bytes holds:
// the inverse of chunkFileSize, false for a size no chunk file has.
func dataLen(size int64) (int64, bool) {
	s := size - footerSize
	if s < 0 {
		return 0, false
	}
	q, m := s/(pageSize+4), s%(pageSize+4)
	n := q * pageSize
	if m != 0 {
		n += m - 4
	}
	return n, n >= 0 && chunkFileSize(n) == size
}
