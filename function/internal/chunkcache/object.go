package chunkcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

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
	held    []segment         // bytes the caller has already (see Hold)
}

// segment is bytes of the object at an offset.
type segment struct {
	off  int64
	data []byte
}

// Hold gives the view bytes of the object that its caller has already and
// keeps (an archive's head and tail): a lone chunk they cover in part is
// then fetched without them, so no byte is read from S3 twice. data must
// not be modified afterwards.
func (o *View) Hold(off int64, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, h := range o.held {
		if h.off == off {
			o.held[k].data = data
			return
		}
	}
	o.held = append(o.held, segment{off, data})
}

// heldIn returns how much of chunk i's start (pre) and from where its end
// (suf, the chunk's length if none) the held bytes cover (o.mu held).
func (o *View) heldIn(i int64) (pre, suf int64) {
	start, n := i*o.chunk, o.chunkLen(i)
	suf = n
	for _, h := range o.held {
		end := h.off + int64(len(h.data))
		switch {
		case h.off <= start && end > start:
			pre = max(pre, min(end, start+n)-start)
		case h.off > start && h.off < start+n && end >= start+n:
			suf = min(suf, h.off-start)
		}
	}
	return pre, suf
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

// cachedAmong returns which of the chunks first..last have files in the
// view's directory: for one chunk a look at its file, for more one listing
// of the directory (a look per chunk would cost a round trip each on EFS).
func (o *View) cachedAmong(first, last int64) map[int64]bool {
	if first == last {
		_, err := os.Stat(o.path(first))
		return map[int64]bool{first: err == nil}
	}
	return o.listed()
}

// listed returns the chunks whose files are in the view's directory. A
// directory that cannot be listed (none yet, above all) lists nothing.
// Names only: os.ReadDir would stat every entry on a filesystem that does
// not give the entries' types.
func (o *View) listed() map[int64]bool {
	d, err := os.Open(o.dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	cached := make(map[int64]bool, len(names))
	for _, name := range names {
		if i, err := strconv.ParseInt(name, 10, 64); err == nil {
			cached[i] = true
		}
	}
	return cached
}

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
			f = newFlight()
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
		lo, _ := span(missing[k])
		o.startFetch(ctx, missing[k:j], lo-missing[k]*o.chunk)
		k = j
	}

	for k, i := range missing {
		lo, hi := span(i)
		data, err := waits[k].wait(ctx, lo-i*o.chunk, hi-i*o.chunk)
		if err != nil {
			return err
		}
		copy(dst[lo-off:hi-off], data[lo-i*o.chunk:])
	}
	return nil
}

// deliver completes chunk i's flight for the readers waiting on it.
func (o *View) deliver(i int64, data []byte) {
	o.flightOf(i).finish(data, nil)
}

// fail ends chunk i's flight with err. The flight goes first: a reader
// that comes after the failure fetches the chunk again instead of sharing
// the error.
func (o *View) fail(i int64, err error) {
	o.mu.Lock()
	f := o.flights[i]
	delete(o.flights, i)
	o.mu.Unlock()
	f.finish(nil, err)
}

// forget drops chunk i's flight: later readers look on disk.
func (o *View) forget(i int64) {
	o.mu.Lock()
	delete(o.flights, i)
	o.mu.Unlock()
}

// startFetch fetches the claimed adjacent chunks run in the background, so
// a reader whose context ends leaves the fetch to the others waiting for
// it: it runs on the first reader's values without its cancellation. need
// is where, in the run's first chunk, the first reader's bytes start.
func (o *View) startFetch(ctx context.Context, run []int64, need int64) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	o.c.goUnsaved(func() {
		defer cancel()
		o.fetch(fctx, run, need, true)
	})
}

// splitMin is how far into a lone chunk a reader's bytes must start for
// the fetch to split there: two parallel GETs, the reader's bytes first,
// so a small read of a large chunk (a small file in a 1 MiB fragment
// chunk) waits for its own bytes only, not the chunk's bytes before them.
const splitMin = 64 << 10

