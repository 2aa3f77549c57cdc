package chunkcache

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
)

// Object is one remote object seen through the cache.
type Object struct {
	c     *Cache
	id    Identity
	size  int64
	chunk int64
	f     Fetcher
	dir   string

	mu      sync.Mutex
	flights map[int64]*flight // chunks being fetched in this process
}

// flight is one chunk being fetched; done is closed once data or err is
// set.
type flight struct {
	done chan struct{}
	data []byte
	err  error
}

// Size is the object's size.
func (o *Object) Size() int64 { return o.size }

// ReaderAt returns a reader of the object whose reads use ctx.
func (o *Object) ReaderAt(ctx context.Context) io.ReaderAt { return readerAt{o, ctx} }

type readerAt struct {
	o   *Object
	ctx context.Context
}

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	o := r.o
	if off < 0 {
		return 0, fmt.Errorf("chunkcache: read %s at negative offset %d", o.id.Key, off)
	}
	if off >= o.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := min(int64(len(p)), o.size-off)
	for done := int64(0); done < want; {
		start := off + done
		end := min(off+want, (start/o.chunk)*o.chunk+max(maxWindow, o.chunk))
		if err := o.readWindow(r.ctx, p[done:end-off], start); err != nil {
			return int(done), err
		}
		done = end - off
	}
	if want < int64(len(p)) {
		return int(want), io.EOF
	}
	return len(p), nil
}

// chunkLen is the length of chunk i.
func (o *Object) chunkLen(i int64) int64 { return min(o.chunk, o.size-i*o.chunk) }

func (o *Object) path(i int64) string {
	return filepath.Join(o.dir, strconv.FormatInt(i, 10))
}

// readWindow fills dst with the bytes at off, which span a bounded number
// of chunks: cached ones from disk, the rest shared with fetches in flight
// or fetched here, one GET per run of adjacent chunks.
func (o *Object) readWindow(ctx context.Context, dst []byte, off int64) error {
	stats := reqstats.From(ctx)
	first, last := off/o.chunk, (off+int64(len(dst))-1)/o.chunk
	span := func(i int64) (lo, hi int64) {
		return max(off, i*o.chunk), min(off+int64(len(dst)), (i+1)*o.chunk)
	}
	var missing []int64
	for i := first; i <= last; i++ {
		lo, hi := span(i)
		if o.readCached(i, dst[lo-off:hi-off], lo-i*o.chunk) {
			stats.CacheHits.Add(1)
		} else {
			stats.CacheMisses.Add(1)
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return nil
	}

	// Join the fetches in flight and claim the rest in one critical
	// section, so concurrent readers of one window do not split its runs.
	waits := make([]*flight, len(missing))
	claimed := make([]bool, len(missing))
	o.mu.Lock()
	for k, i := range missing {
		f, ok := o.flights[i]
		if !ok {
			f = &flight{done: make(chan struct{})}
			o.flights[i] = f
			claimed[k] = true
		}
		waits[k] = f
	}
	o.mu.Unlock()
	for k := 0; k < len(missing); {
		if !claimed[k] {
			k++
			continue
		}
		j := k + 1
		for j < len(missing) && claimed[j] && missing[j] == missing[j-1]+1 {
			j++
		}
		o.startFetch(ctx, missing[k:j])
		k = j
	}

	for k, i := range missing {
		f := waits[k]
		select {
		case <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if f.err != nil {
			return f.err
		}
		lo, hi := span(i)
		copy(dst[lo-off:hi-off], f.data[lo-i*o.chunk:])
	}
	return nil
}

// land completes chunk i's flight and forgets it; the chunk is already on
// disk (or could not be put there), so later readers look there.
func (o *Object) land(i int64, data []byte, err error) {
	o.mu.Lock()
	f := o.flights[i]
	delete(o.flights, i)
	o.mu.Unlock()
	f.data, f.err = data, err
	close(f.done)
}

// startFetch fetches the claimed adjacent chunks run in the background, so
// a reader whose context ends leaves the fetch to the others waiting for
// it: it runs on the first reader's values without its cancellation.
func (o *Object) startFetch(ctx context.Context, run []int64) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	go func() {
		defer cancel()
		o.fetch(fctx, run)
	}()
}

func (o *Object) fetch(ctx context.Context, run []int64) {
	// A chunk may have landed on disk between our look and our claim.
	for len(run) > 0 {
		buf := make([]byte, o.chunkLen(run[0]))
		if !o.readCached(run[0], buf, 0) {
			break
		}
		o.land(run[0], buf, nil)
		run = run[1:]
	}
	if len(run) == 0 {
		return
	}
	first, last := run[0], run[len(run)-1]
	off := first * o.chunk
	rc, err := o.f.ReadRange(ctx, off, min((last+1)*o.chunk, o.size)-off)
	if err != nil {
		err = fmt.Errorf("chunkcache: fetch chunks %d-%d of %s: %w", first, last, o.id.Key, err)
		for _, i := range run {
			o.land(i, nil, err)
		}
		return
	}
	defer rc.Close()
	// The whole run is read before any chunk is cached: a fetch that
	// fails part way caches nothing.
	bufs := make([][]byte, len(run))
	for k, i := range run {
		bufs[k] = make([]byte, o.chunkLen(i))
		if _, err := io.ReadFull(rc, bufs[k]); err != nil {
			err = fmt.Errorf("chunkcache: fetch chunk %d of %s: %w", i, o.id.Key, err)
			for _, j := range run {
				o.land(j, nil, err)
			}
			return
		}
	}
	for k, i := range run {
		o.c.publish(o.path(i), bufs[k])
		o.land(i, bufs[k], nil)
	}
}

// readCached reads dst at off within chunk i from disk. A file of the
// wrong length is removed and reported missing.
func (o *Object) readCached(i int64, dst []byte, off int64) bool {
	path := o.path(i)
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	if fi.Size() != o.chunkLen(i) {
		os.Remove(path)
		return false
	}
	if n, _ := f.ReadAt(dst, off); n != len(dst) {
		return false
	}
	if now := time.Now(); now.Sub(fi.ModTime()) > touchEvery {
		os.Chtimes(path, now, now) // recency for LRU eviction
	}
	return true
}

// Store inserts the complete chunks that data, the object's bytes at off,
// covers (the last chunk is complete when data reaches the object's end).
// Chunks already cached are left alone. Disk problems are logged, not
// returned: the cache is an optimisation.
func (o *Object) Store(off int64, data []byte) error {
	end := off + int64(len(data))
	if off < 0 || end > o.size {
		return fmt.Errorf("chunkcache: store [%d, %d) outside the %d-byte object", off, end, o.size)
	}
	for i := (off + o.chunk - 1) / o.chunk; i*o.chunk < end; i++ {
		lo, hi := i*o.chunk, i*o.chunk+o.chunkLen(i)
		if hi > end {
			break
		}
		if _, err := os.Stat(o.path(i)); err == nil {
			continue
		}
		o.c.publish(o.path(i), data[lo-off:hi-off])
	}
	return nil
}
