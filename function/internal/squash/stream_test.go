package squash_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// failingEngine fails every decode after the first ok ones.
type failingEngine struct {
	codec.Engine
	ok    int64
	calls atomic.Int64
}

var errInjected = errors.New("injected decode failure")

func (e *failingEngine) NewDecoder(id codec.ID, o []byte) (codec.Decoder, error) {
	return hooked(e.Engine, id, o, func(decode func() (int, error)) (int, error) {
		if e.calls.Add(1) > e.ok {
			return 0, errInjected
		}
		return decode()
	})
}

// settled waits for the goroutine count to fall back to base (the test
// runtime's own goroutines come and go) and reports the last count.
func settled(base int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); n > base && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

// TestStreamRanges streams ranges of multi-block files, sparse and with
// tails, through Read (one byte at a time and in odd sizes) and WriteTo
// (io.Copy), and compares them with the source.
func TestStreamRanges(t *testing.T) {
	archive, src := fixture.Build(t, special)
	a, _ := openArchive(t, archive, squash.Options{})
	bs := int64(128 << 10)
	for _, name := range []string{"random/large.bin", "random/tail.bin", "sparse/holes", "exact/blocks", "text/small.txt"} {
		want, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := a.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		size := int64(len(want))
		for _, sp := range [][2]int64{{0, size}, {1, size}, {bs - 1, 2}, {bs, 5*bs + 17}, {size - 1, 10}, {size / 2, size}, {size, 5}, {0, 0}} {
			lo := min(sp[0], size)
			hi := min(lo+sp[1], size)
			var got bytes.Buffer
			r := f.Reader(sp[0], sp[1])
			if _, err := io.Copy(&got, r); err != nil {
				t.Fatalf("%s %v: io.Copy: %v", name, sp, err)
			}
			r.Close()
			if !bytes.Equal(got.Bytes(), want[lo:hi]) {
				t.Errorf("%s %v: WriteTo gave %d bytes, differing from the source's %d", name, sp, got.Len(), hi-lo)
			}
			r = f.Reader(sp[0], sp[1])
			if hi-lo < 300_000 {
				err = iotest.TestReader(r, want[lo:hi])
			} else {
				b, rerr := io.ReadAll(io.LimitReader(struct{ io.Reader }{r}, size))
				if err = rerr; err == nil && !bytes.Equal(b, want[lo:hi]) {
					err = errors.New("bytes differ")
				}
			}
			r.Close()
			if err != nil {
				t.Errorf("%s %v: Read: %v", name, sp, err)
			}
		}
	}
}

