package chunkcache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// waitDelivered waits until chunks [first, end) of o are delivered.
func waitDelivered(t *testing.T, o *View, first, end int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := first; i < end; i++ {
		for f := o.flightOf(i); f == nil || !f.delivered(); f = o.flightOf(i) {
			if time.Now().After(deadline) {
				t.Fatalf("chunk %d not delivered after 10s", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// TestReadersDoNotWaitForDisk blocks every chunk write and the first
// insert's scan: readers still get their bytes, and a later reader of the
// same chunks gets them from memory, as hits, with no GET.
func TestReadersDoNotWaitForDisk(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 16*chunk)
	c := newCache(t, Config{Dir: t.TempDir()})
	writes, scan := newGate(t), newGate(t)
	c.hooks.write = writes.wait
	c.hooks.scan = scan.wait
	o := e.object(c, chunk)
	readIn(t, 10*time.Second, o, e.data, 100, 8*chunk)
	// The reader took its bytes as they arrived; the fetch delivers the
	// chunks a moment later.
	waitDelivered(t, o, 0, 9)
	e.s.ResetStats()
	ctx, st := counted()
	checkRead(t, o.ReaderAt(ctx), e.data, 0, 9*chunk)
	if n := e.s.Stats().Requests["GET"]; n != 0 {
		t.Errorf("%d GETs for chunks waiting for their write, want 0", n)
	}
	if st.CacheHits.Load() != 9 || st.CacheMisses.Load() != 0 {
		t.Errorf("%d hits, %d misses; want 9 hits", st.CacheHits.Load(), st.CacheMisses.Load())
	}
	if n := len(files(t, c.root)); n != 0 {
		t.Fatalf("%d chunk files while writes are blocked", n)
	}
	writes.open()
	// The writes land; the first insert's scan is stuck: cold reads go on.
	deadline := time.Now().Add(10 * time.Second)
	for len(files(t, c.root)) != 9 {
		if time.Now().After(deadline) {
			t.Fatalf("%d chunk files after the writes, want 9", len(files(t, c.root)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	readIn(t, 10*time.Second, o, e.data, 9*chunk, 7*chunk)
	scan.open()
	c.bg.Wait()
	if n := len(files(t, c.root)); n != 16 {
		t.Errorf("%d chunk files at the end, want 16", n)
	}
}

// TestWriteBudget: with the budget of bytes awaiting their write used up,
// a reader waits for its chunks' write, so a slow disk cannot fill memory.
func TestWriteBudget(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 16*chunk)
	c := newCache(t, Config{Dir: t.TempDir()})
	writes := newGate(t)
	c.hooks.write = writes.wait
	c.pendingWrite.Store(maxPendingWrite) // the others' pending writes
	o := e.object(c, chunk)
	done := make(chan struct{})
	go func() {
		defer close(done)
		checkRead(t, o.ReaderAt(context.Background()), e.data, 0, chunk)
	}()
	select {
	case <-done:
		t.Fatal("read returned before its write, past the budget")
	case <-time.After(300 * time.Millisecond):
	}
	writes.open()
	<-done
	c.pendingWrite.Add(-maxPendingWrite)
	c.bg.Wait()
	if n := c.pendingWrite.Load(); n != 0 {
		t.Errorf("%d bytes still reserved", n)
	}
}

// TestKeptFilesServeWithoutOpen moves the cache directory away after a
// warm read: the next warm reads are still hits, so they open nothing.
func TestKeptFilesServeWithoutOpen(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 64*chunk)
	dir := t.TempDir()
	c := newCache(t, Config{Dir: dir})
	o := e.object(c, chunk)
	checkRead(t, o.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
	c.bg.Wait()
	c2 := newCache(t, Config{Dir: dir}) // a process that finds the cache warm
	o2 := e.object(c2, chunk)
	checkRead(t, o2.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
	if err := os.Rename(filepath.Join(dir, cacheDir), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	e.s.ResetStats()
	ctx, st := counted()
	checkRead(t, o2.ReaderAt(ctx), e.data, 0, int64(len(e.data)))
	if st.CacheHits.Load() != 64 || e.s.Stats().Total() != 0 {
		t.Errorf("%d hits, %d requests; want 64 hits and no request", st.CacheHits.Load(), e.s.Stats().Total())
	}
}

// cacheFDs counts this process's descriptors open on files under dir, and
// how many of those files were removed.
func cacheFDs(t *testing.T, dir string) (open, deleted int) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	for _, ent := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", ent.Name()))
		if err != nil || !strings.HasPrefix(target, dir) {
			continue
		}
		open++
		if strings.HasSuffix(target, " (deleted)") {
			deleted++
		}
	}
	return open, deleted
}

// TestKeptFilesBounded reads more chunks than the LRU of open files holds,
// under a cap that evicts: at most maxHandles files stay open, and none of
// them is a removed file holding its blocks.
func TestKeptFilesBounded(t *testing.T) {
	const chunk = 4096
	const n = 3 * maxHandles
	e := newEnv(t, s3test.Options{}, n*chunk)
	dir := t.TempDir()
	c := newCache(t, Config{Dir: dir, CapBytes: 2 * maxHandles * chunkFileSize(chunk)})
	o := e.object(c, chunk)
	for i := range int64(n) {
		checkRead(t, o.ReaderAt(context.Background()), e.data, i*chunk, chunk)
		c.bg.Wait()
		// And again, from disk.
		checkRead(t, o.ReaderAt(context.Background()), e.data, i*chunk, chunk)
	}
	if c.evictions.Load() == 0 {
		t.Fatal("nothing evicted")
	}
	open, deleted := cacheFDs(t, dir)
	if open == 0 || open > maxHandles || deleted != 0 {
		t.Errorf("%d files open (%d removed), want 1 to %d and none removed", open, deleted, maxHandles)
	}
	c.Close()
	if open, _ := cacheFDs(t, dir); open != 0 {
		t.Errorf("%d files open after Close", open)
	}
}

// TestObjectsPruned: a View nobody holds leaves Cache.objects once
// collected; one still held is returned again.
func TestObjectsPruned(t *testing.T) {
	c := newCache(t, Config{Dir: t.TempDir()})
	held := c.View(Identity{"b", "held", `"e"`}, 100, 4096, nil)
	for i := range 10_000 {
		c.View(Identity{"b", fmt.Sprint(i), `"e"`}, 100, 4096, nil)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		c.mu.Lock()
		n := len(c.objects)
		c.mu.Unlock()
		if n <= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d objects still in the map", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c.View(Identity{"b", "held", `"e"`}, 100, 4096, nil) != held {
		t.Error("a held View was replaced")
	}
}

// TestKeptFileUnreadableReopened: a kept file that can no longer be read
// (on NFS, ESTALE once another client removed it; here, its descriptor
// closed under it) is dropped and the path opened again: the read is a
// hit, not a fetch, and nothing is counted damaged.
func TestKeptFileUnreadableReopened(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 8*chunk)
	c := newCache(t, Config{Dir: t.TempDir()})
	o := e.object(c, chunk)
	checkRead(t, o.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
	c.bg.Wait()
	checkRead(t, o.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
	c.handles.mu.Lock()
	for _, oc := range c.handles.byPath {
		oc.f.Close()
	}
	c.handles.mu.Unlock()
	e.s.ResetStats()
	ctx, st := counted()
	checkRead(t, o.ReaderAt(ctx), e.data, 0, int64(len(e.data)))
	if st.CacheHits.Load() != 8 || st.CacheCorrupt.Load() != 0 || e.s.Stats().Total() != 0 {
		t.Errorf("%d hits, %d damaged, %d requests; want 8 hits, none damaged, no request",
			st.CacheHits.Load(), st.CacheCorrupt.Load(), e.s.Stats().Total())
	}
}

// TestStoreServedBeforeWritten: chunks handed to Store (the tail an
// archive's open fetched) are hits at once, while their writes are
// blocked, and on disk once the writes run.
func TestStoreServedBeforeWritten(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 8*chunk)
	c := newCache(t, Config{Dir: t.TempDir()})
	writes := newGate(t)
	c.hooks.write = writes.wait
	o := e.object(c, chunk)
	done := make(chan error, 1)
	go func() { done <- o.Store(4*chunk, e.data[4*chunk:]) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Store waits for its writes")
	}
	ctx, st := counted()
	checkRead(t, o.ReaderAt(ctx), e.data, 4*chunk, 4*chunk)
	if st.CacheHits.Load() != 4 || e.s.Stats().Total() != 0 {
		t.Errorf("%d hits, %d requests; want 4 hits, no request", st.CacheHits.Load(), e.s.Stats().Total())
	}
	writes.open()
	c.bg.Wait()
	if n := len(files(t, c.root)); n != 4 {
		t.Errorf("%d chunk files, want 4", n)
	}
}

// gate holds back the cache's hooks until it opens; it opens when the test
// ends in any case, so the cache's Close does not wait for it forever.
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{ch: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

func (g *gate) wait() { <-g.ch }
func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }
