// Package archive opens squashfs archives stored in S3 and keeps a bounded
// set of them open per process.
//
// Opening an archive costs one round trip of two parallel ranged GETs: the
// head of the object (superblock and compressor options) and its tail
// (where mksquashfs and gensquashfs put every metadata table: inodes,
// directories, fragment, export and id tables). Both answers carry the
// object's size and ETag, so no HEAD is needed. The tail is stored in the
// chunk cache and kept in memory for the life of the open archive, so a cold
// read of a small file costs this round trip plus the data block's.
package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// headBytes is what the open reads from the start of the archive: the
// 96-byte superblock and the compressor options block that may follow it.
const headBytes = 4096

// metaChunk is the chunk size of the metadata region (inode table to the
// end). Metadata blocks are at most 8 KiB and a lookup touches a few of
// them, scattered: fetching them in data-sized chunks (the block size, up
// to 1 MiB) multiplies the bytes of a cold small-file read (docs/benchmarks.md).
const metaChunk = 64 << 10

// Ref names an archive object in S3.
type Ref struct {
	Bucket, Key string
}

func (r Ref) String() string { return "s3://" + r.Bucket + "/" + r.Key }

// ErrNotSquashfs reports an object that is not a readable squashfs archive
// (corrupt, truncated, too small, not squashfs, refused by S3 as it is):
// a permanent failure, which retrying will not cure. Other open failures
// (S3 unavailable after retries, throttling) are transient.
var ErrNotSquashfs = errors.New("not a readable squashfs archive")

// Archive is one open archive: its identity in S3 and its parsed tables.
type Archive struct {
	Ref          Ref
	Size         int64
	ETag         string
	LastModified time.Time

	fs        *squash.Image
	data      *chunkcache.View // [0, metaStart) in block-size chunks
	meta      *chunkcache.View // [metaStart, Size) in metaChunk chunks
	metaStart int64
	head      segment
	tail      segment
	budget    *squash.Budget // nil: not accounted
	pinned    int64
	closeOnce sync.Once

	prefetch   prefetch // the metadata region on its way from S3
	prefetched bool     // this open started the prefetch

	recMu   sync.Mutex
	rec     *record       // what is kept in the open record
	settled chan struct{} // see Settled
}

// archiveOverhead is what an open archive holds besides its segments, tables
// and blocks (decoder state, structs), pinned with them.
const archiveOverhead = 64 << 10

// close gives the archive's memory back to the budget. Requests still
// reading it finish, without a block cache.
func (a *Archive) close() {
	a.closeOnce.Do(func() {
		a.prefetch.cancel()
		a.fs.Release()
		if a.budget != nil {
			a.budget.Unpin(a.pinned)
		}
	})
}

// Image returns the archive's squashfs image reading through the chunk
// cache on behalf of ctx (its cancellation and its request counters).
func (a *Archive) Image(ctx context.Context) *squash.Image {
	return a.fs.WithReader(a.readerAt(ctx))
}

// Info returns the archive's superblock.
func (a *Archive) Info() squash.Info { return a.fs.Info() }

func (a *Archive) readerAt(ctx context.Context) io.ReaderAt {
	return overlay{
		segments: []segment{a.head, a.tail},
		rest: split{at: a.metaStart, low: a.data.ReaderAt(ctx),
			high: a.meta.ReaderAt(ctx)},
	}
}

// Opener opens archives.
type Opener struct {
	Cache *chunkcache.Cache
	// Source returns the S3 object of a ref.
	Source func(Ref) *s3src.Reader
	// ChunkSize as configured (0: the archive's block size).
	ChunkSize int64
	// TailBytes is the length of the suffix GET made at open.
	TailBytes int64
	// Squash options (engine, memory cache bound, the process's budget,
	// which also accounts for the head and tail an open archive keeps).
	Squash squash.Options
	// RecordDir keeps the open records (see record), normally the chunk
	// cache's directory; "" keeps none.
	RecordDir string
	Logger    *slog.Logger
}

