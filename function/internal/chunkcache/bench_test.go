package chunkcache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// closeCache waits for a benchmark's background writes and scans, so they
// do not run into the next iteration's timing.
func closeCache(c *Cache) { c.Close() }

// alternate runs op alternating between its two modes within one run and
// reports each mode's median time per op and their ratio (medians, as
// the other helpers' load preempts some ops); op returns the time of what
// it measures, its setup excluded.
func alternate(b *testing.B, names [2]string, op func(mode int) time.Duration) {
	var took [2][]time.Duration
	for i := 0; b.Loop(); i++ {
		took[i%2] = append(took[i%2], op(i%2))
	}
	if len(took[1]) == 0 {
		return
	}
	var med [2]float64
	for m := range med {
		slices.Sort(took[m])
		med[m] = float64(took[m][len(took[m])/2].Nanoseconds())
		b.ReportMetric(med[m], "ns/op-"+names[m])
	}
	b.ReportMetric(med[0]/med[1], names[0]+"/"+names[1])
}

// BenchmarkWarmChecksum measures warm reads from cached 128 KiB chunks
// (files kept open) with and without the checksum check.
func BenchmarkWarmChecksum(b *testing.B) {
	const size = 4 << 20
	e := newEnv(b, s3test.Options{}, size)
	c := newCache(b, Config{Dir: b.TempDir()})
	r := e.object(c, 128<<10).ReaderAt(context.Background())
	checkRead(b, r, e.data, 0, size)
	c.bg.Wait()
	checkRead(b, r, e.data, 0, size) // opens every chunk's file
	for _, n := range []int{4 << 10, 64 << 10, 128 << 10} {
		b.Run(fmt.Sprintf("read=%dKiB", n>>10), func(b *testing.B) {
			buf := make([]byte, n)
			rng := rand.New(rand.NewPCG(3, 4))
			b.SetBytes(int64(n))
			alternate(b, [2]string{"checksum", "none"}, func(mode int) time.Duration {
				c.skipVerify = mode == 1
				start := time.Now()
				if _, err := r.ReadAt(buf, rng.Int64N(size-int64(n))); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			})
			c.skipVerify = false
		})
	}
}

// BenchmarkSharedWarmCache measures the first reads of a process on a
// cache another process filled (EFS shared by Lambda instances): 4 KiB
// from each of 8 chunks, against the same reads in the process that holds
// their files open.
func BenchmarkSharedWarmCache(b *testing.B) {
	const chunk, chunks = 128 << 10, 8
	e := newEnv(b, s3test.Options{}, chunks*chunk)
	dir := b.TempDir()
	warm := newCache(b, Config{Dir: dir})
	wr := e.object(warm, chunk).ReaderAt(context.Background())
	checkRead(b, wr, e.data, 0, chunks*chunk)
	warm.bg.Wait()
	checkRead(b, wr, e.data, 0, chunks*chunk)
	buf := make([]byte, 4096)
	alternate(b, [2]string{"new-process", "warm-process"}, func(mode int) time.Duration {
		r := wr
		if mode == 0 {
			c, err := New(Config{Dir: dir})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r = e.object(c, chunk).ReaderAt(context.Background())
		}
		start := time.Now()
		for i := range int64(chunks) {
			if _, err := r.ReadAt(buf, i*chunk+1000); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	})
}

// BenchmarkWarmStreamZstd weighs the checksum against a warm stream: a
// file of zstd blocks (128 KiB each before compression, as squashfs
// writes them) read block by block from cached 128 KiB chunks and
// decoded, with and without the checksum check. b.SetBytes counts the
// decoded bytes.
func BenchmarkWarmStreamZstd(b *testing.B) {
	const block, blocks = 128 << 10, 128
	rng := rand.New(rand.NewPCG(5, 6))
	words := strings.Fields("the archive holds files packed in squashfs blocks read through a chunk cache on local disk or EFS with checksums per page 0 1 2 3 4 5 6 7 8 9")
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		b.Fatal(err)
	}
	var object []byte
	var offs []int64
	raw := make([]byte, 0, block)
	for range blocks {
		raw = raw[:0]
		for len(raw) < block {
			// Words and random tokens: about 2.5:1 under zstd, like
			// ordinary files.
			if rng.IntN(2) == 0 {
				raw = append(raw, words[rng.IntN(len(words))]...)
			} else {
				for range 4 + rng.IntN(8) {
					raw = append(raw, byte('0'+rng.IntN(75)))
				}
			}
			raw = append(raw, ' ')
		}
		offs = append(offs, int64(len(object)))
		object = enc.EncodeAll(raw[:block], object)
	}
	offs = append(offs, int64(len(object)))
	e := newEnv(b, s3test.Options{}, 1)
	e.put(b, object)
	c := newCache(b, Config{Dir: b.TempDir()})
	r := e.object(c, 128<<10).ReaderAt(context.Background())
	checkRead(b, r, object, 0, int64(len(object)))
	c.bg.Wait()
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		b.Fatal(err)
	}
	comp, out := make([]byte, block+4096), make([]byte, 0, block)
	b.Logf("%d blocks of %d bytes, compressed to %.2f", blocks, block, float64(len(object))/float64(blocks*block))
	b.SetBytes(block)
	i := 0
	alternate(b, [2]string{"checksum", "none"}, func(mode int) time.Duration {
		c.skipVerify = mode == 1
		k := i % blocks
		i++
		start := time.Now()
		buf := comp[:offs[k+1]-offs[k]]
		if _, err := r.ReadAt(buf, offs[k]); err != nil {
			b.Fatal(err)
		}
		if out, err = dec.DecodeAll(buf, out[:0]); err != nil || len(out) != block {
			b.Fatal(err, len(out))
		}
		return time.Since(start)
	})
	c.skipVerify = false
}

// prefill leaves n chunk files of another layout and other objects in
// dir, as other processes would on a large shared cache.
func prefill(b *testing.B, dir string, n int) {
	for i := range n {
		d := filepath.Join(dir, "s3archivefs", "v1", fmt.Sprintf("%02x", i/100%256), fmt.Sprintf("obj%05d.c4096", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, strconv.Itoa(i%100)), []byte{1}, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdWaitingReaders measures how long 4 readers of one missing
// 128 KiB chunk wait for it: one shared GET from the local server, in a
// process's first insert, on a cache directory empty or holding 20,000
// chunks of other processes.
func BenchmarkColdWaitingReaders(b *testing.B) {
	const chunk = 128 << 10
	for _, files := range []int{0, 20_000} {
		b.Run(fmt.Sprintf("cached=%d", files), func(b *testing.B) {
			e := newEnv(b, s3test.Options{}, 1<<20)
			dir := b.TempDir()
			prefill(b, dir, files)
			b.SetBytes(chunk)
			i := 0
			for b.Loop() {
				b.StopTimer()
				c, err := New(Config{Dir: dir}) // a new process
				if err != nil {
					b.Fatal(err)
				}
				// A new identity each time: the chunk is cold.
				id := Identity{bucket, e.key, e.info.ETag + strconv.Itoa(i)}
				o := c.View(id, e.info.Size, chunk, pinned{e.src, e.info.ETag})
				i++
				b.StartTimer()
				var wg sync.WaitGroup
				for range 4 {
					wg.Go(func() {
						if _, err := o.ReaderAt(context.Background()).ReadAt(make([]byte, chunk), chunk); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				closeCache(c)
				b.StartTimer()
			}
		})
	}
}
