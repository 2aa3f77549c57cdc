package chunkcache

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
)

// View is one remote object seen through the cache, in chunks of one size.
type View struct {
	c     *Cache
	id    Identity
	size  int64
	chunk int64
	f     Fetcher
	dir   string
	name  string // the directory's name, bound into each chunk's checksum

	mu      sync.Mutex
	flights map[int64]*flight // chunks being fetched in this process
}

// flight is one chunk being fetched; done is closed once data or err is
// set. A fetched chunk's flight stays until the chunk is on disk (or could
// not be put there), so readers that miss on disk meanwhile share its
// bytes instead of fetching them again.
type flight struct {
	done chan struct{}
	data []byte
	err  error
}

// delivered reports whether f has its bytes.
func (f *flight) delivered() bool {
	select {
	case <-f.done:
		return f.err == nil
	default:
		return false
	}
}

// Size is the object's size.
func (o *View) Size() int64 { return o.size }

// ReaderAt returns a reader of the object whose reads use ctx.
func (o *View) ReaderAt(ctx context.Context) io.ReaderAt { return readerAt{o, ctx} }

type readerAt struct {
	o   *View
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
func (o *View) chunkLen(i int64) int64 { return min(o.chunk, o.size-i*o.chunk) }

func (o *View) path(i int64) string {
	return filepath.Join(o.dir, strconv.FormatInt(i, 10))
}

func (o *View) place(i int64) place { return place{o.name, i} }

// readWindow fills dst with the bytes at off, which span a bounded number
// of chunks: cached ones from disk, the rest shared with fetches in flight
// or fetched here, one GET per run of adjacent chunks.
func (o *View) readWindow(ctx context.Context, dst []byte, off int64) error {
	stats := reqstats.From(ctx)
	first, last := off/o.chunk, (off+int64(len(dst))-1)/o.chunk
	span := func(i int64) (lo, hi int64) {
		return max(off, i*o.chunk), min(off+int64(len(dst)), (i+1)*o.chunk)
	}
	var missing []int64
	for i := first; i <= last; i++ {
		lo, hi := span(i)
		if o.readCached(i, dst[lo-off:hi-off], lo-i*o.chunk, stats) {
			stats.CacheHits.Add(1)
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return nil
	}

	// Join the fetches in flight and claim the rest in one critical
	// section, so concurrent readers of one window do not split its runs.
	// A chunk fetched already, its disk write pending, is a hit.
	waits := make([]*flight, len(missing))
	claimed := make([]bool, len(missing))
	o.mu.Lock()
	for k, i := range missing {
		f, ok := o.flights[i]
		switch {
		case !ok:
			// Counted by the fetch: it may find the chunk on disk now.
			f = &flight{done: make(chan struct{})}
			o.flights[i] = f
			claimed[k] = true
		case f.delivered():
			stats.CacheHits.Add(1)
		default:
			stats.CacheMisses.Add(1)
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

// deliver completes chunk i's flight for the readers waiting on it.
func (o *View) deliver(i int64, data []byte, err error) {
	o.mu.Lock()
	f := o.flights[i]
	o.mu.Unlock()
	f.data, f.err = data, err
	close(f.done)
}

// forget drops chunk i's flight: later readers look on disk.
func (o *View) forget(i int64) {
	o.mu.Lock()
	delete(o.flights, i)
	o.mu.Unlock()
}

// startFetch fetches the claimed adjacent chunks run in the background, so
// a reader whose context ends leaves the fetch to the others waiting for
// it: it runs on the first reader's values without its cancellation.
func (o *View) startFetch(ctx context.Context, run []int64) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	o.c.bg.Go(func() {
		defer cancel()
		o.fetch(fctx, run)
	})
}

func (o *View) fetch(ctx context.Context, run []int64) {
	stats := reqstats.From(ctx)
	// A chunk may have landed on disk between our look and our claim.
	for len(run) > 0 {
		buf := make([]byte, o.chunkLen(run[0]))
		if !o.readCached(run[0], buf, 0, stats) {
			break
		}
		stats.CacheHits.Add(1)
		o.deliver(run[0], buf, nil)
		o.forget(run[0])
		run = run[1:]
	}
	if len(run) == 0 {
		return
	}
	stats.CacheMisses.Add(int64(len(run)))
	fail := func(err error) {
		for _, i := range run {
			o.deliver(i, nil, err)
			o.forget(i)
		}
	}
	first, last := run[0], run[len(run)-1]
	off := first * o.chunk
	n := min((last+1)*o.chunk, o.size) - off
	rc, err := o.f.ReadRange(ctx, off, n)
	if err != nil {
		fail(fmt.Errorf("chunkcache: fetch chunks %d-%d of %s: %w", first, last, o.id.Key, err))
		return
	}
	// The whole run is read before any chunk is delivered or cached: a
	// fetch that fails part way caches nothing.
	bufs := make([][]byte, len(run))
	for k, i := range run {
		bufs[k] = make([]byte, o.chunkLen(i))
		if _, err := io.ReadFull(rc, bufs[k]); err != nil {
			rc.Close()
			fail(fmt.Errorf("chunkcache: fetch chunk %d of %s: %w", i, o.id.Key, err))
			return
		}
	}
	rc.Close()
	// The readers get the bytes now; the disk write, fsync and rename
	// follow. Past the budget of bytes awaiting their write, they wait for
	// it: a disk slower than S3 then slows the readers instead of filling
	// memory.
	early := o.c.reserveWrite(n)
	if early {
		for k, i := range run {
			o.deliver(i, bufs[k], nil)
		}
	}
	for k, i := range run {
		o.c.publish(o.path(i), bufs[k], o.place(i))
		if !early {
			o.deliver(i, bufs[k], nil)
		}
		o.forget(i)
	}
	if early {
		o.c.releaseWrite(n)
	}
}

// readCached reads dst at off within chunk i from disk, through the
// process's open chunk files, checking the bytes against the chunk's
// checksums. A damaged chunk file is removed, counted, and reported
// missing, so the chunk is fetched again.
func (o *View) readCached(i int64, dst []byte, off int64, stats *reqstats.Counters) bool {
	return o.c.readFile(o.path(i), o.chunkLen(i), o.place(i), dst, off, stats)
}

// Store inserts the complete chunks that data, the object's bytes at off,
// covers (the last chunk is complete when data reaches the object's end).
// Chunks already cached are left alone. The chunks are written in the
// background and served from memory until then, from data itself: the
// caller must not modify it afterwards. Disk problems are logged, not
// returned: the cache is an optimisation.
func (o *View) Store(off int64, data []byte) error {
	end := off + int64(len(data))
	if off < 0 || end > o.size {
		return fmt.Errorf("chunkcache: store [%d, %d) outside the %d-byte object", off, end, o.size)
	}
	var run []int64
	var bufs [][]byte
	var n int64
	o.mu.Lock()
	for i := (off + o.chunk - 1) / o.chunk; i*o.chunk < end; i++ {
		lo, hi := i*o.chunk, i*o.chunk+o.chunkLen(i)
		if hi > end {
			break
		}
		if _, busy := o.flights[i]; busy {
			continue
		}
		f := &flight{done: make(chan struct{}), data: data[lo-off : hi-off : hi-off]}
		close(f.done)
		o.flights[i] = f
		run, bufs, n = append(run, i), append(bufs, f.data), n+int64(len(f.data))
	}
	o.mu.Unlock()
	write := func() {
		for k, i := range run {
			if _, err := os.Stat(o.path(i)); err != nil {
				o.c.publish(o.path(i), bufs[k], o.place(i))
			}
			o.forget(i)
		}
	}
	if !o.c.reserveWrite(n) {
		write()
		return nil
	}
	o.c.bg.Go(func() {
		defer o.c.releaseWrite(n)
		write()
	})
	return nil
}
