// Command bench measures s3archivefs where it matters: S3 requests and
// bytes per GET against the minimum and the reference design, latency
// through the local Object Lambda endpoint with S3 latency injected,
// streaming throughput per compressor and engine against unsquashfs and
// rdsquashfs, listing cost, and the function's memory. Every figure is
// given next to a baseline measured in the same run, as a ratio.
//
//	go run ./test/bench -out docs/benchmarks.md -chart docs/benchmarks-s3-bytes.svg   (make bench)
//	go run ./test/bench -quick                                                         (make bench-quick)
//
// Workloads are generated once into the fixture cache
// ($S3ARCHIVEFS_FIXTURE_CACHE or the user cache directory, under bench/);
// the libsquashfs layer comes from -layer-zip ($S3ARCHIVEFS_LAYER_ZIP) or is
// built with layer/build.sh. It exits non-zero when any measurement cannot
// be taken or any GET returns wrong bytes. Run it from the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/s3archivefs/s3archivefs/test/fixture"
)

func main() {
	var (
		quick    = flag.Bool("quick", false, "small workloads (2,000 files, files up to 8 MiB), fewer runs: about a minute")
		out      = flag.String("out", "", "Markdown report to write (default: docs/benchmarks.md, or a temporary file with -quick)")
		chart    = flag.String("chart", "", "SVG chart of S3 bytes per cold GET (default: next to -out, benchmarks-s3-bytes.svg)")
		reps     = flag.Int("reps", 0, "runs of each GET and listing measurement (default 5, 3 with -quick)")
		sreps    = flag.Int("stream-reps", 0, "runs of each streaming measurement (default 5, 2 with -quick)")
		comps    = flag.String("compressors", strings.Join(Compressors, ","), "compressors of the single-file archives (comma-separated; zstd and gzip are required)")
		prepare  = flag.Bool("prepare", false, "only generate the workloads into the fixture cache, then exit")
		getsOnly = flag.Bool("gets-only", false, "measure only the GETs of sections 1 and 2 and print their figures, without writing the report (to iterate on the cold path)")
		layerZip = flag.String("layer-zip", os.Getenv("S3ARCHIVEFS_LAYER_ZIP"), "libsquashfs layer zip for this machine (default: build it with layer/build.sh)")
	)
	var vars varsFlag
	flag.BoolVar(&traceGets, "trace", false, "print the S3 requests of every cold GET: when each started and ended after the GET began, and its bytes")
	flag.Var(&vars, "var", "NAME=value passed to every function process, e.g. -var S3ARCHIVEFS_CACHE_CHUNK_SIZE=64Ki to measure another configuration (repeatable)")
	flag.Parse()
	Compressors = strings.Split(*comps, ",")
	if !slices.Contains(Compressors, "zstd") || !slices.Contains(Compressors, "gzip") {
		fmt.Fprintln(os.Stderr, "bench: -compressors must include zstd and gzip (the GETs use them)")
		os.Exit(2)
	}
	if *prepare {
		if err := prepareOnly(*quick); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*quick, *getsOnly, *out, *chart, *reps, *sreps, *layerZip, vars); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// varsFlag collects -var NAME=value.
type varsFlag []string

func (v *varsFlag) String() string { return strings.Join(*v, " ") }
func (v *varsFlag) Set(s string) error {
	if name, _, ok := strings.Cut(s, "="); !ok || !strings.HasPrefix(name, "S3ARCHIVEFS_") {
		return fmt.Errorf("want S3ARCHIVEFS_NAME=value, got %q", s)
	}
	*v = append(*v, s)
	return nil
}

func run(quick, getsOnly bool, out, chart string, reps, sreps int, layerZip string, vars []string) error {
	sizes, limit, defReps, defSreps := FullSizes, 40*time.Minute, 5, 5
	if quick {
		sizes, limit, defReps, defSreps = QuickSizes, 10*time.Minute, 3, 2
		if out == "" {
			out = filepath.Join(os.TempDir(), "s3archivefs-bench-quick", "benchmarks.md")
		}
	}
	if reps <= 0 {
		reps = defReps
	}
	if sreps <= 0 {
		sreps = defSreps
	}
	if out == "" {
		out = filepath.Join("docs", "benchmarks.md")
	}
	if chart == "" {
		chart = filepath.Join(filepath.Dir(out), "benchmarks-s3-bytes.svg")
	}
	if _, err := os.Stat("function/cmd/bootstrap"); err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	began := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench %6.1fs  %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	machine := describeMachine()

	fc, err := fixture.CacheDir()
	if err != nil {
		return err
	}
	cache := filepath.Join(fc, "bench")
	// Generating the workloads is done once into the fixture cache, and
	// the first time takes long (the 10,000,000-file pack alone about 20
	// minutes): the limit bounds the measurements only.
	w, err := Prepare(context.Background(), cache, sizes, logf)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	work, err := os.MkdirTemp("", "s3archivefs-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	e := &Env{W: w, Work: work, Log: logf, Vars: vars}
	logf("building the function and the CLI")
	if e.Bootstrap, err = buildCommand(ctx, work, "bootstrap"); err != nil {
		return err
	}
	if e.CLI, err = buildCommand(ctx, work, "s3archivefs"); err != nil {
		return err
	}
	if e.LayerLib, err = prepareLayer(ctx, cache, layerZip, work, logf); err != nil {
		return err
	}
	logf("starting S3 (versitygw) and uploading the archives")
	if err := setupS3(ctx, e, cache); err != nil {
		return err
	}
	defer e.Slow.Close()
	defer e.Fast.Close()

	r := &Report{Vars: vars, Quick: quick, Reps: reps, StreamReps: sreps, Machine: machine, Sizes: sizes, W: w}
	if r.Gets, err = measureGets(ctx, e, reps); err != nil {
		return fmt.Errorf("GETs: %w", err)
	}
	if getsOnly {
		r.Throughput = &Throughput{}
		fmt.Print(r.Headline())
		return nil
	}
	logf("listing")
	if r.Listing, err = measureListing(ctx, e, reps); err != nil {
		return fmt.Errorf("listing: %w", err)
	}
	if r.Throughput, err = measureThroughput(ctx, e, sreps); err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	if r.Fronts, err = measureFronts(ctx, e, reps); err != nil {
		return fmt.Errorf("fronts: %w", err)
	}
	logf("memory with %d concurrent GETs", Concurrency)
	if r.Memory, err = measureMemory(ctx, e); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	r.Elapsed = time.Since(began)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := writeChart(chart, r.Gets); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	r.ChartFile = relPath(filepath.Dir(out), chart)
	if err := os.WriteFile(out, []byte(r.Markdown()), 0o644); err != nil {
		return err
	}
	logf("wrote %s and %s", out, chart)
	fmt.Print(r.Headline())
	return nil
}

// prepareOnly generates the workloads of a run, so that a later run times
// only the measurements.
func prepareOnly(quick bool) error {
	sizes := FullSizes
	if quick {
		sizes = QuickSizes
	}
	fc, err := fixture.CacheDir()
	if err != nil {
		return err
	}
	began := time.Now()
	_, err = Prepare(context.Background(), filepath.Join(fc, "bench"), sizes, func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench %6.1fs  %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	})
	return err
}

func relPath(base, target string) string {
	if rel, err := filepath.Rel(base, target); err == nil {
		return rel
	}
	return target
}
