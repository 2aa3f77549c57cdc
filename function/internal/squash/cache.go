package squash

import (
	"container/list"
	"sync"
)

// blockKind separates the key spaces of the block cache: in a corrupt
// archive a metadata block and a fragment block may claim the same offset.
type blockKind uint8

const (
	kindMeta blockKind = iota
	kindFragment
)

type blockKey struct {
	owner uint64 // the open archive, unique per Budget
	kind  blockKind
	off   int64
}

// cached is a decompressed block. data is shared and never written.
type cached struct {
	data []byte
	next int64 // metadata blocks: offset of the following block
}

// BlockStore keeps decoded blocks of one archive beyond the process, for
// the other processes sharing it (a chunk cache on EFS): reading part of
// a stored block costs a read and the checksums of those bytes instead of
// decompressing the whole block. It is only asked for what the in-memory
// cache misses.
type BlockStore interface {
	// ReadAt fills p with the bytes at off of the block stored under key,
	// verified, and reports whether it could.
	ReadAt(key int64, p []byte, off int64) bool
	// Store keeps data, a decoded block, under key; data is never
	// modified afterwards.
	Store(key int64, data []byte)
}

// entryOverhead approximates the bookkeeping cost of one entry.
const entryOverhead = 128

// Budget bounds, together, the memory of every archive opened with it:
// the decompressed metadata and fragment blocks they cache, and the bytes
// their owners pin for as long as they keep them open (the archive package
// pins the head and tail it reads at open). One Budget per process makes
// the bound process-wide, whatever the number of open archives: blocks are
// evicted least recently used first, whichever archive holds them.
//
// Concurrent loads of one block share a single load, so a block is
// decompressed once however many readers ask for it at the same time.
type Budget struct {
	mu        sync.Mutex
	max       int64
	used      int64 // blocks and pins
	pinned    int64
	lru       list.List // of *lruEntry, most recent first
	items     map[blockKey]*list.Element
	inflight  map[blockKey]*load
	owners    map[uint64]*owner
	nextOwner uint64
}

// owner is one open archive's share: its own LRU, bounded by its cap.
type owner struct {
	max, used int64
	lru       list.List // of *list.Element of Budget.lru, most recent first
}

type lruEntry struct {
	key blockKey
	val cached
	own *list.Element // in the owner's list
}

type load struct {
	done chan struct{}
	val  cached
	err  error
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int64) *Budget {
	return &Budget{max: max, items: map[blockKey]*list.Element{}, inflight: map[blockKey]*load{}, owners: map[uint64]*owner{}}
}

// Max is the budget's bound in bytes.
func (b *Budget) Max() int64 { return b.max }

// Used is what blocks and pins hold now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Pinned is what pins hold now.
func (b *Budget) Pinned() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pinned
}

// Pin accounts for n bytes held outside the block cache, evicting blocks
// to make room. Pins are not refused: the caller decides what to close
// when Pinned grows too large.
func (b *Budget) Pin(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pinned += n
	b.used += n
	b.evict()
}

// Unpin releases what Pin accounted for.
func (b *Budget) Unpin(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pinned -= n
	b.used -= n
}

// blockCache is one open archive's view of a Budget.
type blockCache struct {
	b  *Budget
	id uint64
}

// newBlockCache registers an archive whose blocks may hold at most max of
// the budget.
func (b *Budget) newBlockCache(max int64) *blockCache {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextOwner++
	b.owners[b.nextOwner] = &owner{max: max}
	return &blockCache{b: b, id: b.nextOwner}
}

// release drops the archive's blocks; later loads are served uncached.
func (c *blockCache) release() {
	b := c.b
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.owners[c.id]
	if o == nil {
		return
	}
	for o.lru.Len() > 0 {
		b.remove(o.lru.Front().Value.(*list.Element))
	}
	delete(b.owners, c.id)
}

// get returns the cached block for k, calling fill to produce it when it
// is absent. Errors are not cached.
func (c *blockCache) get(kind blockKind, off int64, fill func() (cached, error)) (cached, error) {
	b, k := c.b, blockKey{owner: c.id, kind: kind, off: off}
	b.mu.Lock()
	if e, ok := b.items[k]; ok {
		b.lru.MoveToFront(e)
		le := e.Value.(*lruEntry)
		b.owners[c.id].lru.MoveToFront(le.own)
		b.mu.Unlock()
		return le.val, nil
	}
	if l, ok := b.inflight[k]; ok {
		b.mu.Unlock()
		<-l.done
		return l.val, l.err
	}
	l := &load{done: make(chan struct{})}
	b.inflight[k] = l
	b.mu.Unlock()

	l.val, l.err = fill()

	b.mu.Lock()
	delete(b.inflight, k)
	if l.err == nil {
		b.add(k, l.val)
	}
	b.mu.Unlock()
	close(l.done)
	return l.val, l.err
}

// peek returns the cached block for k, if there is one.
func (c *blockCache) peek(kind blockKind, off int64) (cached, bool) {
	b, k := c.b, blockKey{owner: c.id, kind: kind, off: off}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.items[k]
	if !ok {
		return cached{}, false
	}
	b.lru.MoveToFront(e)
	le := e.Value.(*lruEntry)
	b.owners[c.id].lru.MoveToFront(le.own)
	return le.val, true
}

func cost(v cached) int64 { return int64(cap(v.data)) + entryOverhead }

func (b *Budget) add(k blockKey, v cached) {
	o := b.owners[k.owner]
	n := cost(v)
	if o == nil || n > o.max || n > b.max-b.pinned {
		return // released, or larger than the room there is
	}
	le := &lruEntry{key: k, val: v}
	e := b.lru.PushFront(le)
	le.own = o.lru.PushFront(e)
	b.items[k] = e
	o.used += n
	b.used += n
	for o.used > o.max {
		b.remove(o.lru.Back().Value.(*list.Element))
	}
	b.evict()
}

// evict drops the least recently used blocks until the budget holds.
func (b *Budget) evict() {
	for b.used > b.max && b.lru.Len() > 0 {
		b.remove(b.lru.Back())
	}
}

func (b *Budget) remove(e *list.Element) {
	le := e.Value.(*lruEntry)
	b.lru.Remove(e)
	delete(b.items, le.key)
	n := cost(le.val)
	b.used -= n
	if o := b.owners[le.key.owner]; o != nil {
		o.lru.Remove(le.own)
		o.used -= n
	}
}
