package chunkcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const bucket = "bkt"

func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// pinned is the Fetcher the archive layer builds: ranged reads of one
// version of an S3 object.
type pinned struct {
	o    *s3src.Reader
	etag string
}

func (p pinned) ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	return p.o.ReadRange(ctx, off, n, p.etag)
}

// env is one S3 object on a local server, and a cache directory.
type env struct {
	s    *s3test.Server
	data []byte
	key  string
	info s3src.Info
	src  *s3src.Reader
	dir  string
}

func newEnv(t testing.TB, opts s3test.Options, size int) *env {
	t.Helper()
	s := s3test.StartT(t, opts)
	if err := s.CreateBucket(t.Context(), bucket); err != nil {
		t.Fatal(err)
	}
	e := &env{s: s, key: "archives/a.sqfs", dir: t.TempDir()}
	e.put(t, randomBytes(size, byte(size)))
	return e
}

func (e *env) put(t testing.TB, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutFile(t.Context(), bucket, e.key, path, nil); err != nil {
		t.Fatal(err)
	}
	e.src = s3src.New(e.s.Client(), bucket, e.key, s3src.WithRetry(2, time.Millisecond, time.Millisecond))
	info, err := e.src.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e.data, e.info = data, info
	e.s.ResetStats()
}

func (e *env) object(c *Cache, chunk int64) *View {
	return c.View(Identity{bucket, e.key, e.info.ETag}, e.info.Size, chunk, pinned{e.src, e.info.ETag})
}

// newCache returns a cache closed when the test ends, before its
// directory is removed.
func newCache(t testing.TB, cfg Config) *Cache {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func counted() (context.Context, *reqstats.Counters) {
	c := new(reqstats.Counters)
	return reqstats.With(context.Background(), c), c
}

// checkRead reads [off, off+n) through r and compares with want.
func checkRead(t testing.TB, r io.ReaderAt, want []byte, off, n int64) {
	t.Helper()
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, off)
	wantN := max(0, min(n, int64(len(want))-off))
	if int64(got) != wantN || (wantN < n && err != io.EOF) || (wantN == n && err != nil) {
		t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d", n, off, got, err, wantN)
	}
	if !bytes.Equal(buf[:got], want[off:off+wantN]) {
		t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", n, off)
	}
}

// files lists the regular files under dir but the temporary ones of
// writes in progress, which vanish under the walk.
func files(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		if info, err := d.Info(); err == nil {
			out[path] = info.Size()
		}
		return nil
	})
	return out
}

func TestChunkSize(t *testing.T) {
	tests := []struct {
		configured int64
		block      uint32
		want       int64
	}{
		{0, 131072, 131072},
		{4096, 131072, 131072},
		{1 << 20, 131072, 1 << 20},
		{3 << 20, 131072, 2 << 20},
		{(1 << 20) - 1, 4096, 512 << 10},
		{1 << 30, 131072, MaxChunkSize},
		{-5, 4096, 4096},
		{0, 0, 4096},
	}
	for _, tt := range tests {
		if got := ChunkSize(tt.configured, tt.block); got != tt.want {
			t.Errorf("ChunkSize(%d, %d) = %d, want %d", tt.configured, tt.block, got, tt.want)
		}
	}
}

func TestRandomReads(t *testing.T) {
	e := newEnv(t, s3test.Options{}, 1<<20+123)
	c := newCache(t, Config{Dir: e.dir})
	r := e.object(c, 4096).ReaderAt(context.Background())
	rng := rand.New(rand.NewPCG(1, 2))
	size := int64(len(e.data))
	type span struct{ off, n int64 }
	spans := []span{{0, 1}, {0, size}, {size - 1, 1}, {size - 100, 1000}, {4095, 2}, {size, 10}}
	for range 200 {
		off := rng.Int64N(size)
		spans = append(spans, span{off, 1 + rng.Int64N(100_000)})
	}
	for _, s := range spans {
		checkRead(t, r, e.data, s.off, s.n)
	}
	e.s.ResetStats()
	ctx, st := counted()
	warm := e.object(c, 4096).ReaderAt(ctx)
	for _, s := range spans {
		checkRead(t, warm, e.data, s.off, s.n)
	}
	if got := e.s.Stats().Total(); got != 0 || st.S3Requests.Load() != 0 || st.CacheMisses.Load() != 0 {
		t.Errorf("warm reads: %d requests at the server, %d counted, %d misses; want none", got, st.S3Requests.Load(), st.CacheMisses.Load())
	}
	if st.CacheHits.Load() == 0 {
		t.Error("warm reads counted no cache hits")
	}
}

