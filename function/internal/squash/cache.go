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
	kind blockKind
	off  int64
}

// cached is a decompressed block. data is shared and never written.
type cached struct {
	data []byte
	next int64 // metadata blocks: offset of the following block
}

// entryOverhead approximates the bookkeeping cost of one entry.
const entryOverhead = 128

// blockCache is a byte-bounded LRU of decompressed blocks. Concurrent
// loads of one key share a single load, so a block is decompressed once
// however many readers ask for it at the same time.
type blockCache struct {
	mu       sync.Mutex
	max      int64
	used     int64
	lru      *list.List // of *lruEntry, most recent first
	items    map[blockKey]*list.Element
	inflight map[blockKey]*load
}

type lruEntry struct {
	key blockKey
	val cached
}

type load struct {
	done chan struct{}
	val  cached
	err  error
}

func newBlockCache(max int64) *blockCache {
	return &blockCache{max: max, lru: list.New(), items: map[blockKey]*list.Element{}, inflight: map[blockKey]*load{}}
}

// get returns the cached block for k, calling fill to produce it when it
// is absent. Errors are not cached.
func (c *blockCache) get(k blockKey, fill func() (cached, error)) (cached, error) {
	c.mu.Lock()
	if e, ok := c.items[k]; ok {
		c.lru.MoveToFront(e)
		v := e.Value.(*lruEntry).val
		c.mu.Unlock()
		return v, nil
	}
	if l, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		<-l.done
		return l.val, l.err
	}
	l := &load{done: make(chan struct{})}
	c.inflight[k] = l
	c.mu.Unlock()

	l.val, l.err = fill()

	c.mu.Lock()
	delete(c.inflight, k)
	if l.err == nil {
		c.add(k, l.val)
	}
	c.mu.Unlock()
	close(l.done)
	return l.val, l.err
}

func (c *blockCache) add(k blockKey, v cached) {
	cost := int64(len(v.data)) + entryOverhead
	if cost > c.max {
		return
	}
	c.items[k] = c.lru.PushFront(&lruEntry{key: k, val: v})
	c.used += cost
	for c.used > c.max {
		e := c.lru.Back()
		le := e.Value.(*lruEntry)
		c.lru.Remove(e)
		delete(c.items, le.key)
		c.used -= int64(len(le.val.data)) + entryOverhead
	}
}
