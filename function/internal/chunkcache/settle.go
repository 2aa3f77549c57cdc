package chunkcache

import (
	"context"
	"sync"
)

// unsaved counts the work whose result another process on the cache
// would miss if this one stopped now: fetches, and the chunk and record
// writes that follow them. Scans and evictions are not in it: frozen
// halfway, they lose nobody anything.
type unsaved struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n is 0
}

func (u *unsaved) add() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == 0 {
		u.idle = make(chan struct{})
	}
	u.n++
}

func (u *unsaved) done() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n--
	if u.n == 0 {
		close(u.idle)
	}
}

// wait returns a channel closed once nothing is unsaved.
func (u *unsaved) wait() <-chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == 0 {
		return alreadyIdle
	}
	return u.idle
}

// alreadyIdle is a closed channel: nothing to wait for.
var alreadyIdle = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// goUnsaved runs f in the background as unsaved work.
func (c *Cache) goUnsaved(f func()) {
	c.unsaved.add()
	c.bg.Go(func() {
		defer c.unsaved.done()
		f()
	})
}

// Settle waits until no fetch of this process is in progress and every
// chunk and record it fetched or computed is on disk (or failed to get
// there), or until ctx ends, whose error it then returns. A Lambda
// instance calls it after each answer: Lambda freezes the process once
// it asks for the next event, and work frozen halfway leaves other
// instances on a shared cache without those chunks until this one runs
// again, if it ever does. Work that starts while Settle waits is waited
// for too.
func (c *Cache) Settle(ctx context.Context) error {
	idle := c.unsaved.wait()
	select {
	case <-idle:
		return nil // even if ctx has ended too
	default:
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