func TestOneGetPerRun(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 64*chunk)
	c := newCache(t, Config{Dir: e.dir})
	o := e.object(c, chunk)

	read := func(first, last int64) (requests int64, st *reqstats.Counters) {
		t.Helper()
		e.s.ResetStats()
		ctx, st := counted()
		// Start and end inside the chunks, not on their edges.
		checkRead(t, o.ReaderAt(ctx), e.data, first*chunk+100, (last-first+1)*chunk-200)
		return e.s.Stats().Requests["GET"], st
	}
	if n, st := read(2, 9); n != 1 || st.CacheMisses.Load() != 8 || st.S3BytesIn.Load() != 8*chunk {
		t.Errorf("cold read of chunks 2-9: %d GETs, %d misses, %d bytes; want 1, 8, %d", n, st.CacheMisses.Load(), st.S3BytesIn.Load(), 8*chunk)
	}
	read(14, 14)
	read(16, 16)
	// Chunks 10-20 with 14 and 16 cached: runs 10-13, 15, 17-20.
	if n, st := read(10, 20); n != 3 || st.CacheHits.Load() != 2 || st.CacheMisses.Load() != 9 {
		t.Errorf("read of chunks 10-20 with 14 and 16 cached: %d GETs, %d hits, %d misses; want 3, 2, 9", n, st.CacheHits.Load(), st.CacheMisses.Load())
	}
	if n, st := read(0, 63); n != 2 || st.CacheHits.Load() != 19 {
		t.Errorf("read of all chunks: %d GETs, %d hits; want 2 (0-1 and 21-63), 19", n, st.CacheHits.Load())
	}
	if n, _ := read(0, 63); n != 0 {
		t.Errorf("warm read: %d GETs, want 0", n)
	}
}

func TestBoundedWindow(t *testing.T) {
	e := newEnv(t, s3test.Options{}, 20<<20)
	c := newCache(t, Config{Dir: e.dir})
	checkRead(t, e.object(c, 1<<20).ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
	// 20 MiB in slices of at most 8 MiB: 3 GETs.
	if n := e.s.Stats().Requests["GET"]; n != 3 {
		t.Errorf("%d GETs for a 20 MiB read, want 3", n)
	}
}

func TestNewETagMisses(t *testing.T) {
	e := newEnv(t, s3test.Options{}, 100_000)
	c := newCache(t, Config{Dir: e.dir})
	checkRead(t, e.object(c, 4096).ReaderAt(context.Background()), e.data, 0, 100_000)
	oldETag := e.info.ETag
	e.put(t, randomBytes(100_000, 99))
	if e.info.ETag == oldETag {
		t.Fatal("replacement has the same ETag")
	}
	checkRead(t, e.object(c, 4096).ReaderAt(context.Background()), e.data, 0, 100_000)
	if n := e.s.Stats().Requests["GET"]; n != 1 {
		t.Errorf("read after replacement: %d GETs, want 1 (all chunks missed)", n)
	}
	// A fresh process (new Cache on the same dir) also sees the new bytes.
	c2 := newCache(t, Config{Dir: e.dir})
	checkRead(t, e.object(c2, 4096).ReaderAt(context.Background()), e.data, 0, 100_000)
}

func TestFailedFetchLeavesNoFile(t *testing.T) {
	e := newEnv(t, s3test.Options{}, 100_000)
	c := newCache(t, Config{Dir: e.dir})
	o := e.object(c, 4096)
	// Two attempts, both cut short: the fetch fails.
	e.s.InjectFaults(s3test.Fault{Kind: s3test.ShortBody, Method: "GET", Times: 2})
	_, err := o.ReaderAt(context.Background()).ReadAt(make([]byte, 50_000), 0)
	if err == nil {
		t.Fatal("read succeeded although every GET was cut short")
	}
	if got := files(t, e.dir); len(got) != 0 {
		t.Errorf("files after a failed fetch: %v", got)
	}
	checkRead(t, o.ReaderAt(context.Background()), e.data, 0, 50_000)
	c.bg.Wait() // the chunks are written after the readers have them
	if got := files(t, e.dir); len(got) != 13 {
		t.Errorf("%d files after a good read of 13 chunks", len(got))
	}
}

// shortFetcher breaks its contract: it returns fewer bytes than asked.
type shortFetcher struct{ data []byte }

func (f shortFetcher) ReadRange(_ context.Context, off, n int64) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(f.data[off : off+n/2])), nil
}

