package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// GetCase is one of the GETs measured for traffic and latency.
type GetCase struct {
	Name    string
	Key     string // under the endpoint's bucket
	Archive string // the archive on disk
	Path    string // inside the archive
	Source  string // the generated file: ground truth
	Span    Span
	RawKey  string // the same bytes as a plain object: the latency baseline
	RawSpan Span
	RawSrc  string // the plain object's source file
	// Shared: also measure a second process on the first one's chunk
	// cache (a cold instance on a warm EFS cache).
	Shared bool
	truth  Truth
}

// getCases are the three GETs of the issue: a small file of the
// many-files archive, a 10 MiB file, a 1 MiB range in the middle of the
// 1 GiB file.
func getCases(w *Workloads) ([]GetCase, error) {
	mid := SmallFilePath(middleSmallFile(w.Sizes))
	medium, huge := w.Sizes.Files[1], w.Sizes.Files[3]
	zstd := w.BigSqf["zstd"]
	cs := []GetCase{
		{Name: fmt.Sprintf("small file (1 of %d)", w.Sizes.SmallFiles), Key: filesPrefix + "/" + mid,
			Archive: w.FilesSqf, Path: mid, Source: filepath.Join(w.FilesDir, mid), Span: Span{0, -1},
			RawKey: rawKey(smallRawName(w.Sizes)), RawSpan: Span{0, -1}, RawSrc: filepath.Join(w.FilesDir, mid), Shared: true},
	}
	for _, n := range w.Sizes.HugeFiles {
		path := HugeFilePath(middleHugeFile(n))
		src := filepath.Join(w.HugeSrc, HugeSource(middleHugeFile(n)))
		cs = append(cs, GetCase{Name: fmt.Sprintf("small file (1 of %d)", n), Key: hugePrefix(n) + "/" + path,
			Archive: w.HugeSqf[n], Path: path, Source: src, Span: Span{0, -1},
			RawKey: rawKey(hugeRawName(n)), RawSpan: Span{0, -1}, RawSrc: src, Shared: true})
	}
	cs = append(cs, []GetCase{
		{Name: humanSize(medium) + " file", Key: bigPrefix("zstd") + "/" + FileName(medium),
			Archive: zstd, Path: FileName(medium), Source: filepath.Join(w.BigDir, FileName(medium)), Span: Span{0, -1},
			RawKey: rawKey(FileName(medium)), RawSpan: Span{0, -1}, RawSrc: filepath.Join(w.BigDir, FileName(medium))},
		{Name: "1 MiB range in the middle of the " + humanSize(huge) + " file", Key: bigPrefix("zstd") + "/" + FileName(huge),
			Archive: zstd, Path: FileName(huge), Source: filepath.Join(w.BigDir, FileName(huge)),
			// Not block-aligned, as a client's range rarely is.
			Span:   Span{huge/2 + 100_000, 1 << 20},
			RawKey: rawKey(FileName(medium)), RawSpan: Span{0, 1 << 20}, RawSrc: filepath.Join(w.BigDir, FileName(medium))},
	}...)
	for i := range cs {
		var err error
		if cs[i].truth, err = truthOf(cs[i].Source, cs[i].Span); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// Traffic is what one GET cost at S3: requests, body bytes and sequential
// round trips (see s3test.Stats.Rounds).
type Traffic struct{ Requests, Bytes, Rounds int64 }

// GetResult holds every measurement of one GetCase.
type GetResult struct {
	Case                   GetCase
	Cold, Warm             []Traffic
	ColdTTFB, ColdTotal    Samples
	WarmTTFB, WarmTotal    Samples
	DirectTTFB, DirectTime Samples // a plain GET of the same bytes from S3
	Min                    Minimum
	Ref                    Reference
	RefExtract             Samples // rdsquashfs -c of the whole file (libsquashfs, as the reference)
	Start                  Samples // the process's first GET (1 byte of another archive): start, init, open
	// A second process on the first one's chunk cache directory (Shared
	// cases): its S3 traffic and time to first byte.
	SharedTraffic []Traffic
	SharedTTFB    Samples
}

// RefTTFB models the reference's time to first byte with the injected S3
// behaviour: its GETs one after the other, each the latency plus its body
// at the bandwidth, then the whole file's extraction.
func (r GetResult) RefTTFB() float64 {
	t := r.RefExtract.Min()
	for _, n := range r.Ref.GETs {
		t += s3Latency.Seconds() + float64(n)/s3BPS
	}
	return t + s3Latency.Seconds() // the HEAD
}

// Floor is the least time to first byte of a cold GET making the
// sequential round trips it made: each at least a direct GET's TTFB.
func (r GetResult) Floor() float64 {
	return float64(maxRounds(r.Cold)) * r.DirectTTFB.Median()
}

// measureGets runs each case reps times: a new function process with an
// empty chunk cache (cold), then the same GET again (warm), through the
// local Object Lambda endpoint against S3 with injected latency.
func measureGets(ctx context.Context, e *Env, reps int) ([]GetResult, error) {
	cases, err := getCases(e.W)
	if err != nil {
		return nil, err
	}
	var out []GetResult
	for _, c := range cases {
		e.Log("GET %s", c.Name)
		r := GetResult{Case: c}
		if r.Min, err = minimumFor(c.Archive, c.Path, c.Span); err != nil {
			return nil, fmt.Errorf("minimum for %s: %w", c.Name, err)
		}
		if r.Ref, err = referenceFor(c); err != nil {
			return nil, fmt.Errorf("reference for %s: %w", c.Name, err)
		}
		for range reps {
			d, err := timeCmd(ctx, "rdsquashfs", "-c", c.Path, c.Archive)
			if err != nil {
				return nil, err
			}
			r.RefExtract = append(r.RefExtract, d)
		}
		rawTruth, err := truthOf(c.RawSrc, c.RawSpan)
		if err != nil {
			return nil, err
		}
		for range reps {
			t, err := get(ctx, e.Slow.Client(), archiveBucket, c.RawKey, c.RawSpan, rawTruth)
			if err != nil {
				return nil, fmt.Errorf("direct baseline: %w", err)
			}
			r.DirectTTFB = append(r.DirectTTFB, seconds(t.TTFB))
			r.DirectTime = append(r.DirectTime, seconds(t.Total))
		}
		for range reps {
			if err := r.coldWarm(ctx, e); err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name, err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func (r *GetResult) coldWarm(ctx context.Context, e *Env) error {
	f, err := e.startFunction(FuncOpts{S3: e.Slow, Engine: "go"})
	if err != nil {
		return err
	}
	defer f.Close()
	defer os.RemoveAll(f.cache)
	t, err := startProcess(ctx, e, f)
	if err != nil {
		return err
	}
	r.Start = append(r.Start, seconds(t.Total))
	for _, warm := range []bool{false, true} {
		tr, t, err := e.measuredGet(ctx, f, r.Case)
		if err != nil {
			return err
		}
		// A cold GET must fetch at least every byte it needs: fewer means
		// the counting or the minimum is wrong, and the tables would lie.
		if !warm && tr.Bytes < r.Min.Bytes {
			return fmt.Errorf("cold GET counted %d bytes from S3, less than the minimum %d", tr.Bytes, r.Min.Bytes)
		}
		if warm {
			r.Warm = append(r.Warm, tr)
			r.WarmTTFB, r.WarmTotal = append(r.WarmTTFB, seconds(t.TTFB)), append(r.WarmTotal, seconds(t.Total))
		} else {
			r.Cold = append(r.Cold, tr)
			r.ColdTTFB, r.ColdTotal = append(r.ColdTTFB, seconds(t.TTFB)), append(r.ColdTotal, seconds(t.Total))
		}
	}
	if !r.Case.Shared {
		return nil
	}
	// A cold instance on the warm shared cache: another process, the same
	// cache directory.
	g, err := e.startFunction(FuncOpts{S3: e.Slow, Engine: "go", CacheDir: f.cache})
	if err != nil {
		return err
	}
	defer g.Close()
	if _, err := startProcess(ctx, e, g); err != nil {
		return err
	}
	tr, t, err := e.measuredGet(ctx, g, r.Case)
	if err != nil {
		return err
	}
	r.SharedTraffic = append(r.SharedTraffic, tr)
	r.SharedTTFB = append(r.SharedTTFB, seconds(t.TTFB))
	return nil
}

// startProcess starts f's function process with a GET from another archive:
// a cold GET then measures an archive not yet open and an empty chunk
// cache, not the process start, which the reference's model leaves out too.
func startProcess(ctx context.Context, e *Env, f *Function) (Timing, error) {
	other := FileName(e.W.Sizes.Files[0])
	want, err := truthOf(filepath.Join(e.W.BigDir, other), Span{0, 1})
	if err != nil {
		return Timing{}, err
	}
	t, err := get(ctx, f.client, olaplocal.DefaultBucket, bigPrefix("gzip")+"/"+other, Span{0, 1}, want)
	if err != nil {
		return t, fmt.Errorf("%w (function output: %s)", err, f.output())
	}
	// Its background fetches end before anything is counted.
	if err := e.quiesce(ctx); err != nil {
		return t, err
	}
	return t, f.idle(ctx)
}

// measuredGet makes the case's GET through f and returns what it cost at
// S3, counting the background fetches it started (a metadata prefetch)
// until S3 is idle again.
func (e *Env) measuredGet(ctx context.Context, f *Function, c GetCase) (Traffic, Timing, error) {
	e.Slow.ResetStats()
	began := time.Now()
	t, err := get(ctx, f.client, olaplocal.DefaultBucket, c.Key, c.Span, c.truth)
	if err != nil {
		return Traffic{}, t, fmt.Errorf("%w (function output: %s)", err, f.output())
	}
	if err := e.quiesce(ctx); err != nil {
		return Traffic{}, t, err
	}
	if err := f.idle(ctx); err != nil {
		return Traffic{}, t, err
	}
	st := e.Slow.Stats()
	if traceGets {
		e.Log("%s: began at %d µs (Unix), first byte after %s, body after %s; its S3 requests:\n%s", c.Name, began.UnixMicro(), fmtDur(seconds(t.TTFB)), fmtDur(seconds(t.Total)), traceOf(st.Spans, began))
		e.Log("function output:\n%s", f.output())
	}
	return Traffic{Requests: st.Total(), Bytes: st.BodyBytes, Rounds: int64(st.Rounds())}, t, nil
}

// quiesce waits until the slow S3 server has had no request in flight for
// a while (three injected latencies).
func (e *Env) quiesce(ctx context.Context) error {
	idleSince := time.Time{}
	for {
		if e.Slow.Stats().Active == 0 {
			if idleSince.IsZero() {
				idleSince = time.Now()
			}
			if time.Since(idleSince) >= 3*s3Latency {
				return nil
			}
		} else {
			idleSince = time.Time{}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// referenceFor computes the reference design's cold traffic for a case:
// it extracts the whole file whatever the range.
func referenceFor(c GetCase) (Reference, error) {
	blocks, err := dataBlocks(c.Archive, c.Path)
	if err != nil {
		return Reference{}, err
	}
	f, err := os.Open(c.Archive)
	if err != nil {
		return Reference{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Reference{}, err
	}
	info, err := superblockOf(f)
	if err != nil {
		return Reference{}, err
	}
	return referenceCold(fi.Size(), info.InodeTableStart, info.BlockSize, blocks), nil
}

// medianTraffic is the median of a traffic series (they rarely differ:
// requests are deterministic, bytes too unless a read races a prefetch).
func medianTraffic(ts []Traffic) (req, bytes float64) {
	var r, b Samples
	for _, t := range ts {
		r, b = append(r, float64(t.Requests)), append(b, float64(t.Bytes))
	}
	return r.Median(), b.Median()
}

// maxRounds is the most sequential round trips of a traffic series.
func maxRounds(ts []Traffic) int64 {
	var m int64
	for _, t := range ts {
		m = max(m, t.Rounds)
	}
	return m
}

// traceGets is set by -trace.
var traceGets bool

// traceOf lists spans by start, in milliseconds after began.
func traceOf(spans []s3test.Span, began time.Time) string {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b s3test.Span) int { return a.Start.Compare(b.Start) })
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "    %7.1f ms .. %7.1f ms  %8d B  %s\n",
			seconds(s.Start.Sub(began))*1e3, seconds(s.End.Sub(began))*1e3, s.Bytes, s.Request)
	}
	return b.String()
}
