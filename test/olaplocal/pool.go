package olaplocal

import (
	"context"
	"sync"
)

// pool holds a function's execution environments as Lambda does: an
// invocation takes a warm idle environment when there is one, else a new
// one is created while fewer than max exist, else it waits for the first
// to be free. An environment busy with an abandoned stream therefore
// holds one environment, not the function.
type pool struct {
	idle chan *instance // free environments, warm
	room chan struct{}  // a token per environment that may still be created

	mu  sync.Mutex
	all []*instance
}

func newPool(max int) *pool {
	pl := &pool{idle: make(chan *instance, max), room: make(chan struct{}, max)}
	for range max {
		pl.room <- struct{}{}
	}
	return pl
}

// acquire returns an environment for one invocation; create makes a new
// one. It fails when ctx is done or stop is closed first.
func (pl *pool) acquire(ctx context.Context, stop <-chan struct{}, create func(id int) *instance) (*instance, error) {
	select {
	case in := <-pl.idle:
		return in, nil
	default:
	}
	select {
	case in := <-pl.idle:
		return in, nil
	case <-pl.room:
		pl.mu.Lock()
		defer pl.mu.Unlock()
		in := create(len(pl.all))
		pl.all = append(pl.all, in)
		return in, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-stop:
		return nil, errStopped
	}
}

// release makes in free again.
func (pl *pool) release(in *instance) { pl.idle <- in }

// instances lists every environment created.
func (pl *pool) instances() []*instance {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return append([]*instance(nil), pl.all...)
}
