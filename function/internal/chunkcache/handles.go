package chunkcache

import (
	"container/list"
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
)

// openChunk is a chunk file kept open after its trailer was checked: its
// page CRCs are in memory, so a hit costs a pread and the CRC of the pages
// it reads, with no open and no stat. Another process replacing the path
// leaves this inode's bytes as they were (the same object version, so the
// same bytes); one damaging them in place fails their CRCs; one removing
// the file on NFS makes reads fail (ESTALE), and the path is opened again.
type openChunk struct {
	path    string
	f       *os.File
	fi      os.FileInfo
	n       int64 // the chunk's length
	crcs    []uint32
	touched atomic.Int64 // unix nanos of the last mtime touch, for LRU eviction

	// Guarded by handles.mu.
	refs    int
	dropped bool // out of the LRU: closed when refs reaches 0
	elem    *list.Element
}

// errCorrupt is a chunk file that is not what its name says: wrong length,
// bad trailer, or bytes that fail their checksums.
var errCorrupt = errors.New("chunkcache: damaged chunk")

// openChunkFile opens and checks the file of the n-byte chunk at its
// place (n < 0: of the length its size says, a Derived value's). It
// returns errCorrupt (and the file's info) for a damaged file, and the
// open error for a missing one.
func openChunkFile(path string, n int64, at place) (*openChunk, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if n < 0 {
		n, _ = dataLen(fi.Size())
	}
	if fi.Size() != chunkFileSize(n) {
		f.Close()
		return nil, fi, errCorrupt
	}
	buf := make([]byte, fi.Size()-n)
	if err := readFull(f, buf, n); err != nil {
		f.Close()
		return nil, fi, err
	}
	crcs, ok := parseTrailer(buf, n, at)
	if !ok {
		f.Close()
		return nil, fi, errCorrupt
	}
	oc := &openChunk{path: path, f: f, fi: fi, n: n, crcs: crcs}
	oc.touched.Store(fi.ModTime().UnixNano())
	return oc, fi, nil
}

// readFull reads len(b) bytes at off; a file that ends first is
// errCorrupt (its length was checked when it was opened).
func readFull(f *os.File, b []byte, off int64) error {
	n, err := f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		return errCorrupt
	}
	return err
}

// smallSpan is the largest page-aligned span read with one pread into a
// scratch buffer; larger reads go straight into the caller's buffer with
// the partial pages at their edges read apart.
const smallSpan = 8 << 10

var scratch = sync.Pool{New: func() any { b := make([]byte, smallSpan); return &b }}

// read fills dst from the chunk's bytes at off, checking every page it
// touches against its CRC unless verify is off (the benchmark's
// baseline). It returns errCorrupt on a mismatch or a short file, another
// error when the file cannot be read.
func (oc *openChunk) read(dst []byte, off int64, verify bool) error {
	if !verify {
		return readFull(oc.f, dst, off)
	}
	lo, hi := off, off+int64(len(dst))
	alo := lo / pageSize * pageSize
	ahi := min((hi+pageSize-1)/pageSize*pageSize, oc.n)
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	if ahi-alo <= smallSpan {
		buf := (*bp)[:ahi-alo]
		if err := readFull(oc.f, buf, alo); err != nil {
			return err
		}
		if !verifyPages(oc.crcs, alo/pageSize, buf) {
			return errCorrupt
		}
		copy(dst, buf[lo-alo:])
		return nil
	}
	head, tail := (*bp)[:lo-alo], (*bp)[pageSize:pageSize+ahi-hi]
	for _, r := range []struct {
		b   []byte
		off int64
	}{{head, alo}, {dst, lo}, {tail, hi}} {
		if len(r.b) == 0 {
			continue
		}
		if err := readFull(oc.f, r.b, r.off); err != nil {
			return err
		}
	}
	if !verifyPages(oc.crcs, alo/pageSize, head, dst, tail) {
		return errCorrupt
	}
	return nil
}