func TestShortFetchNotCached(t *testing.T) {
	dir := t.TempDir()
	c := newCache(t, Config{Dir: dir})
	data := randomBytes(40_000, 3)
	o := c.View(Identity{"b", "k", `"e"`}, int64(len(data)), 4096, shortFetcher{data})
	_, err := o.ReaderAt(context.Background()).ReadAt(make([]byte, 40_000), 0)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want io.ErrUnexpectedEOF", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files after a short fetch: %v", got)
	}
}

func TestTornChunkIgnored(t *testing.T) {
	e := newEnv(t, s3test.Options{}, 100_000)
	c := newCache(t, Config{Dir: e.dir})
	o := e.object(c, 4096)
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	torn := o.path(3)
	if err := os.WriteFile(torn, e.data[3*4096:3*4096+1000], 0o644); err != nil {
		t.Fatal(err)
	}
	checkRead(t, o.ReaderAt(context.Background()), e.data, 3*4096, 4096)
	c.bg.Wait()
	if fi, err := os.Stat(torn); err != nil || fi.Size() != chunkFileSize(4096) {
		t.Errorf("torn chunk not replaced: %v", err)
	}
}

func TestSharedFetch(t *testing.T) {
	e := newEnv(t, s3test.Options{Latency: 200 * time.Millisecond}, 200_000)
	c := newCache(t, Config{Dir: e.dir})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			// Each reader asks for the same chunks through its own Object
			// handle and a slightly different range.
			checkRead(t, e.object(c, 4096).ReaderAt(context.Background()), e.data, int64(i*10), 100_000)
		})
	}
	wg.Wait()
	if n := e.s.Stats().Requests["GET"]; n != 1 {
		t.Errorf("8 concurrent readers made %d GETs, want 1", n)
	}
}

func TestCancelledReaderDoesNotFailOthers(t *testing.T) {
	e := newEnv(t, s3test.Options{Latency: 300 * time.Millisecond}, 100_000)
	c := newCache(t, Config{Dir: e.dir})
	o := e.object(c, 4096)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := o.ReaderAt(ctx).ReadAt(make([]byte, 50_000), 0)
		first <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the first reader claim the fetch
	second := make(chan struct{})
	go func() {
		defer close(second)
		checkRead(t, o.ReaderAt(context.Background()), e.data, 0, 50_000)
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	start := time.Now()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled reader: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("cancelled reader returned %v after cancel", d)
	}
	<-second
	if n := e.s.Stats().Requests["GET"]; n != 1 {
		t.Errorf("%d GETs, want 1 shared", n)
	}
}

