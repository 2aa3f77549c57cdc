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
//
// With a memory budget (Opener.Squash.Budget), archives are also closed,
// least recently used first, while what open archives pin (their head,
// tail and tables) is more than half of the budget: the other half is left
// to decompressed blocks.
//
// A failed open is logged once, with the archive and the cause. A
// permanent failure (a missing, forbidden or unreadable archive) is then
// remembered for Revalidate, so that the requests that follow get the
// same answer without another open or another log line; a transient one
// is not, so the next request tries again.
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
	mu      sync.Mutex // serialises revalidation and closing of this slot
	evicted bool       // closed: serve what is open, never reopen
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
	asked := s.now()
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
		// A failure from before this request, and older than Revalidate,
		// is tried again; a newer one is the answer.
		if !sl.checked.Before(asked) || s.now().Sub(sl.checked) < s.Revalidate {
			return nil, sl.err // remembered, and logged when it happened
		}
		s.drop(sl)
		return s.Get(ctx, ref)
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
		s.evict(s.lru.Back())
	}
	return sl, true
}

// evict removes el and closes its archive. s.mu is held.
func (s *Set) evict(el *list.Element) {
	sl := el.Value.(*slot)
	s.lru.Remove(el)
	delete(s.entries, sl.ref)
	go func() { // an open still in progress closes when it is done
		<-sl.ready
		sl.mu.Lock()
		defer sl.mu.Unlock()
		sl.evicted = true
		if sl.archive != nil {
			sl.archive.close() // still readable by requests holding it
		}
	}()
}

// fill opens the archive for a new slot: from its open record when another
// process confirmed it with S3 within the revalidation interval (it is
// then revalidated when that interval ends, as if this process had opened
// it), else from S3. A transient failure is not kept: the slot is dropped
// so the next request tries again.
func (s *Set) fill(ctx context.Context, sl *slot) {
	now := s.now()
	if a, ok := s.Opener.openRecorded(ctx, sl.ref, now, s.Revalidate); ok {
		sl.archive, sl.checked = a, a.checkedAt()
		close(sl.ready)
		s.fitBudget(sl)
		return
	}
	a, err := s.open(ctx, sl.ref)
	if err != nil && ctx.Err() == nil {
		err = loggedError{err}
	}
	sl.archive, sl.err, sl.checked = a, err, now
	close(sl.ready)
	switch {
	case err == nil:
		s.fitBudget(sl)
	case ctx.Err() != nil:
		s.drop(sl)
	case permanent(err):
		s.Opener.Logger.Error("archive cannot be read", "archive", sl.ref.String(), "err", err.Error(), "retry_after_s", s.Revalidate.Seconds())
	default:
		s.Opener.Logger.Warn("archive open failed (transient)", "archive", sl.ref.String(), "err", err.Error())
		s.drop(sl)
	}
}

// ErrLogged marks a failed open the Set has logged, with the archive and
// the cause: a request log may leave the cause out.
var ErrLogged = errors.New("archive open failure, logged at open")

type loggedError struct{ error }

func (e loggedError) Unwrap() []error { return []error{e.error, ErrLogged} }

// permanent reports whether opening again would fail the same way.
func permanent(err error) bool {
	return errors.Is(err, ErrNotSquashfs) || errors.Is(err, s3src.ErrNotFound) || errors.Is(err, s3src.ErrAccessDenied)
}

// fitBudget closes the least recently used archives other than keep while
// open archives pin more than half of the memory budget.
func (s *Set) fitBudget(keep *slot) {
	b := s.Opener.Squash.Budget
	if b == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for el := s.lru.Back(); el != nil && b.Pinned() > b.Max()/2; {
		prev := el.Prev()
		if sl := el.Value.(*slot); sl != keep {
			select {
			case <-sl.ready:
				s.evict(el)
			default: // still opening: it will account for itself
			}
		}
		el = prev
	}
}

// open opens ref from S3, retrying once when the object was replaced while
// being opened.
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
	if sl.evicted || s.now().Sub(sl.checked) < s.Revalidate {
		return sl.archive, nil
	}
	info, err := s.Opener.Source(sl.ref).Head(ctx)
	switch {
	case err == nil && info.ETag == sl.archive.ETag:
		sl.checked = s.now()
		go s.Opener.confirmed(sl.archive, sl.checked)
		return sl.archive, nil
	case err == nil, errors.Is(err, s3src.ErrNotFound):
		// Replaced or deleted: open afresh (and report what S3 says now).
		a, err := s.open(ctx, sl.ref)
		if err != nil {
			return nil, err
		}
		sl.archive.close()
		sl.archive, sl.checked = a, s.now()
		go s.fitBudget(sl)
		return a, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		s.Opener.Logger.Warn("archive revalidation failed; serving the open version",
			"archive", sl.ref.String(), "err", err)
		return sl.archive, nil
	}
}