// Open reads the archive's head and tail in parallel and parses its tables.
// The metadata prefetch starts as soon as the head (superblock, object
// size) has arrived, without waiting for the larger tail.
func (o *Opener) Open(ctx context.Context, ref Ref) (*Archive, error) {
	src := o.Source(ref)
	type result struct {
		data  []byte
		start int64
		info  s3src.Info
		err   error
	}
	tctx, stopTail := context.WithCancel(ctx)
	defer stopTail()
	tailc := make(chan result, 1)
	go func() {
		data, start, info, err := src.GetSuffix(tctx, o.TailBytes)
		tailc <- result{data: data, start: start, info: info, err: err}
	}()
	headData, headInfo, err := src.GetRange(ctx, 0, headBytes)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", ref, classify(err))
	}
	rec := &record{
		Size: headInfo.Size, ETag: headInfo.ETag, LastModified: headInfo.LastModified, Checked: time.Now(),
		Head: segment{off: 0, data: headData},
	}
	a, err := o.begin(ctx, ref, src, rec, max(rec.Size-o.TailBytes, 0))
	if err != nil {
		return nil, err
	}
	tail := <-tailc
	if tail.err != nil {
		a.prefetch.cancel()
		return nil, fmt.Errorf("open %s: %w", ref, classify(tail.err))
	}
	if tail.info.ETag != headInfo.ETag || tail.info.Size != headInfo.Size {
		// Replaced between the two reads: the caller may retry.
		a.prefetch.cancel()
		return nil, fmt.Errorf("open %s: %w", ref, s3src.ErrChanged)
	}
	rec.Tail = segment{off: tail.start, data: tail.data}
	return o.finish(ctx, a, true)
}

// openRecorded opens ref from its open record, without S3, when the
// record was confirmed by S3 less than maxAge before now.
func (o *Opener) openRecorded(ctx context.Context, ref Ref, now time.Time, maxAge time.Duration) (*Archive, bool) {
	if o.RecordDir == "" || maxAge <= 0 {
		return nil, false
	}
	rec, err := readRecord(o.RecordDir, ref)
	if err != nil {
		return nil, false
	}
	if age := now.Sub(rec.Checked); age < 0 || age >= maxAge {
		return nil, false
	}
	a, err := o.begin(ctx, ref, o.Source(ref), rec, rec.Tail.off)
	if err == nil {
		a, err = o.finish(ctx, a, false)
	}
	if err != nil {
		o.Logger.Warn("open record not usable; opening from S3", "archive", ref.String(), "err", err)
		return nil, false
	}
	return a, true
}

// begin starts an archive from its head, which rec holds: the superblock
// gives the metadata region, whose prefetch starts now, up to tailStart,
// where the tail (arriving, or in rec already) begins.
func (o *Opener) begin(ctx context.Context, ref Ref, src *s3src.Reader, rec *record, tailStart int64) (*Archive, error) {
	sb, err := squash.ParseSuperblock(rec.Head.data)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", ref, ErrNotSquashfs, err)
	}
	chunk := chunkcache.ChunkSize(o.ChunkSize, sb.BlockSize)
	// The metadata region starts at the inode table; the chunk grid of its
	// own cache object starts at 0, so the region starts chunk-aligned.
	metaStart := min(max(sb.InodeTableStart, 0), rec.Size) / metaChunk * metaChunk
	id := chunkcache.Identity{Bucket: ref.Bucket, Key: ref.Key, ETag: rec.ETag}
	fetch := pinned{src: src, etag: rec.ETag}
	// The data view ends where the metadata region starts, so no chunk is
	// fetched twice. With chunks no larger than metaChunk the two views
	// share one chunk grid, and the cache gives one View per identity and
	// chunk size: then that one view must span the whole object.
	dataEnd := metaStart
	if chunk <= metaChunk {
		dataEnd = rec.Size
	}
	a := &Archive{
		Ref: ref, Size: rec.Size, ETag: rec.ETag, LastModified: rec.LastModified,
		data:      o.Cache.View(id, dataEnd, chunk, fetch),
		meta:      o.Cache.View(id, rec.Size, min(metaChunk, chunk), fetch),
		metaStart: metaStart,
		head:      rec.Head,
		rec:       rec,
	}
	// The head is read once: the data chunk it begins is fetched without it.
	a.data.Hold(0, rec.Head.data)
	// The tables beyond the tail are read through the prefetch too. The
	// chunk the tail starts in is left to finish, which fetches only the
	// part before the tail.
	end := tailStart / metaChunk * metaChunk
	a.prefetched = !rec.Prefetched && a.prefetch.start(ctx, a.meta, metaStart, end, prefetchLimit(o.Squash.Budget))
	if !a.prefetched {
		a.prefetch.skip()
	}
	return a, nil
}

