package archive_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const bucket = "archives"

// newStack returns an opener reading from srv with a fresh chunk cache in
// cacheDir, as a cold process has.
func newStack(t *testing.T, srv *s3test.Server, cacheDir string) *archive.Opener {
	return newOpener(t, srv, cacheDir, 256<<10) // the default S3ARCHIVEFS_TAIL_PREFETCH_BYTES
}

func newOpener(t *testing.T, srv *s3test.Server, cacheDir string, tail int64) *archive.Opener {
	t.Helper()
	cache, err := chunkcache.New(chunkcache.Config{Dir: cacheDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() }) // chunk writes finish before cacheDir goes
	client := srv.Client()
	return &archive.Opener{
		Cache:     cache,
		Source:    func(r archive.Ref) *s3src.Reader { return s3src.New(client, r.Bucket, r.Key) },
		TailBytes: tail,
		Logger:    slog.New(slog.DiscardHandler),
	}
}

func upload(t *testing.T, srv *s3test.Server, key, path string) {
	t.Helper()
	ctx := context.Background()
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	if err := srv.PutFile(ctx, bucket, key, path, nil); err != nil {
		t.Fatal(err)
	}
}

func requests(s s3test.Stats) (n int64) {
	for _, v := range s.Requests {
		n += v
	}
	return n
}