func TestStore(t *testing.T) {
	e := newEnv(t, s3test.Options{}, 10*4096+500)
	c := newCache(t, Config{Dir: e.dir})
	o := e.object(c, 4096)
	// The tail from inside chunk 7 to the end: chunks 8, 9 and the short
	// last chunk 10 are complete.
	tail := int64(7*4096 + 10)
	if err := o.Store(tail, e.data[tail:]); err != nil {
		t.Fatal(err)
	}
	if err := o.Store(-1, e.data[:10]); err == nil {
		t.Error("Store at -1 succeeded")
	}
	if err := o.Store(10*4096, e.data[:4096]); err == nil {
		t.Error("Store past the end succeeded")
	}
	c.bg.Wait()
	ctx, st := counted()
	checkRead(t, o.ReaderAt(ctx), e.data, 8*4096, 2*4096+500)
	if e.s.Stats().Total() != 0 || st.CacheHits.Load() != 3 {
		t.Errorf("read of stored chunks: %d requests, %d hits; want 0, 3", e.s.Stats().Total(), st.CacheHits.Load())
	}
	checkRead(t, o.ReaderAt(ctx), e.data, 7*4096, 10)
	if n := e.s.Stats().Total(); n != 1 {
		t.Errorf("partly stored chunk 7: %d requests, want 1", n)
	}
}

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestUnwritableFallsBackUncached(t *testing.T) {
	e := newEnv(t, s3test.Options{}, 300_000)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A 256 KiB tmpfs filled up but for 8 KiB: 16 KiB chunks do not fit.
	tiny := t.TempDir()
	mounted := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", tiny).Run() == nil
	if mounted {
		t.Cleanup(func() { exec.Command("umount", tiny).Run() })
		if err := os.WriteFile(filepath.Join(tiny, "ballast"), make([]byte, 248<<10), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		dir  string
		skip bool
	}{
		{"dir is a file", notDir, false},
		{"disk full (tmpfs)", tiny, !mounted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("cannot mount a tmpfs here (needs root)")
			}
			var logs logBuffer
			c := newCache(t, Config{Dir: tt.dir, CapBytes: 1 << 30, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			o := e.object(c, 16384)
			e.s.ResetStats()
			for range 2 {
				checkRead(t, o.ReaderAt(context.Background()), e.data, 0, int64(len(e.data)))
				c.bg.Wait() // the failed writes, after which the bytes are gone
			}
			// Nothing cached: the second read fetches again.
			if n := e.s.Stats().Requests["GET"]; n != 2 {
				t.Errorf("%d GETs for two uncached reads, want 2", n)
			}
			if !strings.Contains(logs.String(), `"level":"WARN"`) || !strings.Contains(logs.String(), "uncached") && !strings.Contains(logs.String(), "not usable") {
				t.Errorf("no warning logged: %s", logs.String())
			}
			if n := strings.Count(logs.String(), `"level":"WARN"`); n > 1 {
				t.Errorf("%d warnings, want one (rate-limited)", n)
			}
		})
	}
}

func TestEviction(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 64*chunk)
	c := newCache(t, Config{Dir: e.dir, CapBytes: 16 * chunk})
	o := e.object(c, chunk)
	r := o.ReaderAt(context.Background())
	for i := range int64(64) {
		checkRead(t, r, e.data, i*chunk, chunk)
		c.bg.Wait() // writes and eviction run after the read
		var total int64
		for _, size := range files(t, e.dir) {
			total += size
		}
		if total > c.CapBytes() {
			t.Fatalf("after chunk %d: %d bytes cached, cap %d", i, total, c.CapBytes())
		}
	}
	if c.evictions.Load() == 0 {
		t.Fatal("nothing evicted")
	}
	if _, err := os.Stat(o.path(63)); err != nil {
		t.Errorf("the most recent chunk was evicted: %v", err)
	}

}

func TestEvictionLeastRecentlyUsed(t *testing.T) {
	const chunk = 4096
	e := newEnv(t, s3test.Options{}, 64*chunk)
	c := newCache(t, Config{Dir: e.dir, CapBytes: 16 * chunkFileSize(chunk)})
	o := e.object(c, chunk)
	r := o.ReaderAt(context.Background())
	// Exactly the cap: nothing evicted yet.
	checkRead(t, r, e.data, 0, 16*chunk)
	c.bg.Wait()
	if n := len(files(t, e.dir)); n != 16 {
		t.Fatalf("%d chunks cached, want 16", n)
	}
	// Chunk i was last used i seconds after an hour ago; then chunk 0 is
	// hit, which touches it.
	old := time.Now().Add(-time.Hour)
	for i := range int64(16) {
		at := old.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(o.path(i), at, at); err != nil {
			t.Fatal(err)
		}
	}
	ctx, st := counted()
	checkRead(t, o.ReaderAt(ctx), e.data, 0, 1)
	if st.CacheHits.Load() != 1 {
		t.Fatal("chunk 0 not a hit")
	}
	// One more chunk passes the cap: down to 90% of it (14 chunks), the
	// least recently used first: 1, 2 and 3.
	checkRead(t, r, e.data, 16*chunk, chunk)
	c.bg.Wait()
	for i, want := range map[int64]bool{0: true, 1: false, 2: false, 3: false, 4: true, 15: true, 16: true} {
		if _, err := os.Stat(o.path(i)); (err == nil) != want {
			t.Errorf("chunk %d cached: %v, want %v", i, err == nil, want)
		}
	}
}