// finish completes a begun archive once its tail (in a.rec) is there: it
// caches the tail and parses the tables. fresh is set when the record
// comes from S3 now, not from an open record.
func (o *Opener) finish(ctx context.Context, a *Archive, fresh bool) (*Archive, error) {
	rec := a.rec
	a.tail = rec.Tail
	a.meta.Hold(rec.Tail.off, rec.Tail.data)
	if err := a.meta.Store(rec.Tail.off, rec.Tail.data); err != nil {
		o.Logger.Warn("tail not cached", "archive", a.Ref.String(), "err", err)
	}
	edge := a.fetchEdge(ctx)
	opts := o.Squash
	// Decoded fragment blocks, for other processes on a shared cache.
	opts.Fragments = o.Cache.Derived(chunkcache.Identity{Bucket: a.Ref.Bucket, Key: a.Ref.Key, ETag: rec.ETag}, "frag")
	fs, err := squash.Open(a.readerAt(ctx), rec.Size, opts)
	if err != nil {
		a.prefetch.cancel()
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		if se := (*s3src.Error)(nil); errors.As(err, &se) {
			// Reading the tables beyond the tail failed: S3's fault, maybe
			// passing, not the archive's.
			return nil, fmt.Errorf("open %s: %w", a.Ref, classify(err))
		}
		return nil, fmt.Errorf("open %s: %w: %w", a.Ref, ErrNotSquashfs, err)
	}
	a.fs = fs
	if b := o.Squash.Budget; b != nil {
		a.budget, a.pinned = b, int64(cap(rec.Head.data)+cap(rec.Tail.data))+fs.TablesBytes()+archiveOverhead
		b.Pin(a.pinned)
	}
	// The record is written off the request path: at once when it is new,
	// again once the prefetch has brought the whole region.
	a.settled = make(chan struct{})
	go func() {
		defer close(a.settled)
		if fresh {
			o.saveRecord(a)
		}
		if whole := edge(); a.prefetched && a.prefetch.wait() && whole {
			a.recMu.Lock()
			a.rec.Prefetched = true
			a.recMu.Unlock()
			o.saveRecord(a)
		}
	}()
	return a, nil
}

// fetchEdge fetches, with the prefetch, the chunk the tail starts in: only
// its bytes before the tail, since the tail is held. The function returned
// waits for it and reports whether it arrived.
func (a *Archive) fetchEdge(ctx context.Context) func() bool {
	at := a.tail.off / metaChunk * metaChunk
	if !a.prefetched || at == a.tail.off || at < a.metaStart {
		return func() bool { return true }
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), prefetchTimeout)
	arrived := a.meta.Prefetch(ctx, at, a.tail.off, 1)
	return func() bool {
		defer cancel()
		return <-arrived
	}
}

// classify marks a read that will fail however often it is retried (the
// object is smaller than a superblock, or S3 refuses it as it is, such as
// an archived storage class) as ErrNotSquashfs: the archive is unreadable,
// not unavailable. Missing, forbidden and replaced objects keep their own
// errors; transient failures stay as they are.
func classify(err error) error {
	var se *s3src.Error
	switch {
	case !errors.As(err, &se), se.Transient(),
		errors.Is(err, s3src.ErrNotFound), errors.Is(err, s3src.ErrAccessDenied), errors.Is(err, s3src.ErrChanged),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %w", ErrNotSquashfs, err)
}

// saveRecord writes a's open record, if records are kept.
func (o *Opener) saveRecord(a *Archive) {
	if o.RecordDir == "" {
		return
	}
	a.recMu.Lock()
	defer a.recMu.Unlock()
	if err := writeRecord(o.RecordDir, a.Ref, a.rec); err != nil {
		o.Logger.Warn("open record not written", "archive", a.Ref.String(), "err", err)
	}
}

// Settled is closed once the open's background work has ended: the fetch
// of the metadata region and the writes of the open record.
func (a *Archive) Settled() <-chan struct{} { return a.settled }

// checkedAt is when S3 last confirmed a's ETag, as its record says.
func (a *Archive) checkedAt() time.Time {
	a.recMu.Lock()
	defer a.recMu.Unlock()
	return a.rec.Checked
}

// confirmed notes that S3 confirmed a's ETag at t, in its open record.
func (o *Opener) confirmed(a *Archive, t time.Time) {
	a.recMu.Lock()
	a.rec.Checked = t
	a.recMu.Unlock()
	o.saveRecord(a)
}

// pinned reads ranges of one version of the object: a replaced object fails
// with s3src.ErrChanged instead of mixing bytes of two versions.
type pinned struct {
	src  *s3src.Reader
	etag string
}

func (p pinned) ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	return p.src.ReadRange(ctx, off, n, p.etag)
}