// readFile reads dst at off of the n-byte chunk file at path (n < 0: of
// any length, a Derived value's) through the process's open files,
// checking the bytes against their checksums. A damaged file is removed,
// counted in stats, and reported missing; so is a read past the file's
// data, without removing it.
func (c *Cache) readFile(path string, n int64, at place, dst []byte, off int64, stats *reqstats.Counters) bool {
	for attempt := 0; attempt < 2; attempt++ {
		oc := c.handles.acquire(path)
		cached := oc != nil
		if !cached {
			var fi os.FileInfo
			var err error
			oc, fi, err = openChunkFile(path, n, at)
			if errors.Is(err, errCorrupt) {
				stats.CacheCorrupt.Add(1)
				c.discard(path, fi)
				return false
			}
			if err != nil {
				return false
			}
			oc = c.handles.add(oc)
		}
		if off < 0 || off > oc.n || int64(len(dst)) > oc.n-off {
			c.handles.release(oc, false)
			return false
		}
		err := oc.read(dst, off, !c.skipVerify)
		c.handles.release(oc, err != nil)
		switch {
		case err == nil:
			c.touch(oc)
			return true
		case errors.Is(err, errCorrupt):
			stats.CacheCorrupt.Add(1)
			if !c.discard(path, oc.fi) && cached {
				// The path holds another file now: try it.
				continue
			}
			return false
		case !cached:
			return false
		}
		// A kept file that can no longer be read (removed on NFS):
		// open the path again.
	}
	return false
}

// handles is the process's bounded LRU of open chunk files, keyed by path.
type handles struct {
	max      int
	maxBytes int64

	mu     sync.Mutex
	bytes  int64
	byPath map[string]*openChunk
	lru    list.List // of *openChunk, most recently used first
}

func newHandles(max int, maxBytes int64) *handles {
	return &handles{max: max, maxBytes: maxBytes, byPath: map[string]*openChunk{}}
}

// acquire returns the open file for path, or nil. The caller releases it.
func (h *handles) acquire(path string) *openChunk {
	h.mu.Lock()
	defer h.mu.Unlock()
	oc := h.byPath[path]
	if oc == nil {
		return nil
	}
	oc.refs++
	h.lru.MoveToFront(oc.elem)
	return oc
}

// add keeps oc open, acquired by the caller, and closes the least recently
// used files past the bounds. If another goroutine added the same path
// first, oc is closed and that one is returned.
func (h *handles) add(oc *openChunk) *openChunk {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.byPath[oc.path]; old != nil {
		oc.f.Close()
		old.refs++
		h.lru.MoveToFront(old.elem)
		return old
	}
	oc.refs = 1
	oc.elem = h.lru.PushFront(oc)
	h.byPath[oc.path] = oc
	h.bytes += oc.fi.Size()
	for h.lru.Len() > 1 && (h.lru.Len() > h.max || h.bytes > h.maxBytes) {
		h.unlink(h.lru.Back().Value.(*openChunk))
	}
	return oc
}

// release gives back an acquired file; drop also takes it out of the LRU
// (it went bad), so the next reader opens the path again.
func (h *handles) release(oc *openChunk, drop bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if drop && !oc.dropped {
		h.unlink(oc)
	}
	oc.refs--
	if oc.dropped && oc.refs == 0 {
		oc.f.Close()
	}
}

// forget closes the file of path (once its readers are done), before the
// path is removed or replaced by this process: on NFS, removing a file the
// client holds open leaves a .nfs* file behind, and locally its blocks
// stay allocated.
func (h *handles) forget(path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if oc := h.byPath[path]; oc != nil {
		h.unlink(oc)
	}
}

// closeAll closes every file once its readers are done.
func (h *handles) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.lru.Len() > 0 {
		h.unlink(h.lru.Front().Value.(*openChunk))
	}
}

// unlink takes oc out of the LRU and closes it if no reader holds it.
// h.mu is held.
func (h *handles) unlink(oc *openChunk) {
	h.lru.Remove(oc.elem)
	delete(h.byPath, oc.path)
	h.bytes -= oc.fi.Size()
	oc.dropped = true
	if oc.refs == 0 {
		oc.f.Close()
	}
}