// TestStreamEarlyClose closes readers before, during and after reading and
// from another goroutine while a Read is in flight: no goroutine may be
// left behind, and a closed reader reports fs.ErrClosed, never a short
// body ending in io.EOF.
func TestStreamEarlyClose(t *testing.T) {
	archive, _ := fixture.Build(t, special)
	a, _ := openArchive(t, archive, squash.Options{})
	f, err := a.Open("random/large.bin")
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	for range 20 {
		f.Reader(0, f.Size()).Close()
		r := f.Reader(0, f.Size())
		buf := make([]byte, 1000)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if _, err := r.Read(buf); err == nil || err == io.EOF {
			t.Fatalf("Read after Close: %v, want an error other than EOF", err)
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		r := f.Reader(0, f.Size())
		wg.Go(func() {
			n, err := io.Copy(io.Discard, r)
			if err == nil && n != f.Size() {
				t.Errorf("concurrent Close: %d of %d bytes and no error", n, f.Size())
			}
		})
		wg.Go(func() { r.Close() })
	}
	wg.Wait()
	if n := settled(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after closing every reader, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// buildLongText builds r's archive and returns it with the bytes of its
// long.txt, read from the source tree.
func buildLongText(t *testing.T, r fixture.Recipe) (archive string, want []byte) {
	t.Helper()
	archive, src := fixture.Build(t, r)
	want, err := os.ReadFile(filepath.Join(src, "long.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return archive, want
}

// streamRecipe is a text file of 23 compressed blocks and a tail.
var streamRecipe = fixture.Recipe{
	Tree:       fixture.Tree{Name: "stream", Seed: 3, Nodes: []fixture.Node{{Path: "long.txt", Size: 23<<17 + 999, Text: true}}},
	Tool:       fixture.Mksquashfs,
	Compressor: "gzip",
	BlockSize:  128 << 10,
}

// TestStreamDecodeError fails a decode in the middle of a stream: the
// reader returns the error after the good bytes before it, the read-ahead
// stops, and nothing is left running.
func TestStreamDecodeError(t *testing.T) {
	archive, want := buildLongText(t, streamRecipe)
	for _, ok := range []int64{0, 3, 7} {
		e := &failingEngine{Engine: codec.Go, ok: 1 << 40}
		a, _ := openArchive(t, archive, squash.Options{Engine: e})
		f, err := a.Open("long.txt")
		if err != nil {
			t.Fatal(err)
		}
		base := runtime.NumGoroutine()
		e.ok = e.calls.Load() + ok
		r := f.Reader(0, f.Size())
		got, err := io.ReadAll(r)
		if !errors.Is(err, errInjected) {
			t.Fatalf("ok=%d: got %v, want the injected error", ok, err)
		}
		if !bytes.Equal(got, want[:len(got)]) || int64(len(got)) > ok*(128<<10) {
			t.Errorf("ok=%d: %d bytes before the error, not a prefix of the file's first %d blocks", ok, len(got), ok)
		}
		r.Close()
		if calls, limit := e.calls.Load(), e.ok+int64(max(8, 2*runtime.GOMAXPROCS(0))+runtime.GOMAXPROCS(0)); calls > limit {
			t.Errorf("ok=%d: %d decodes: the read-ahead did not stop", ok, calls)
		}
		if n := settled(base); n > base {
			t.Errorf("ok=%d: %d goroutines, %d before", ok, n, base)
		}
	}
}

// limitedWriter takes up to room bytes, then fails: with err, or, when
// err is nil, by taking less than it was given without saying why.
type limitedWriter struct {
	buf  bytes.Buffer
	room int
	err  error
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.room)
	w.buf.Write(p[:n])
	w.room -= n
	if n < len(p) {
		return n, w.err
	}
	return n, nil
}

// TestStreamWriteToPartial: a writer that fails midway, inside a block or
// on its edge, with an error or with a short write: WriteTo reports the
// bytes the writer took and its error (io.ErrShortWrite for a short
// write), and the stream goes on from the first byte not taken.
func TestStreamWriteToPartial(t *testing.T) {
	archive, want := buildLongText(t, streamRecipe)
	a, _ := openArchive(t, archive, squash.Options{})
	f, err := a.Open("long.txt")
	if err != nil {
		t.Fatal(err)
	}
	errFull := errors.New("disk full")
	base := runtime.NumGoroutine()
	for _, room := range []int{0, 1, 128<<10 - 1, 128 << 10, 5<<17 + 333} {
		for _, werr := range []error{errFull, nil} {
			r := f.Reader(0, f.Size())
			w := &limitedWriter{room: room, err: werr}
			n, err := r.(io.WriterTo).WriteTo(w)
			wantErr := werr
			if wantErr == nil {
				wantErr = io.ErrShortWrite
			}
			if n != int64(room) || !errors.Is(err, wantErr) {
				t.Errorf("room %d, %v: WriteTo = %d, %v; want %d, %v", room, werr, n, err, room, wantErr)
			}
			rest, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("room %d: reading on after the failed write: %v", room, err)
			}
			if got := append(w.buf.Bytes(), rest...); !bytes.Equal(got, want) {
				t.Errorf("room %d, %v: %d bytes written + %d read on differ from the file's %d", room, werr, w.buf.Len(), len(rest), len(want))
			}
			r.Close()
		}
	}
	if n := settled(base); n > base {
		t.Errorf("%d goroutines, %d before", n, base)
	}
}

// parallelEngine records the most decodes that ran at once.
type parallelEngine struct {
	codec.Engine
	now, most atomic.Int64
}

func (e *parallelEngine) NewDecoder(id codec.ID, o []byte) (codec.Decoder, error) {
	return hooked(e.Engine, id, o, func(decode func() (int, error)) (int, error) {
		n := e.now.Add(1)
		defer e.now.Add(-1)
		for m := e.most.Load(); n > m && !e.most.CompareAndSwap(m, n); m = e.most.Load() {
		}
		time.Sleep(2 * time.Millisecond) // long enough for the others to start
		return decode()
	})
}

// TestStreamDecoders: a stream runs up to Options.Decoders decodes at once
// (GOMAXPROCS when unset), and its bytes are right.
func TestStreamDecoders(t *testing.T) {
	archive, want := buildLongText(t, streamRecipe)
	for _, tc := range []struct{ set, want int }{{1, 1}, {3, 3}, {0, runtime.GOMAXPROCS(0)}} {
		e := &parallelEngine{Engine: codec.Go}
		a, _ := openArchive(t, archive, squash.Options{Engine: e, Decoders: tc.set})
		got, err := streamAll(t, a, "long.txt")
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Decoders=%d: %d bytes, %v; want the file's %d", tc.set, len(got), err, len(want))
		}
		if most := e.most.Load(); most != int64(tc.want) {
			t.Errorf("Decoders=%d: at most %d decodes at once, want %d", tc.set, most, tc.want)
		}
	}
}

// longRecipe is a text file of 200 blocks.
var longRecipe = fixture.Recipe{
	Tree:       fixture.Tree{Name: "stream-long", Seed: 4, Nodes: []fixture.Node{{Path: "long.txt", Size: 200 << 17, Text: true}}},
	Tool:       fixture.Mksquashfs,
	Compressor: "zstd",
	BlockSize:  128 << 10,
}

// TestStreamReusesBuffers: a stream makes its block and run buffers once
// and reuses them, whatever collections run meanwhile (a sync.Pool drops
// idle buffers at each one, and the stream made them again): streaming 25
// MiB with a collection every 2 blocks allocates a few MiB, not the file.
func TestStreamReusesBuffers(t *testing.T) {
	archive, want := buildLongText(t, longRecipe)
	a, _ := openArchive(t, archive, squash.Options{Engine: codec.Go, Decoders: 2})
	f, err := a.Open("long.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 0, len(want))
	buf := make([]byte, 128<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := f.Reader(0, f.Size())
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, buf)
		got = append(got, buf[:n]...)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			runtime.GC()
		}
	}
	runtime.ReadMemStats(&after)
	r.Close()
	if !bytes.Equal(got, want) {
		t.Fatalf("%d bytes differing from the file's %d", len(got), len(want))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("streaming %d MiB allocated %d MiB; the stream's buffers are bounded by its window", len(want)>>20, alloc>>20)
	}
}

// slackEngine records the least capacity past len(dst) of its decodes.
type slackEngine struct {
	codec.Engine
	mu    sync.Mutex
	least int
	n     int
}

func (e *slackEngine) NewDecoder(id codec.ID, o []byte) (codec.Decoder, error) {
	d, err := e.Engine.NewDecoder(id, o)
	return slackDecoder{d, e}, err
}

type slackDecoder struct {
	codec.Decoder
	e *slackEngine
}

func (d slackDecoder) Decode(dst, src []byte) (int, error) {
	d.e.mu.Lock()
	if s := cap(dst) - len(dst); d.e.n == 0 || s < d.e.least {
		d.e.least = s
	}
	d.e.n++
	d.e.mu.Unlock()
	return d.Decoder.Decode(dst, src)
}

// TestDecodesHaveSlack: the metadata, fragment and streamed blocks are
// decoded into buffers with codec.DstSlack bytes to spare, which let
// klauspost's zstd take its faster copies.
func TestDecodesHaveSlack(t *testing.T) {
	archive, want := buildLongText(t, streamRecipe)
	e := &slackEngine{Engine: codec.Go}
	a, _ := openArchive(t, archive, squash.Options{Engine: e})
	got, err := streamAll(t, a, "long.txt")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%d bytes, %v; want the file's %d", len(got), err, len(want))
	}
	if e.n < 2 || e.least < codec.DstSlack {
		t.Errorf("%d decodes, the least with %d bytes of slack; want %d", e.n, e.least, codec.DstSlack)
	}
}

// streamAll reads the whole of the file name through its stream.
func streamAll(t *testing.T, a *squash.Image, name string) ([]byte, error) {
	t.Helper()
	f, err := a.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Reader(0, f.Size())
	defer r.Close()
	return io.ReadAll(r)
}
