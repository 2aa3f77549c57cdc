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

// alternate runs op in alternating batches of its two modes within one
// run and reports each mode's time per op and their ratio; op returns the
// time of what it measures (its setup excluded).
func alternate(b *testing.B, names [2]string, op func(mode int) time.Duration) {
	const batch = 64
	var took [2]time.Duration
	var ops [2]int
	for i := 0; b.Loop(); i++ {
		mode := (i / batch) % 2
		took[mode] += op(mode)
		ops[mode]++
	}
	if ops[0] == 0 || ops[1] == 0 {
		return
	}
	per := [2]float64{}
	for m := range per {
		per[m] = float64(took[m].Nanoseconds()) / float64(ops[m])
		b.ReportMetric(per[m], "ns/op-"+names[m])
	}
	b.ReportMetric(per[0]/per[1], names[0]+"/"+names[1])
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
