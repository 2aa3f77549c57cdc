package chunkcache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// heldFetcher serves data from memory and records the ranges asked for.
// A GET whose range starts at an offset in hold sends hold[off].sent
// bytes, then waits for release and fails with err if set.
type heldFetcher struct {
	data []byte
	hold map[int64]heldRange

	mu     sync.Mutex
	ranges [][2]int64
}

type heldRange struct {
	sent    int64
	release <-chan struct{}
	err     error
}

func (f *heldFetcher) ReadRange(_ context.Context, off, n int64) (io.ReadCloser, error) {
	f.mu.Lock()
	f.ranges = append(f.ranges, [2]int64{off, n})
	f.mu.Unlock()
	body := &heldBody{r: bytes.NewReader(f.data[off : off+n]), sent: n}
	if h, ok := f.hold[off]; ok {
		body.sent, body.release, body.err = h.sent, h.release, h.err
	}
	return io.NopCloser(body), nil
}

func (f *heldFetcher) asked() [][2]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := slices.Clone(f.ranges)
	slices.SortFunc(r, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	return r
}

type heldBody struct {
	r       io.Reader
	sent    int64 // bytes before the hold
	release <-chan struct{}
	err     error
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.sent <= 0 && b.release != nil {
		<-b.release
		b.release = nil
		if b.err != nil {
			return 0, b.err
		}
	}
	if b.release != nil {
		p = p[:min(int64(len(p)), b.sent)]
	}
	n, err := b.r.Read(p)
	b.sent -= int64(n)
	return n, err
}

// readIn reads n bytes at off through o and fails unless they are right
// and arrive within d.
func readIn(t *testing.T, d time.Duration, o *View, want []byte, off, n int64) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		got := make([]byte, n)
		_, err := o.ReaderAt(context.Background()).ReadAt(got, off)
		if err == nil && !bytes.Equal(got, want[off:off+n]) {
			err = errors.New("wrong bytes")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("read of %d bytes at %d: %v", n, off, err)
		}
	case <-time.After(d):
		t.Fatalf("read of %d bytes at %d still waiting after %v", n, off, d)
	}
}

// TestSplitFetchServesItsReaderFirst: a small read deep in a lone chunk
// splits the chunk's fetch at its offset, so it is served while the bytes
// before it are still held; the chunk is then cached whole and right.
func TestSplitFetchServesItsReaderFirst(t *testing.T) {
	const chunk = 256 << 10
	data := randomBytes(2*chunk, 7)
	release := make(chan struct{})
	f := &heldFetcher{data: data, hold: map[int64]heldRange{0: {release: release}}}
	dir := t.TempDir()
	c := newCache(t, Config{Dir: dir})
	id := Identity{Bucket: "b", Key: "split", ETag: `"1"`}
	o := c.View(id, int64(len(data)), chunk, f)

	readIn(t, 10*time.Second, o, data, 200<<10, 1000)
	close(release)
	c.bg.Wait()
	want := [][2]int64{{0, 192 << 10}, {192 << 10, 64 << 10}}
	if got := f.asked(); !slices.Equal(got, want) {
		t.Fatalf("GETs %v, want %v (split at 192 KiB)", got, want)
	}
	// Another process reads the whole chunk from disk.
	other := newCache(t, Config{Dir: dir})
	g := &heldFetcher{data: data}
	readIn(t, 10*time.Second, other.View(id, int64(len(data)), chunk, g), data, 0, chunk)
	if n := len(g.asked()); n != 0 {
		t.Errorf("%d GETs for a cached chunk, want 0", n)
	}
}

