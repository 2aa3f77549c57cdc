package archive

import (
	"context"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// Prefetching the metadata region (docs/decisions.md): when the tail does
// not cover the region and the rest is at most prefetchMax bytes, the open
// fetches it into the chunk cache in the background, in up to prefetchGETs
// parallel ranged GETs of adjacent metaChunk chunks, as soon as the head
// has given the region's bounds. A read of the region that falls in a
// chunk on its way takes its own bytes as they arrive, not waiting for the
// chunk's end nor for its disk write: every directory level of a lookup
// then costs no more round trip than the first, and a cold small-file
// read is 3 sequential round trips (open, metadata, data).
const (
	prefetchMax     = 64 << 20
	prefetchGETs    = 8
	prefetchTimeout = 2 * time.Minute
)

// prefetch is the fetch of an archive's metadata region.
type prefetch struct {
	done chan struct{} // closed when the fetch has ended
	ok   bool          // every chunk arrived (valid after done)
	stop context.CancelFunc
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

// start fetches [lo, hi) of meta unless it is empty or larger than limit.
// It reports whether it started.
func (p *prefetch) start(ctx context.Context, meta *chunkcache.View, lo, hi, limit int64) bool {
	if total := hi - lo; total <= 0 || total > limit {
		return false
	}
	// The fetch belongs to the archive, not to the request that opened it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), prefetchTimeout)
	p.stop = cancel
	p.done = make(chan struct{})
	arrived := meta.Prefetch(ctx, lo, hi, prefetchGETs)
	go func() {
		p.ok = <-arrived
		cancel()
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