// fetch fetches the claimed run, delivers its chunks and caches them. It
// reports the fetch's error. A run claimed after a look on disk is looked
// at again first (its chunks may have landed since); a prefetch's is not.
func (o *View) fetch(ctx context.Context, run []int64, need int64, looked bool) error {
	stats := reqstats.From(ctx)
	claimed := run[0]
	// missed is the buffer of the look that missed: the fetch fills it.
	var missed []byte
	for looked && len(run) > 0 {
		buf := make([]byte, o.chunkLen(run[0]))
		if !o.readCached(run[0], buf, 0, stats) {
			missed = buf
			break
		}
		stats.CacheHits.Add(1)
		o.deliver(run[0], buf)
		o.forget(run[0])
		run = run[1:]
	}
	if len(run) == 0 {
		return nil
	}
	if run[0] != claimed {
		need = 0 // the first reader's chunk came from disk
	}
	stats.CacheMisses.Add(int64(len(run)))
	first, last := run[0], run[len(run)-1]
	n := min((last+1)*o.chunk, o.size) - first*o.chunk
	// Readers take their bytes as they arrive, and the disk write, fsync
	// and rename follow the fetch. Past the budget of bytes awaiting their
	// write, readers wait for the write instead: a disk slower than S3
	// then slows the readers instead of filling memory.
	early := o.c.reserveWrite(n)
	if early {
		defer o.c.releaseWrite(n)
	}
	// A lone chunk is split in two: at the held bytes it starts or ends
	// with (only the rest is fetched), or else at a small read deep in it
	// (both halves are fetched at once, the reader's first).
	at, get := int64(0), [2]bool{true, true}
	if len(run) == 1 {
		o.mu.Lock()
		pre, suf := o.heldIn(first)
		o.mu.Unlock()
		switch n := o.chunkLen(first); {
		case pre > 0:
			at, get = pre, [2]bool{false, pre < n}
		case suf < n:
			at, get = suf, [2]bool{true, false}
		case need >= splitMin:
			at = need / splitMin * splitMin
		}
	}
	// The buffers are made once the GET is on its way: the requests of a
	// prefetch's parallel runs then go out first, before any run's
	// allocation and zeroing.
	bufs := make([][]byte, len(run))
	alloc := func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		for k, i := range run {
			if k == 0 && missed != nil {
				bufs[k] = missed // every byte of it is fetched or held
			} else {
				bufs[k] = make([]byte, o.chunkLen(i))
			}
			if early {
				o.flights[i].fill(bufs[k], at)
			}
		}
	}
	var err error
	if at > 0 {
		alloc()
		err = o.fetchLone(ctx, first, bufs[0], at, get)
	} else {
		err = o.fetchRun(ctx, run, alloc, bufs)
	}
	// The whole run is read before any chunk is published: a fetch that
	// fails part way caches nothing.
	if err != nil {
		for _, i := range run {
			o.fail(i, err)
		}
		return err
	}
	if early {
		for k, i := range run {
			o.deliver(i, bufs[k])
		}
	}
	var writes sync.WaitGroup
	for k, i := range run {
		o.c.writers <- struct{}{}
		writes.Go(func() {
			defer func() { <-o.c.writers }()
			o.c.publish(o.path(i), bufs[k], o.place(i))
			if !early {
				o.deliver(i, bufs[k])
			}
			o.forget(i)
		})
	}
	writes.Wait()
	return nil
}