// TestReaderTakesArrivedBytes: a reader of a chunk's first bytes gets them
// while the rest of the chunk's body is held; a reader of the held bytes
// waits for them.
func TestReaderTakesArrivedBytes(t *testing.T) {
	const chunk = 64 << 10
	data := randomBytes(chunk, 3)
	release := make(chan struct{})
	f := &heldFetcher{data: data, hold: map[int64]heldRange{0: {sent: 8 << 10, release: release}}}
	c := newCache(t, Config{Dir: t.TempDir()})
	o := c.View(Identity{Bucket: "b", Key: "early", ETag: `"1"`}, chunk, chunk, f)

	readIn(t, 10*time.Second, o, data, 100, 4000)
	late := make(chan struct{})
	go func() {
		defer close(late)
		readIn(t, 10*time.Second, o, data, 8<<10, 100)
	}()
	select {
	case <-late:
		t.Fatal("a read of held bytes returned before they were sent")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-late
	c.bg.Wait()
	if n := len(f.asked()); n != 1 {
		t.Errorf("%d GETs, want 1", n)
	}
}

// TestSplitPartFails: when the part before the split fails, the reader
// already served keeps its right bytes, a reader of the failed part gets
// the error, and the chunk is not cached.
func TestSplitPartFails(t *testing.T) {
	const chunk = 256 << 10
	data := randomBytes(chunk, 9)
	release := make(chan struct{})
	broken := errors.New("connection reset")
	f := &heldFetcher{data: data, hold: map[int64]heldRange{0: {sent: 1000, release: release, err: broken}}}
	dir := t.TempDir()
	c := newCache(t, Config{Dir: dir})
	o := c.View(Identity{Bucket: "b", Key: "fail", ETag: `"1"`}, chunk, chunk, f)

	readIn(t, 10*time.Second, o, data, 130<<10, 5000)
	errc := make(chan error, 1)
	go func() {
		_, err := o.ReaderAt(context.Background()).ReadAt(make([]byte, 100), 2000)
		errc <- err
	}()
	close(release)
	if err := <-errc; !errors.Is(err, broken) {
		t.Errorf("read of the failed part: %v, want %v", err, broken)
	}
	c.bg.Wait()
	if n := len(files(t, c.root)); n != 0 {
		t.Errorf("%d chunk files after a failed fetch, want 0", n)
	}
}

// TestPrefetch: a prefetch of a region fetches its chunks in at most parts
// GETs of adjacent chunks, serves a reader from a part still arriving, and
// caches every chunk; a failed part reports false and caches nothing of it.
func TestPrefetch(t *testing.T) {
	const chunk = 64 << 10
	data := randomBytes(20*chunk, 5)
	for _, fail := range []bool{false, true} {
		release := make(chan struct{})
		held := heldRange{sent: 1000, release: release}
		if fail {
			held.err = errors.New("connection reset")
		}
		// The region is chunks 2-17 in 4 parts of 4 chunks; the part at
		// chunk 6 sends 1000 bytes, then waits.
		f := &heldFetcher{data: data, hold: map[int64]heldRange{6 * chunk: held}}
		c := newCache(t, Config{Dir: t.TempDir()})
		o := c.View(Identity{Bucket: "b", Key: "prefetch", ETag: `"1"`}, int64(len(data)), chunk, f)
		arrived := o.Prefetch(context.Background(), 2*chunk+10, 18*chunk-10, 4)
		readIn(t, 10*time.Second, o, data, 6*chunk+100, 800)
		readIn(t, 10*time.Second, o, data, 15*chunk, 3*chunk)
		close(release)
		if ok := <-arrived; ok == fail {
			t.Errorf("fail=%v: Prefetch reported %v", fail, ok)
		}
		c.bg.Wait()
		want := [][2]int64{{2 * chunk, 4 * chunk}, {6 * chunk, 4 * chunk}, {10 * chunk, 4 * chunk}, {14 * chunk, 4 * chunk}}
		if got := f.asked(); !slices.Equal(got, want) {
			t.Errorf("fail=%v: GETs %v, want %v", fail, got, want)
		}
		wantFiles := 16
		if fail {
			wantFiles = 12
		}
		if n := len(files(t, c.root)); n != wantFiles {
			t.Errorf("fail=%v: %d chunk files, want %d", fail, n, wantFiles)
		}
	}
}

// TestPrefetchSkipsCached: a process prefetching a region another process
// has already cached in part (a shared cache) fetches only the chunks that
// are not there, and a damaged chunk it left out is fetched when read.
func TestPrefetchSkipsCached(t *testing.T) {
	const chunk = 64 << 10
	data := randomBytes(24*chunk, 6)
	dir := t.TempDir()
	id := Identity{Bucket: "b", Key: "shared", ETag: `"1"`}
	first := newCache(t, Config{Dir: dir})
	if ok := <-first.View(id, int64(len(data)), chunk, &heldFetcher{data: data}).Prefetch(context.Background(), 2*chunk, 18*chunk, 4); !ok {
		t.Fatal("first prefetch failed")
	}
	first.bg.Wait()
	var damaged string
	for path := range files(t, dir) {
		if filepath.Base(path) == "9" {
			damaged = path
		}
	}
	if damaged == "" {
		t.Fatal("no file for chunk 9")
	}
	if err := os.WriteFile(damaged, []byte("not a chunk"), 0o644); err != nil {
		t.Fatal(err)
	}

	f := &heldFetcher{data: data}
	o := newCache(t, Config{Dir: dir}).View(id, int64(len(data)), chunk, f)
	if ok := <-o.Prefetch(context.Background(), 0, 24*chunk, 4); !ok {
		t.Fatal("second prefetch failed")
	}
	want := [][2]int64{{0, 2 * chunk}, {18 * chunk, 2 * chunk}, {20 * chunk, 2 * chunk}, {22 * chunk, 2 * chunk}}
	if got := f.asked(); !slices.Equal(got, want) {
		t.Errorf("GETs %v, want only the chunks not cached: %v", got, want)
	}
	readIn(t, 10*time.Second, o, data, 9*chunk+100, 1000)
	want = slices.Insert(want, 1, [2]int64{9 * chunk, chunk})
	if got := f.asked(); !slices.Equal(got, want) {
		t.Errorf("GETs %v, want the damaged chunk 9 fetched too: %v", got, want)
	}

	// A prefetch of one chunk looks at its file alone: a cached one is
	// not fetched, one not cached is.
	for _, tt := range []struct {
		dir  string
		want [][2]int64
	}{{dir, nil}, {t.TempDir(), [][2]int64{{5 * chunk, chunk}}}} {
		f := &heldFetcher{data: data}
		o := newCache(t, Config{Dir: tt.dir}).View(id, int64(len(data)), chunk, f)
		if ok := <-o.Prefetch(context.Background(), 5*chunk+10, 5*chunk+20, 1); !ok {
			t.Fatal("one-chunk prefetch failed")
		}
		if got := f.asked(); !slices.Equal(got, tt.want) {
			t.Errorf("one-chunk prefetch in %s: GETs %v, want %v", tt.dir, got, tt.want)
		}
	}
}

// TestHeldBytesNotFetched: a lone chunk that held bytes begin or end is
// fetched without them, cached whole and right.
func TestHeldBytesNotFetched(t *testing.T) {
	const chunk = 64 << 10
	data := randomBytes(4*chunk, 11)
	f := &heldFetcher{data: data}
	dir := t.TempDir()
	c := newCache(t, Config{Dir: dir})
	id := Identity{Bucket: "b", Key: "held", ETag: `"1"`}
	o := c.View(id, int64(len(data)), chunk, f)
	o.Hold(0, data[:4096])                    // a head
	o.Hold(2*chunk+1000, data[2*chunk+1000:]) // a tail
	readIn(t, 10*time.Second, o, data, 100, 8000)
	readIn(t, 10*time.Second, o, data, 2*chunk, 5000)
	c.bg.Wait()
	want := [][2]int64{{4096, chunk - 4096}, {2 * chunk, 1000}}
	if got := f.asked(); !slices.Equal(got, want) {
		t.Fatalf("GETs %v, want %v", got, want)
	}
	other := newCache(t, Config{Dir: dir})
	g := &heldFetcher{data: data}
	ov := other.View(id, int64(len(data)), chunk, g)
	readIn(t, 10*time.Second, ov, data, 0, chunk)
	readIn(t, 10*time.Second, ov, data, 2*chunk, chunk)
	if n := len(g.asked()); n != 0 {
		t.Errorf("%d GETs for chunks cached from held bytes, want 0", n)
	}
}

// TestFailedFlightServesNoStaleBytes: once a fetch fails, a reader of
// bytes that had arrived before the failure gets them right or gets the
// error, never a success with nothing copied.
func TestFailedFlightServesNoStaleBytes(t *testing.T) {
	data := randomBytes(4096, 13)
	f := newFlight()
	buf := make([]byte, len(data))
	f.fill(buf, 0)
	copy(buf, data[:1000])
	f.arrived(0, 1000)
	broken := errors.New("connection reset")
	f.finish(nil, broken)
	got, err := f.wait(context.Background(), 0, 500)
	if err == nil && (len(got) < 500 || !bytes.Equal(got[:500], data[:500])) {
		t.Fatalf("wait after the failure: %d bytes and no error, want the arrived bytes or %v", len(got), broken)
	}
	if err != nil && !errors.Is(err, broken) {
		t.Fatalf("wait after the failure: %v, want %v", err, broken)
	}
}
