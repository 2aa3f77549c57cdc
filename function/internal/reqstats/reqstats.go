// Package reqstats carries the per-request counters that end up in the
// request's log line: S3 requests and bytes, cache hits, misses and
// damaged chunks.
//
// The counters travel in the context, so the S3 source and the chunk cache
// can count without knowing who asked. A shared fetch started by one
// request keeps counting for that request through context.WithoutCancel.
package reqstats

import (
	"context"
	"sync/atomic"
)

// Counters for one request. The zero value is ready to use.
type Counters struct {
	S3Requests  atomic.Int64
	S3BytesIn   atomic.Int64
	CacheHits   atomic.Int64
	CacheMisses atomic.Int64
	// CacheCorrupt counts chunks found damaged in the cache (they failed
	// their checksum or length check): discarded and fetched again.
	CacheCorrupt atomic.Int64
}

type key struct{}

// With returns a context that carries c.
func With(ctx context.Context, c *Counters) context.Context {
	return context.WithValue(ctx, key{}, c)
}

// From returns the counters in ctx, or a throwaway set if there are none,
// so callers can always count.
func From(ctx context.Context) *Counters {
	if c, ok := ctx.Value(key{}).(*Counters); ok && c != nil {
		return c
	}
	return new(Counters)
}