// TestTwoProcesses runs child processes of this test binary reading the
// same object through one cache directory at the same time, with a cap
// small enough that they evict each other's chunks.
func TestTwoProcesses(t *testing.T) {
	if os.Getenv("CHUNKCACHE_CHILD") != "" {
		t.Skip("child")
	}
	e := newEnv(t, s3test.Options{}, 2<<20)
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The second case caps the cache at half the object: the children
	// evict each other's chunks while reading them.
	for _, capBytes := range []int64{0, 1 << 20} {
		t.Run(fmt.Sprintf("cap=%d", capBytes), func(t *testing.T) {
			dir := t.TempDir()
			var wg sync.WaitGroup
			for i := range 2 {
				cmd := exec.Command(bin, "-test.run=^TestChildReader$", "-test.count=1")
				cmd.Env = append(append(os.Environ(), e.s.Env()...),
					"CHUNKCACHE_CHILD=1",
					"CHUNKCACHE_DIR="+dir,
					fmt.Sprintf("CHUNKCACHE_CAP=%d", capBytes),
					fmt.Sprintf("CHUNKCACHE_SEED=%d", i),
					"CHUNKCACHE_KEY="+e.key,
					"CHUNKCACHE_ETAG="+e.info.ETag,
					fmt.Sprintf("CHUNKCACHE_SIZE=%d", len(e.data)),
				)
				wg.Go(func() {
					if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") || strings.Contains(string(out), "SKIP") {
						t.Errorf("child %d: %v\n%s", i, err, out)
					}
				})
			}
			wg.Wait()
			for path, size := range files(t, dir) {
				if strings.HasPrefix(filepath.Base(path), tempPrefix) {
					t.Errorf("temp file left: %s", path)
				}
				if size != chunkFileSize(4096) {
					t.Errorf("%s: %d bytes", path, size)
				}
			}
		})
	}
}

// TestChildReader is the child of TestTwoProcesses.
func TestChildReader(t *testing.T) {
	if os.Getenv("CHUNKCACHE_CHILD") == "" {
		t.Skip("run by TestTwoProcesses")
	}
	var capBytes, seed, size int64
	fmt.Sscan(os.Getenv("CHUNKCACHE_CAP"), &capBytes)
	fmt.Sscan(os.Getenv("CHUNKCACHE_SEED"), &seed)
	fmt.Sscan(os.Getenv("CHUNKCACHE_SIZE"), &size)
	want := randomBytes(int(size), byte(size))
	client, err := s3src.NewClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	src := s3src.New(client, bucket, os.Getenv("CHUNKCACHE_KEY"))
	etag := os.Getenv("CHUNKCACHE_ETAG")
	c := newCache(t, Config{Dir: os.Getenv("CHUNKCACHE_DIR"), CapBytes: capBytes})
	o := c.View(Identity{bucket, os.Getenv("CHUNKCACHE_KEY"), etag}, size, 4096, pinned{src, etag})
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	var wg sync.WaitGroup
	for range 4 {
		r := rand.New(rand.NewPCG(rng.Uint64(), 2))
		wg.Go(func() {
			for range 60 {
				off := r.Int64N(size)
				checkRead(t, o.ReaderAt(context.Background()), want, off, 1+r.Int64N(64<<10))
			}
		})
	}
	wg.Wait()
}

// BenchmarkWarmReadAt measures a 4 KiB read served from cached 128 KiB
// chunks: the cost the squashfs reader pays per warm block.
func BenchmarkWarmReadAt(b *testing.B) {
	e := newEnv(b, s3test.Options{}, 4<<20)
	c := newCache(b, Config{Dir: e.dir})
	r := e.object(c, 128<<10).ReaderAt(context.Background())
	checkRead(b, r, e.data, 0, int64(len(e.data)))
	buf := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(3, 4))
	b.SetBytes(4096)
	for b.Loop() {
		if _, err := r.ReadAt(buf, rng.Int64N(int64(len(e.data))-4096)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdReadAt measures a 128 KiB read that misses: one GET from
// the local server, one chunk written and fsynced.
func BenchmarkColdReadAt(b *testing.B) {
	e := newEnv(b, s3test.Options{}, 8<<20)
	buf := make([]byte, 128<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		b.StopTimer()
		c := newCache(b, Config{Dir: b.TempDir()})
		r := e.object(c, 128<<10).ReaderAt(context.Background())
		b.StartTimer()
		if _, err := r.ReadAt(buf, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteSlots: a local disk gets one chunk write per core, a network
// filesystem (EFS) 16, whose writes wait on round trips.
func TestWriteSlots(t *testing.T) {
	const ext4 = 0xef53
	for _, tc := range []struct {
		fsType int64
		cores  int
		want   int
	}{{ext4, 2, 2}, {ext4, 6, 6}, {ext4, 0, 1}, {nfsMagic, 2, networkWrites}} {
		if got := writeSlots(tc.fsType, tc.cores); got != tc.want {
			t.Errorf("writeSlots(%#x, %d) = %d, want %d", tc.fsType, tc.cores, got, tc.want)
		}
	}
	c := newCache(t, Config{Dir: t.TempDir()})
	if got, want := cap(c.writers), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("a cache in the test's temporary directory writes %d chunks at once, want %d (one per core)", got, want)
	}
}