// Prefetch fetches the chunks covering [lo, hi) that are neither cached
// nor in flight, in the background, in up to parts parallel GETs of
// adjacent chunks; readers of those chunks take their bytes as they
// arrive. What is cached is looked for on disk first (cachedAmong):
// another process on a shared cache may have fetched the region, or be
// writing it. A file found is not checked here; a damaged one fails its
// read, which fetches the chunk then. ctx bounds the fetch. The channel
// returned receives whether every chunk arrived.
func (o *View) Prefetch(ctx context.Context, lo, hi int64, parts int) <-chan bool {
	res := make(chan bool, 1)
	lo, hi = max(lo, 0), min(hi, o.size)
	if lo >= hi || parts <= 0 {
		res <- true
		return res
	}
	cached := o.cachedAmong(lo/o.chunk, (hi-1)/o.chunk)
	var claimed []int64
	o.mu.Lock()
	for i := lo / o.chunk; i*o.chunk < hi; i++ {
		if _, busy := o.flights[i]; !busy && !cached[i] {
			o.flights[i] = newFlight()
			claimed = append(claimed, i)
		}
	}
	o.mu.Unlock()
	per := max((len(claimed)+parts-1)/parts, 1)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for start := 0; start < len(claimed); {
		end := start + 1
		for end < len(claimed) && end-start < per && claimed[end] == claimed[end-1]+1 {
			end++
		}
		run := claimed[start:end]
		wg.Add(1)
		o.c.goUnsaved(func() {
			defer wg.Done()
			if o.fetch(ctx, run, 0, false) != nil {
				failed.Store(true)
			}
		})
		start = end
	}
	go func() {
		wg.Wait()
		res <- !failed.Load()
	}()
	return res
}

// fetchRun reads the chunks of run into bufs with one GET, calling alloc
// to make bufs once the GET is answered.
func (o *View) fetchRun(ctx context.Context, run []int64, alloc func(), bufs [][]byte) error {
	first, last := run[0], run[len(run)-1]
	off := first * o.chunk
	rc, err := o.f.ReadRange(ctx, off, min((last+1)*o.chunk, o.size)-off)
	if err != nil {
		return fmt.Errorf("chunkcache: fetch chunks %d-%d of %s: %w", first, last, o.id.Key, err)
	}
	defer rc.Close()
	alloc()
	for k, i := range run {
		if err := readInto(rc, bufs[k], o.flightOf(i), 0); err != nil {
			return fmt.Errorf("chunkcache: fetch chunk %d of %s: %w", i, o.id.Key, err)
		}
	}
	return nil
}

// fetchLone reads chunk i into buf in two parts, [0, at) and [at, end):
// those get marks with parallel GETs, the others from the held bytes.
func (o *View) fetchLone(ctx context.Context, i int64, buf []byte, at int64, get [2]bool) error {
	f := o.flightOf(i)
	part := func(from, to int64, fetch bool) error {
		if !fetch {
			lo, hi := i*o.chunk+from, i*o.chunk+to
			o.mu.Lock()
			for _, h := range o.held {
				if a, b := max(lo, h.off), min(hi, h.off+int64(len(h.data))); a < b {
					copy(buf[a-i*o.chunk:b-i*o.chunk], h.data[a-h.off:b-h.off])
				}
			}
			o.mu.Unlock()
			f.arrived(from, int(to-from))
			return nil
		}
		rc, err := o.f.ReadRange(ctx, i*o.chunk+from, to-from)
		if err != nil {
			return fmt.Errorf("chunkcache: fetch chunk %d of %s at %d: %w", i, o.id.Key, from, err)
		}
		defer rc.Close()
		if err := readInto(rc, buf[from:to], f, from); err != nil {
			return fmt.Errorf("chunkcache: fetch chunk %d of %s at %d: %w", i, o.id.Key, from, err)
		}
		return nil
	}
	errc := make(chan error, 1)
	go func() { errc <- part(0, at, get[0]) }()
	return errors.Join(part(at, int64(len(buf)), get[1]), <-errc)
}

// flightOf returns chunk i's flight, which the caller's fetch holds.
func (o *View) flightOf(i int64) *flight {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flights[i]
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
	o.c.goUnsaved(func() {
		defer o.c.releaseWrite(n)
		write()
	})
	return nil
}
