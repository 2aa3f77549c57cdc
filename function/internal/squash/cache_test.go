package squash

import "testing"

func block(n int) func() (cached, error) {
	return func() (cached, error) { return cached{data: make([]byte, n)}, nil }
}

func TestBudgetIsSharedAndBounded(t *testing.T) {
	const blk = 1000
	per := int64(blk + entryOverhead)
	b := NewBudget(10 * per)
	a1, a2 := b.newBlockCache(6*per), b.newBlockCache(6*per)
	fills := 0
	counting := func() (cached, error) { fills++; return block(blk)() }

	// Each archive may hold 6 blocks, both together 10.
	for i := range 8 {
		a1.get(kindMeta, int64(i), block(blk))
	}
	if got := b.Used(); got != 6*per {
		t.Fatalf("one archive: %d bytes used, want its cap %d", got, 6*per)
	}
	for i := range 8 {
		a2.get(kindMeta, int64(i), block(blk))
	}
	if got := b.Used(); got != 10*per {
		t.Fatalf("two archives: %d bytes used, want the budget %d", got, 10*per)
	}
	// a1's blocks were the least recently used: a2's last 6 are all there.
	fills = 0
	for i := 2; i < 8; i++ {
		a2.get(kindMeta, int64(i), counting)
	}
	if fills != 0 {
		t.Errorf("%d of a2's recent blocks were evicted", fills)
	}
	// Same offset, other archive or other kind: a different block.
	a1.get(kindFragment, 7, counting)
	if fills != 1 {
		t.Error("a fragment block was served from a metadata block's entry")
	}

	// Pins push blocks out; blocks never push pins out.
	b.Pin(8 * per)
	if got := b.Used(); got > 10*per {
		t.Errorf("after a pin: %d bytes used, over the budget %d", got, 10*per)
	}
	b.Unpin(8 * per)

	// A released archive gives its blocks back and caches nothing more.
	a2.release()
	before := b.Used()
	a2.get(kindMeta, 100, block(blk))
	if got := b.Used(); got != before || len(b.owners) != 1 {
		t.Errorf("after release: used %d -> %d, %d owners; want no change and 1 owner", before, got, len(b.owners))
	}
	a1.release()
	if got := b.Used(); got != 0 || b.lru.Len() != 0 || len(b.items) != 0 {
		t.Errorf("all released: %d bytes, %d entries left", got, b.lru.Len())
	}
}
