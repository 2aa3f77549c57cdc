package main

import (
	"context"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// Engines are the function's decompression engines.
var Engines = []string{"go", "native"}

// stored names the archive whose data blocks are stored uncompressed
// (mksquashfs -noD -noF): streamed like the others, it costs no
// decompression, so the function's rate on it is the ceiling that the
// transport (chunk cache, HTTP, the local endpoint, the client) leaves on
// this machine.
const stored = "stored"

// streamVariants are the single-file archives streamed: one per
// compressor, and the stored one.
func streamVariants() []string { return append(slices.Clone(Compressors), stored) }

// Stream is the throughput of one file of one archive: seconds per run for
// each reader.
type Stream struct {
	Comp string
	Size int64
	// Unsquashfs and Rdsquashfs are the native tools on the archive file;
	// CLI is `s3archivefs cat` on it per engine: the function's data path
	// without S3, HTTP or the endpoint.
	Unsquashfs, Rdsquashfs Samples
	CLI                    map[string]Samples
	// Func holds the function per engine, warm (chunks on local disk);
	// FuncCold is the go engine's first GET, chunks coming from S3.
	Func     map[string]Samples
	FuncCold float64
	// CPU is the processor time (user + system seconds) of the same runs:
	// "unsquashfs", "cat go", "cat native", and per engine "function go"
	// (the function process) and "harness go" (the local endpoint and
	// the client, which share the machine's cores with the function).
	CPU map[string]Samples
}

// MBps is the throughput in MB/s (10^6 bytes) of a run of s seconds.
func (st Stream) MBps(s float64) float64 {
	if s == 0 {
		return 0
	}
	return float64(st.Size) / 1e6 / s
}

// Throughput holds the streams and the peak memory of the function
// processes that served them.
type Throughput struct {
	Streams []*Stream
	// PeakRSS[comp][engine] is VmHWM of the process that streamed every
	// file of that archive (the largest last).
	PeakRSS map[string]map[string]int64
	// CheckCPU is the processor seconds per body byte that the bench's own
	// check of a GET (the CRC-32C in get) costs here: it is part of the
	// harness's figures, but no client needs it.
	CheckCPU float64
}

// stream returns the stream of the given archive and size, nil if none.
func (t *Throughput) stream(comp string, size int64) *Stream {
	for _, st := range t.Streams {
		if st.Comp == comp && st.Size == size {
			return st
		}
	}
	return nil
}

// decodeFloor names, per engine, the run whose processor time is the least
// a function with that engine must spend on a file: `unsquashfs -cat` for
// the native engine (the best decoder here, which also reads the archive
// and writes the output, as any design must), `s3archivefs cat --engine
// go` for the Go decoders (it only reads, decodes and writes).
var decodeFloor = map[string]string{"native": "unsquashfs", "go": "cat go"}

// floorBound is the best ratio to `unsquashfs -cat` that any function
// design with the engine could reach for st on these cores. When the cores
// are the limit, the function's wall time is at least its processor time
// and the harness's together over the cores; its own is at least the
// decode floor, the harness's at least what it spent forwarding the stored
// archive's file of the same size (nothing decoded; the lower of the
// engines' runs). ok is false when the run lacks one of these figures
// (no stored archive).
func (t *Throughput) floorBound(st *Stream, engine string, cores int) (bound float64, ok bool) {
	s := t.stream(stored, st.Size)
	if s == nil || cores <= 0 {
		return 0, false
	}
	var harness Samples // the medians of the engines that have runs
	for _, e := range Engines {
		if h := s.CPU["harness "+e]; len(h) > 0 {
			harness = append(harness, h.Median())
		}
	}
	decode := st.CPU[decodeFloor[engine]]
	if len(harness) == 0 || len(decode) == 0 || len(st.Unsquashfs) == 0 {
		return 0, false
	}
	forward := max(0, harness.Min()-t.CheckCPU*float64(st.Size))
	return float64(cores) * st.Unsquashfs.Median() / (decode.Median() + forward), true
}

// checkCPUPerByte measures what get's check of a body costs: the
// processor time of this thread checksumming as get does (256 KiB reads)
// until it has used at least minCPU, per byte. The thread's clock moves in
// ticks of a few milliseconds, so a short measurement would read 0.
func checkCPUPerByte(minCPU time.Duration) (float64, error) {
	runtime.LockOSThread() // RUSAGE_THREAD counts this thread only
	defer runtime.UnlockOSThread()
	buf := make([]byte, 256<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	t0, err := threadCPU()
	if err != nil {
		return 0, err
	}
	var n int64
	crc := uint32(0)
	for {
		for range 256 { // 64 MiB
			crc = crc32.Update(crc, castagnoli, buf)
		}
		n += 256 * int64(len(buf))
		t1, err := threadCPU()
		if err != nil {
			return 0, err
		}
		if used := t1 - t0; used >= minCPU.Seconds() {
			return used / float64(n), nil
		}
	}
}

// threadCPU is the processor seconds (user + system) the calling thread
// has used.
func threadCPU() (float64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds(), nil
}

// measureThroughput streams the two largest files of each archive through
// the function (go and native engines) and through unsquashfs -cat and
// rdsquashfs -c, reps times each, against S3 without injected latency.
func measureThroughput(ctx context.Context, e *Env, reps int) (*Throughput, error) {
	out := &Throughput{PeakRSS: map[string]map[string]int64{}}
	sizes := e.W.Sizes.Files[2:]
	for _, comp := range streamVariants() {
		archive := e.W.BigSqf[comp]
		streams := map[int64]*Stream{}
		for _, size := range sizes {
			st := &Stream{Comp: comp, Size: size, Func: map[string]Samples{}, CLI: map[string]Samples{}, CPU: map[string]Samples{}}
			streams[size] = st
			out.Streams = append(out.Streams, st)
			e.Log("streaming %s (%s) with unsquashfs, rdsquashfs and s3archivefs cat", FileName(size), comp)
			for range reps {
				d, cpu, err := runCmd(ctx, "unsquashfs", "-cat", archive, FileName(size))
				if err != nil {
					return nil, err
				}
				st.Unsquashfs = append(st.Unsquashfs, d)
				st.CPU["unsquashfs"] = append(st.CPU["unsquashfs"], cpu)
				if d, err = timeCmd(ctx, "rdsquashfs", "-c", FileName(size), archive); err != nil {
					return nil, err
				}
				st.Rdsquashfs = append(st.Rdsquashfs, d)
				for _, engine := range Engines {
					if d, cpu, err = runCmd(ctx, e.CLI, "cat", "--engine", engine, "--native-lib-dir", e.LayerLib, archive, FileName(size)); err != nil {
						return nil, err
					}
					st.CLI[engine] = append(st.CLI[engine], d)
					st.CPU["cat "+engine] = append(st.CPU["cat "+engine], cpu)
				}
			}
		}
		// One chunk cache per archive, shared by both engines' processes:
		// only the first GET of each file is cold.
		cache := filepath.Join(e.Work, "stream-"+comp)
		if err := os.Mkdir(cache, 0o755); err != nil {
			return nil, err
		}
		out.PeakRSS[comp] = map[string]int64{}
		for i, engine := range Engines {
			e.Log("streaming through the function (%s, %s engine)", comp, engine)
			rss, err := streamFunction(ctx, e, comp, engine, cache, reps, i == 0, streams)
			if err != nil {
				return nil, fmt.Errorf("%s, %s engine: %w", comp, engine, err)
			}
			out.PeakRSS[comp][engine] = rss
		}
		os.RemoveAll(cache)
	}
	e.Log("timing the bench's own check of a body (CRC-32C)")
	var err error
	if out.CheckCPU, err = checkCPUPerByte(200 * time.Millisecond); err != nil {
		return nil, err
	}
	return out, nil
}

func streamFunction(ctx context.Context, e *Env, comp, engine, cache string, reps int, cold bool, streams map[int64]*Stream) (int64, error) {
	f, err := e.startFunction(FuncOpts{S3: e.Fast, Engine: engine, CacheDir: cache})
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// Start the process and open the archive (one byte of another file),
	// so that the timed GETs measure streaming only.
	warm := FileName(e.W.Sizes.Files[0])
	want, err := truthOf(filepath.Join(e.W.BigDir, warm), Span{0, 1})
	if err != nil {
		return 0, err
	}
	if _, err := get(ctx, f.client, olaplocal.DefaultBucket, bigPrefix(comp)+"/"+warm, Span{0, 1}, want); err != nil {
		return 0, fmt.Errorf("%w (function output: %s)", err, f.output())
	}
	if err := f.idle(ctx); err != nil {
		return 0, err
	}
	for _, size := range e.W.Sizes.Files[2:] {
		st := streams[size]
		key := bigPrefix(comp) + "/" + FileName(size)
		want, err := truthOf(filepath.Join(e.W.BigDir, FileName(size)), Span{0, -1})
		if err != nil {
			return 0, err
		}
		if cold {
			t, err := get(ctx, f.client, olaplocal.DefaultBucket, key, Span{0, -1}, want)
			if err != nil {
				return 0, fmt.Errorf("%w (function output: %s)", err, f.output())
			}
			st.FuncCold = seconds(t.Total)
			if err := f.idle(ctx); err != nil {
				return 0, err
			}
		}
		for range reps {
			fn0, harness0, err := f.cpu()
			if err != nil {
				return 0, err
			}
			t, err := get(ctx, f.client, olaplocal.DefaultBucket, key, Span{0, -1}, want)
			if err != nil {
				return 0, fmt.Errorf("%w (function output: %s)", err, f.output())
			}
			if err := f.idle(ctx); err != nil {
				return 0, err
			}
			fn1, harness1, err := f.cpu()
			if err != nil {
				return 0, err
			}
			st.Func[engine] = append(st.Func[engine], seconds(t.Total))
			st.CPU["function "+engine] = append(st.CPU["function "+engine], fn1-fn0)
			st.CPU["harness "+engine] = append(st.CPU["harness "+engine], harness1-harness0)
		}
	}
	rss, err := f.PeakRSS()
	if err != nil {
		return 0, err
	}
	return rss[0], nil
}

// Memory is the function's peak RSS with concurrent GETs.
type Memory struct {
	Idle       int64   // a process that served one small GET
	Concurrent []int64 // each process of 16 serving one GET at once
	SpanBytes  int64   // bytes each concurrent GET read
	Total      float64 // seconds for the 16 GETs
}

// Concurrency is the number of simultaneous GETs of the memory test. Each
// Lambda execution environment serves one event at a time, so 16 GETs are
// 16 processes.
const Concurrency = 16

// measureMemory starts 16 function processes and has each stream a
// different part of the largest file at the same time.
func measureMemory(ctx context.Context, e *Env) (*Memory, error) {
	m := &Memory{}
	small := SmallFilePath(0)
	want, err := truthOf(filepath.Join(e.W.FilesDir, small), Span{0, 1})
	if err != nil {
		return nil, err
	}
	f, err := e.startFunction(FuncOpts{S3: e.Fast, Engine: "go"})
	if err != nil {
		return nil, err
	}
	_, err = get(ctx, f.client, olaplocal.DefaultBucket, filesPrefix+"/"+small, Span{0, 1}, want)
	var rss []int64
	if err == nil {
		rss, err = f.PeakRSS()
	}
	f.Close()
	os.RemoveAll(f.cache)
	if err != nil {
		return nil, err
	}
	m.Idle = rss[0]

	huge := e.W.Sizes.Files[3]
	m.SpanBytes = min(huge/Concurrency, 16<<20)
	f, err = e.startFunction(FuncOpts{S3: e.Fast, Engine: "go", Instances: Concurrency})
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(f.cache)
	defer f.Close()
	src := filepath.Join(e.W.BigDir, FileName(huge))
	errs := make([]error, Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range Concurrency {
		wg.Go(func() {
			sp := Span{int64(i) * (huge / Concurrency), m.SpanBytes}
			want, err := truthOf(src, sp)
			if err == nil {
				_, err = get(ctx, f.client, olaplocal.DefaultBucket, bigPrefix("zstd")+"/"+FileName(huge), sp, want)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	m.Total = time.Since(start).Seconds()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%w (function output: %s)", err, f.output())
		}
	}
	if m.Concurrent, err = f.PeakRSS(); err != nil {
		return nil, err
	}
	if len(m.Concurrent) != Concurrency {
		return nil, fmt.Errorf("%d function processes served %d concurrent GETs, want %d", len(m.Concurrent), Concurrency, Concurrency)
	}
	return m, nil
}

// timeCmd runs a command with its output discarded and returns how long
// it took in seconds.
func timeCmd(ctx context.Context, name string, args ...string) (float64, error) {
	wall, _, err := runCmd(ctx, name, args...)
	return wall, err
}

// runCmd runs a command with its output discarded and returns how long it
// took and the processor time it used (user + system), in seconds.
func runCmd(ctx context.Context, name string, args ...string) (wall, cpu float64, err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, err
	}
	defer devnull.Close()
	var stderr lockedWriter
	stderr.w = &limited{max: 4096}
	cmd.Stdout, cmd.Stderr = devnull, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%s %v: %w: %s", name, args, err, stderr.w.(*limited).b)
	}
	wall = time.Since(start).Seconds()
	ps := cmd.ProcessState
	return wall, (ps.UserTime() + ps.SystemTime()).Seconds(), nil
}

// cpu returns the processor seconds (user + system) used so far by the
// function processes and by this process, which runs the local endpoint
// and the client.
func (f *Function) cpu() (function, harness float64, err error) {
	for _, pid := range f.pids.list() {
		s, err := procCPU(pid)
		if err != nil {
			return 0, 0, fmt.Errorf("function process %d: %w", pid, err)
		}
		function += s
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, err
	}
	harness = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return function, harness, nil
}

// clockTicks is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on
// Linux).
const clockTicks = 100

// procCPU reads a process's user and system time from /proc/<pid>/stat.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces and parentheses:
	// fields count from after the last ")" (utime and stime are fields 14
	// and 15).
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	return float64(utime+stime) / clockTicks, nil
}

// limited keeps the first max bytes written to it.
type limited struct {
	max int
	b   []byte
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
