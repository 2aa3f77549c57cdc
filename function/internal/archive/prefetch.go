package archive

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// Prefetching the metadata region (docs/decisions.md): when the tail does
// not cover the region and the rest is at most prefetchMax bytes, the open
// fetches it in the background, in up to prefetchGETs parallel ranged GETs
// of at least metaChunk bytes. A read of the region that falls in a piece
// on its way waits for its own bytes of that piece, not for the piece's
// end nor for the chunk cache: every directory level of a lookup then
// costs no more round trip than the first, and a cold small-file read is
// 3 sequential round trips (open, metadata, data). Each piece goes into
// the chunk cache once complete and is then dropped from memory.
const (
	prefetchMax     = 64 << 20
	prefetchGETs    = 32
	prefetchTimeout = 2 * time.Minute
)

// prefetch is the set of pieces of the metadata region being fetched.
type prefetch struct {
	mu     sync.Mutex
	pieces []*piece // in flight, by offset
	active atomic.Bool
	done   chan struct{} // closed when every piece has ended
	ok     bool          // every piece arrived (valid after done)
	stop   context.CancelFunc
}

// piece is one ranged GET of the region, filling buf as the body arrives.
type piece struct {
	off int64
	buf []byte

	mu   sync.Mutex
	got  int           // bytes of buf received
	err  error         // the GET failed: readers use the chunk cache
	wake chan struct{} // closed and replaced whenever got or err changes
}

// fetcher is the part of the pinned source the prefetch uses.
type fetcher interface {
	ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error)
}

// prefetchLimit is the largest region a prefetch may hold in memory while
// it arrives: prefetchMax, and at most half the process's memory budget, so
// a small function (128 MB) cannot be pushed past its size by one open.
func prefetchLimit(b *squash.Budget) int64 {
	if b == nil || b.Max() <= 0 {
		return prefetchMax
	}
	return min(prefetchMax, b.Max()/2)
}

// start fetches [lo, hi) unless it is empty or larger than limit, storing
// each piece in meta once complete. It reports whether it started.
func (p *prefetch) start(ctx context.Context, src fetcher, lo, hi int64, meta *chunkcache.View, limit int64) bool {
	total := hi - lo
	if total <= 0 || total > limit {
		return false
	}
	size := (total + prefetchGETs - 1) / prefetchGETs
	size = max((size+metaChunk-1)/metaChunk*metaChunk, metaChunk)
	for off := lo; off < hi; off += size {
		p.pieces = append(p.pieces, &piece{off: off, buf: make([]byte, min(size, hi-off)), wake: make(chan struct{})})
	}
	p.done = make(chan struct{})
	p.active.Store(true)
	// The fetch belongs to the archive, not to the request that opened it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), prefetchTimeout)
	p.stop = cancel
	var wg sync.WaitGroup
	var failed atomic.Bool
	for _, pc := range p.pieces {
		wg.Go(func() {
			if !pc.fetch(ctx, src) {
				failed.Store(true)
			} else if err := meta.Store(pc.off, pc.buf); err != nil {
				failed.Store(true)
			}
			p.drop(pc)
		})
	}
	go func() {
		wg.Wait()
		cancel()
		p.ok = !failed.Load()
		close(p.done)
	}()
	return true
}

// cancel stops a started prefetch (the archive will not be used).
func (p *prefetch) cancel() {
	if p.stop != nil {
		p.stop()
	}
}

// skip marks a prefetch that was not started as ended.
func (p *prefetch) skip() {
	p.done = make(chan struct{})
	close(p.done)
}

// wait waits for the prefetch to end and reports whether all of it arrived.
func (p *prefetch) wait() bool {
	<-p.done
	return p.ok
}

func (p *prefetch) drop(pc *piece) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, q := range p.pieces {
		if q == pc {
			p.pieces = append(p.pieces[:i:i], p.pieces[i+1:]...)
			break
		}
	}
	if len(p.pieces) == 0 {
		p.active.Store(false)
	}
}

func (pc *piece) fetch(ctx context.Context, src fetcher) bool {
	body, err := src.ReadRange(ctx, pc.off, int64(len(pc.buf)))
	if err == nil {
		defer body.Close()
		// Every read is published at once: a lookup waiting on a block
		// proceeds as soon as that block is here, not the piece.
		for pc.got < len(pc.buf) && err == nil {
			var n int
			n, err = body.Read(pc.buf[pc.got:])
			if err == io.EOF && pc.got+n < len(pc.buf) {
				err = io.ErrUnexpectedEOF
			} else if err == io.EOF {
				err = nil
			}
			pc.update(n, nil)
		}
	}
	if err != nil {
		pc.update(0, err)
		return false
	}
	return true
}

func (pc *piece) update(n int, err error) {
	pc.mu.Lock()
	pc.got += n
	if err != nil {
		pc.err = err
	}
	close(pc.wake)
	pc.wake = make(chan struct{})
	pc.mu.Unlock()
}

// readAt copies buf[at:at+len(dst)] once it has arrived. It reports false
// when the piece failed (the caller reads elsewhere).
func (pc *piece) readAt(ctx context.Context, dst []byte, at int) (bool, error) {
	for {
		pc.mu.Lock()
		got, err, wake := pc.got, pc.err, pc.wake
		pc.mu.Unlock()
		if got >= at+len(dst) {
			copy(dst, pc.buf[at:])
			return true, nil
		}
		if err != nil {
			return false, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// readerAt serves reads from the pieces in flight and the rest from next.
func (p *prefetch) readerAt(ctx context.Context, next io.ReaderAt) io.ReaderAt {
	return prefetchReader{p: p, ctx: ctx, next: next}
}

type prefetchReader struct {
	p    *prefetch
	ctx  context.Context
	next io.ReaderAt
}

func (r prefetchReader) ReadAt(dst []byte, off int64) (int, error) {
	if !r.p.active.Load() {
		return r.next.ReadAt(dst, off)
	}
	done := 0
	for done < len(dst) {
		at := off + int64(done)
		pc, end := r.p.find(at)
		if pc == nil {
			// Up to the next piece (or the end) from the chunk cache.
			n, err := r.next.ReadAt(dst[done:min(len(dst), done+int(min(end-at, int64(len(dst)))))], at)
			done += n
			if err != nil {
				return done, err
			}
			continue
		}
		part := dst[done:min(len(dst), done+int(end-at))]
		ok, err := pc.readAt(r.ctx, part, int(at-pc.off))
		if err != nil {
			return done, err
		}
		if !ok {
			n, err := r.next.ReadAt(part, at)
			done += n
			if err != nil {
				return done, err
			}
			continue
		}
		done += len(part)
	}
	return done, nil
}

// find returns the piece in flight holding off and where it ends, or nil
// and where the next piece in flight starts (max int64 if none).
func (p *prefetch) find(off int64) (*piece, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	next := int64(1<<63 - 1)
	for _, pc := range p.pieces {
		switch end := pc.off + int64(len(pc.buf)); {
		case off >= pc.off && off < end:
			return pc, end
		case pc.off > off:
			next = min(next, pc.off)
		}
	}
	return nil, next
}
