package archive

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
)

// Set keeps up to Max archives open, least recently used out first. An
// archive is revalidated with one HEAD once its last check is older than
// Revalidate, so a replaced archive is noticed by warm processes; a failed
// HEAD keeps serving the open version rather than failing every request
// while S3 has a bad moment.
type Set struct {
	Opener     *Opener
	Max        int
	Revalidate time.Duration
	Now        func() time.Time // for tests; nil: time.Now

	mu      sync.Mutex
	entries map[Ref]*list.Element
	lru     list.List // of *slot, most recent first
}

type slot struct {
	ref     Ref
	ready   chan struct{} // closed when archive/err are set
	archive *Archive
	err     error
	checked time.Time
	mu      sync.Mutex // serialises revalidation of this slot
}

func (s *Set) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Get returns the open archive for ref, opening it (once, however many
// callers ask at the same time) or revalidating it as needed.
func (s *Set) Get(ctx context.Context, ref Ref) (*Archive, error) {
	sl, fresh := s.slot(ref)
	if fresh {
		s.fill(ctx, sl)
	}
	select {
	case <-sl.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if sl.err != nil {
		return nil, sl.err
	}
	return s.revalidate(ctx, sl)
}

func (s *Set) slot(ref Ref) (*slot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = make(map[Ref]*list.Element)
	}
	if el, ok := s.entries[ref]; ok {
		s.lru.MoveToFront(el)
		return el.Value.(*slot), false
	}
	sl := &slot{ref: ref, ready: make(chan struct{})}
	s.entries[ref] = s.lru.PushFront(sl)
	max := s.Max
	if max <= 0 {
		max = 1
	}
	for s.lru.Len() > max {
		old := s.lru.Back()
		s.lru.Remove(old)
		delete(s.entries, old.Value.(*slot).ref)
	}
	return sl, true
}

// fill opens the archive for a new slot. A failure is not kept: the slot is
// dropped so the next request tries again.
func (s *Set) fill(ctx context.Context, sl *slot) {
	a, err := s.open(ctx, sl.ref)
	sl.archive, sl.err, sl.checked = a, err, s.now()
	close(sl.ready)
	if err != nil {
		s.drop(sl)
	}
}

// open retries once when the object was replaced while being opened.
func (s *Set) open(ctx context.Context, ref Ref) (*Archive, error) {
	a, err := s.Opener.Open(ctx, ref)
	if errors.Is(err, s3src.ErrChanged) {
		a, err = s.Opener.Open(ctx, ref)
	}
	return a, err
}

func (s *Set) drop(sl *slot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[sl.ref]; ok && el.Value.(*slot) == sl {
		s.lru.Remove(el)
		delete(s.entries, sl.ref)
	}
}

func (s *Set) revalidate(ctx context.Context, sl *slot) (*Archive, error) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if s.now().Sub(sl.checked) < s.Revalidate {
		return sl.archive, nil
	}
	info, err := s.Opener.Source(sl.ref).Head(ctx)
	switch {
	case err == nil && info.ETag == sl.archive.ETag:
		sl.checked = s.now()
		return sl.archive, nil
	case err == nil, errors.Is(err, s3src.ErrNotFound):
		// Replaced or deleted: open afresh (and report what S3 says now).
		a, err := s.open(ctx, sl.ref)
		if err != nil {
			return nil, err
		}
		sl.archive, sl.checked = a, s.now()
		return a, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		s.Opener.Logger.Warn("archive revalidation failed; serving the open version",
			"archive", sl.ref.String(), "err", err)
		return sl.archive, nil
	}
}