func readFile(t *testing.T, fsys *squash.Image, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestColdAndWarmSmallFileRead is the archive core's promise: a cold read of
// one small file in a 20,000-file archive takes at most 4 S3 requests (head
// and tail at open, in parallel; the part of the metadata region the tail
// misses, in the background; the data), and a warm read takes none.
func TestColdAndWarmSmallFileRead(t *testing.T) {
	path, src := fixture.Build(t, fixture.Files20k)
	srv := s3test.StartT(t, s3test.Options{})
	upload(t, srv, "files20k.sqfs", path)
	ctx := context.Background()
	cacheDir := t.TempDir()

	srv.ResetStats()
	set := &archive.Set{Opener: newStack(t, srv, cacheDir), Max: 4, Revalidate: time.Hour}
	a, err := set.Get(ctx, archive.Ref{Bucket: bucket, Key: "files20k.sqfs"})
	if err != nil {
		t.Fatal(err)
	}
	name := "d042/f08412.txt"
	got := readFile(t, a.Image(ctx), name)
	want, err := os.ReadFile(filepath.Join(src, name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: bytes differ from the source", name)
	}
	<-a.Settled() // the metadata prefetch belongs to the cold read
	cold := srv.Stats()
	info := a.Info()
	reference := a.Size - info.InodeTableStart
	t.Logf("cold small-file read: %d S3 requests, %d bytes (archive %d bytes, %d inodes); "+
		"the reference design downloads %d bytes (inode table to end) on first open alone",
		requests(cold), cold.BodyBytes, a.Size, info.Inodes, reference)
	if n := requests(cold); n > 4 {
		t.Errorf("cold read took %d S3 requests (%v), want at most 4", n, cold.Requests)
	}

	srv.ResetStats()
	a2, err := set.Get(ctx, archive.Ref{Bucket: bucket, Key: "files20k.sqfs"})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, a2.Image(ctx), name); !bytes.Equal(got, want) {
		t.Fatalf("warm read: bytes differ")
	}
	other := "d042/f08413.txt"
	want2, _ := os.ReadFile(filepath.Join(src, other))
	if got := readFile(t, a2.Image(ctx), other); !bytes.Equal(got, want2) {
		t.Fatalf("warm read of a neighbour: bytes differ")
	}
	warm := srv.Stats()
	t.Logf("warm small-file reads: %d S3 requests, %d bytes", requests(warm), warm.BodyBytes)
	if n := requests(warm); n != 0 {
		t.Errorf("warm reads took %d S3 requests (%v), want 0", n, warm.Requests)
	}
}

// TestReplacedArchiveIsNoticed: after the revalidation interval, a replaced
// archive is reopened, and its new bytes are served, never the old ones.
func TestReplacedArchiveIsNoticed(t *testing.T) {
	pathA, srcA := fixture.Build(t, fixture.Small)
	pathB, srcB := fixture.Build(t, fixture.Recipe{Tree: fixture.Tree{Name: "small-v2", Seed: 99, Nodes: fixture.SmallTree.Nodes},
		Tool: fixture.Mksquashfs, Compressor: "zstd", BlockSize: 4096})
	srv := s3test.StartT(t, s3test.Options{})
	upload(t, srv, "a.sqfs", pathA)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	set := &archive.Set{Opener: newStack(t, srv, t.TempDir()), Max: 4, Revalidate: time.Minute, Now: func() time.Time { return now }}
	ref := archive.Ref{Bucket: bucket, Key: "a.sqfs"}
	read := func() []byte {
		a, err := set.Get(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		return readFile(t, a.Image(ctx), "docs/notes.txt")
	}
	wantA, _ := os.ReadFile(filepath.Join(srcA, "docs/notes.txt"))
	wantB, _ := os.ReadFile(filepath.Join(srcB, "docs/notes.txt"))
	if bytes.Equal(wantA, wantB) {
		t.Fatal("fixture trees should differ")
	}
	if !bytes.Equal(read(), wantA) {
		t.Fatal("first version: wrong bytes")
	}
	if err := srv.PutFile(ctx, bucket, "a.sqfs", pathB, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(), wantA) {
		t.Fatal("within the revalidation interval the open version is served")
	}
	now = now.Add(2 * time.Minute)
	if !bytes.Equal(read(), wantB) {
		t.Fatal("after the interval, the replaced archive must be served")
	}
}

func TestNotSquashfs(t *testing.T) {
	srv := s3test.StartT(t, s3test.Options{})
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not squashfs "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	upload(t, srv, "junk.sqfs", junk)
	o := newStack(t, srv, t.TempDir())
	_, err := o.Open(context.Background(), archive.Ref{Bucket: bucket, Key: "junk.sqfs"})
	if err == nil || !errors.Is(err, archive.ErrNotSquashfs) {
		t.Fatalf("err = %v, want ErrNotSquashfs", err)
	}
	_, err = o.Open(context.Background(), archive.Ref{Bucket: bucket, Key: "missing.sqfs"})
	if !errors.Is(err, s3src.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// TestTailSizeTradeOff measures the open-time tail GET against the
// metadata the archive has: a tail that covers the metadata region makes a
// cold small-file read 2 round trips; a shorter one saves bytes and pays
// with on-demand metadata fetches. The figures go to docs/decisions.md.
func TestTailSizeTradeOff(t *testing.T) {
	path, _ := fixture.Build(t, fixture.Files20k)
	srv := s3test.StartT(t, s3test.Options{})
	upload(t, srv, "files20k.sqfs", path)
	ctx := context.Background()
	for _, tail := range []int64{64 << 10, 256 << 10, 1 << 20} {
		srv.ResetStats()
		o := newOpener(t, srv, t.TempDir(), tail)
		a, err := o.Open(ctx, archive.Ref{Bucket: bucket, Key: "files20k.sqfs"})
		if err != nil {
			t.Fatal(err)
		}
		readFile(t, a.Image(ctx), "d042/f08412.txt")
		st := srv.Stats()
		t.Logf("tail %7d: cold small-file read %d requests, %7d bytes (metadata region %d bytes)",
			tail, requests(st), st.BodyBytes, a.Size-a.Info().InodeTableStart)
	}
}

// TestColdReadRoundTrips reads one small file cold from an archive whose
// metadata region the tail does not cover, with S3 latency injected: the
// metadata prefetch keeps the read at 3 sequential round trips (open,
// metadata, data) whatever the depth of the path, and it fetches no more
// bytes than the reference design (the region from the inode table, then
// the data).
func TestColdReadRoundTrips(t *testing.T) {
	path, src := fixture.Build(t, fixture.Files20k)
	ctx := context.Background()
	for _, name := range []string{"d042/f08412.txt", "d001/f00217.txt", "d099/f19990.txt"} {
		// A server of its own: no fetch of the previous read still counts.
		srv := s3test.StartT(t, s3test.Options{Latency: 30 * time.Millisecond})
		upload(t, srv, "files20k.sqfs", path)
		srv.ResetStats()
		o := newOpener(t, srv, t.TempDir(), 64<<10)
		a, err := o.Open(ctx, archive.Ref{Bucket: bucket, Key: "files20k.sqfs"})
		if err != nil {
			t.Fatal(err)
		}
		got := readFile(t, a.Image(ctx), name)
		want, _ := os.ReadFile(filepath.Join(src, name))
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: bytes differ", name)
		}
		<-a.Settled()
		o.Cache.Close() // the chunk fetches the read left running end
		st := srv.Stats()
		rounds := st.Rounds()
		region := a.Size - a.Info().InodeTableStart
		t.Logf("%s: %d round trips, %d requests, %d bytes (metadata region %d bytes)", name, rounds, requests(st), st.BodyBytes, region)
		if rounds > 3 {
			t.Errorf("%s: %d sequential round trips, want at most 3", name, rounds)
		}
		// The reference: the region and at least the file's data chunk.
		if limit := region + int64(a.Info().BlockSize) + 64<<10; st.BodyBytes > limit {
			t.Errorf("%s: %d bytes from S3, more than the reference's %d", name, st.BodyBytes, limit)
		}
	}
}

// TestSharedCacheRecord: a second process on the chunk cache directory
// of a first one opens the archive from the first one's open record and
// reads with no S3 request; a record older than the revalidation interval,
// or damaged, is not trusted.
func TestSharedCacheRecord(t *testing.T) {
	path, src := fixture.Build(t, fixture.Files20k)
	srv := s3test.StartT(t, s3test.Options{})
	upload(t, srv, "files20k.sqfs", path)
	ctx := context.Background()
	dir := t.TempDir()
	ref := archive.Ref{Bucket: bucket, Key: "files20k.sqfs"}
	name := "d042/f08412.txt"
	want, _ := os.ReadFile(filepath.Join(src, name))
	// A process whose clock runs ahead by skew.
	process := func(revalidate, skew time.Duration) *archive.Set {
		o := newOpener(t, srv, dir, 64<<10)
		o.RecordDir = dir
		t.Cleanup(func() { o.Cache.Close() })
		return &archive.Set{Opener: o, Max: 4, Revalidate: revalidate, Now: func() time.Time { return time.Now().Add(skew) }}
	}
	read := func(set *archive.Set) s3test.Stats {
		t.Helper()
		srv.ResetStats()
		a, err := set.Get(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, a.Image(ctx), name); !bytes.Equal(got, want) {
			t.Fatal("bytes differ")
		}
		<-a.Settled()
		// The chunk writes end before the process does.
		set.Opener.Cache.Close()
		return srv.Stats()
	}
	first := read(process(time.Hour, 0))
	if first.Total() == 0 {
		t.Fatal("the first process read nothing from S3")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "s3archivefs", "open-v1", "*", "*"))
	if len(files) != 1 {
		t.Fatalf("open records: %v", files)
	}
	if st := read(process(time.Hour, 0)); st.Total() != 0 {
		t.Errorf("second process on a warm shared cache: %v S3 requests, want 0", st.Requests)
	}
	// Past the interval the archive is opened from S3 again (head and
	// tail), but the region the first process cached is not fetched again.
	// The clock jumps past the interval, rather than the test sleeping
	// through a short one: an open slower than that interval (a busy
	// machine) would be revalidated at once, one HEAD more.
	if st := read(process(time.Hour, 2*time.Hour)); st.Total() == 0 {
		t.Error("a record older than the revalidation interval was trusted")
	} else if st.Total() != 2 {
		t.Errorf("reopening past the revalidation interval: %v S3 requests, want 2 (head and tail, not the cached region)", st.Requests)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// The damaged copy goes to a directory no other process writes.
	b[len(b)/2] ^= 1
	dir = t.TempDir()
	damaged := filepath.Join(dir, strings.TrimPrefix(files[0], filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(files[0]))))))
	if err := os.MkdirAll(filepath.Dir(damaged), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if st := read(process(time.Hour, 0)); st.Total() == 0 {
		t.Error("a damaged record was trusted")
	}
}

// With 4 KiB blocks, data and metadata chunks are the same size and the
// cache hands both views out as one: it must span the whole archive, or
// the tail cannot be cached and metadata reads beyond the data fail.
func TestSmallBlocksOneView(t *testing.T) {
	path, src := fixture.Build(t, fixture.Recipe{Tree: fixture.SmallTree, Tool: fixture.Mksquashfs, Compressor: "zstd", BlockSize: 4096})
	srv := s3test.StartT(t, s3test.Options{})
	upload(t, srv, "small4k.sqfs", path)
	var logs bytes.Buffer
	o := newStack(t, srv, t.TempDir())
	o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	ctx := context.Background()
	a, err := o.Open(ctx, archive.Ref{Bucket: bucket, Key: "small4k.sqfs"})
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = fs.WalkDir(a.Image(ctx).FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		want, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if got := readFile(t, a.Image(ctx), name); !bytes.Equal(got, want) {
			t.Errorf("%s: wrong bytes", name)
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no files read")
	}
	if strings.Contains(logs.String(), "not cached") {
		t.Errorf("open logged a cache failure:\n%s", logs.String())
	}
}
