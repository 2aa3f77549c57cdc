package chunkcache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// closeCache waits for a benchmark's background writes and scans, so they
// do not run into the next iteration's timing.
func closeCache(c *Cache) { c.Close() }

// BenchmarkWarmChecksum measures warm reads from cached 128 KiB chunks
// (files kept open) with and without the checksum check, alternating in
// batches within one run, and reports both and their ratio.
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
			const batch = 64
			buf := make([]byte, n)
			rng := rand.New(rand.NewPCG(3, 4))
			var took [2]time.Duration // [checksum, none]
			var reads [2]int
			mode, start := 0, time.Now()
			b.SetBytes(int64(n))
			i := 0
			for b.Loop() {
				if i%batch == 0 {
					took[mode] += time.Since(start)
					mode = (i / batch) % 2
					c.skipVerify = mode == 1
					start = time.Now()
				}
				if _, err := r.ReadAt(buf, rng.Int64N(size-int64(n))); err != nil {
					b.Fatal(err)
				}
				reads[mode]++
				i++
			}
			took[mode] += time.Since(start)
			c.skipVerify = false
			if reads[0] == 0 || reads[1] == 0 {
				return
			}
			with := float64(took[0].Nanoseconds()) / float64(reads[0])
			without := float64(took[1].Nanoseconds()) / float64(reads[1])
			b.ReportMetric(with, "ns/read-checksum")
			b.ReportMetric(without, "ns/read-none")
			b.ReportMetric(with/without, "checksum/none")
		})
	}
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
