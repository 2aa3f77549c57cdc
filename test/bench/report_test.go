package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestStreamingReport renders section 3 from made-up runs and checks the
// derived figures: the transport ceiling (unsquashfs over the function on
// the stored archive), the fixed cost (the intercept of time against
// size) and the processor-time bound.
func TestStreamingReport(t *testing.T) {
	const mib, gib = 100 << 20, 1 << 30
	zstd100 := &Stream{Comp: "zstd", Size: mib,
		Unsquashfs: Samples{0.2}, CLI: map[string]Samples{"go": {0.25}, "native": {0.2}},
		Func: map[string]Samples{"go": {0.3}, "native": {0.3}}, CPU: map[string]Samples{}}
	zstd1g := &Stream{Comp: "zstd", Size: gib,
		Unsquashfs: Samples{1.1, 1.0, 0.9}, CLI: map[string]Samples{"go": {1}, "native": {1}},
		Func: map[string]Samples{"go": {2}, "native": {2}},
		CPU:  map[string]Samples{"unsquashfs": {1.5}, "cat go": {2}, "cat native": {1.5}, "function go": {2}, "harness go": {1}}}
	stored1g := &Stream{Comp: stored, Size: gib, CLI: map[string]Samples{},
		Func: map[string]Samples{"go": {0.5}, "native": {0.4}}, CPU: map[string]Samples{}}
	r := &Report{Sizes: Sizes{Files: []int64{1 << 20, 10 << 20, mib, gib}}, Machine: Machine{CPUs: 2},
		Throughput: &Throughput{Streams: []*Stream{zstd100, zstd1g, stored1g}}}
	out := section3(r)
	wantIn(t, "section 3", out,
		// unsquashfs 1.0 s over the stored archive's fastest function run, 0.4 s
		"| 1GiB | zstd | 1.00x | 1.00x | 0.50x | 0.50x | 2.50x |",
		// (0.2 s · 1024 − 1.0 s · 100) / 924: 113 ms for an empty file
		"| zstd | 113 ms |",
		// 1.5 s of unsquashfs over 2 + 1 s of function and harness
		"| 1GiB | zstd | 1.50 | 2.00 | 1.50 | 2.00 + 1.00 | 0.00 + 0.00 | 0.75x | 1.00x | 0.50x |",
	)
}

// TestFloorBound checks the floor bound on hand-made medians: cores ×
// unsquashfs's wall time over the engine's decode floor (unsquashfs's
// processor time for native, cat go's for go) plus the harness's processor
// time on the stored file of the same size, the lower of the two engines'.
func TestFloorBound(t *testing.T) {
	const mib, gib = 100 << 20, 1 << 30
	cpu := func(unsquashfs, catGo float64) map[string]Samples {
		return map[string]Samples{"unsquashfs": {unsquashfs}, "cat go": {catGo}}
	}
	zstd1g := &Stream{Comp: "zstd", Size: gib, Unsquashfs: Samples{0.5}, CPU: cpu(1.0, 2.5),
		Func: map[string]Samples{"go": {1.0}, "native": {0.625}}}
	// Processor time 3.5 s, not 2 × 2.0 s: a formula on unsquashfs's
	// processor time instead of its wall time would give 0.88x, not 1.00x.
	xz1g := &Stream{Comp: "xz", Size: gib, Unsquashfs: Samples{2.2, 1.8, 2.0}, CPU: cpu(3.5, 6.0),
		Func: map[string]Samples{"go": {4.0}, "native": {2.5}}}
	zstd100 := &Stream{Comp: "zstd", Size: mib, Unsquashfs: Samples{0.1}, CPU: cpu(0.15, 0.25)}
	stored1g := &Stream{Comp: stored, Size: gib, Unsquashfs: Samples{0.3},
		CPU: map[string]Samples{"harness go": {0.6, 0.4, 0.5}, "harness native": {0.9}}}
	stored100 := &Stream{Comp: stored, Size: mib, Unsquashfs: Samples{0.03},
		CPU: map[string]Samples{"harness native": {0.05}}}
	r := &Report{Sizes: Sizes{Files: []int64{1 << 20, 10 << 20, mib, gib}}, Machine: Machine{CPUs: 2},
		Throughput: &Throughput{Streams: []*Stream{zstd100, zstd1g, xz1g, stored100, stored1g}}}
	out := section3(r)
	_, floor, found := strings.Cut(out, "| file | archive | floor bound function go | floor bound function native |")
	if !found {
		t.Fatalf("section 3 has no floor bound table:\n%s", out)
	}
	wantIn(t, "floor bound table", floor,
		// 2 × 0.5 s over 2.5 s (cat go) + 0.5 s, and over 1.0 s (unsquashfs) + 0.5 s
		"| 1GiB | zstd | 0.33x (target unreachable here) | 0.67x (target unreachable here) |",
		// 2 × 2.0 s over 6.0 + 0.5 s, and over 3.5 + 0.5 s
		"| 1GiB | xz | 0.62x (target unreachable here) | 1.00x |",
		// the stored 100MiB file's harness, 0.05 s, not the 1GiB one's
		"| 100MiB | zstd | 0.67x (target unreachable here) | 1.00x |",
	)
	if strings.Contains(floor, "| "+stored+" |") {
		t.Errorf("floor bound table has a stored row:\n%s", floor)
	}
	head := r.Headline()
	wantIn(t, "headline", head,
		"the function 0.50x (go; floor bound 0.33x, target unreachable here), 0.80x (native; floor bound 0.67x, target unreachable here).",
		"the function 0.50x (go; floor bound 0.62x, target unreachable here), 0.80x (native; floor bound 1.00x).",
	)
}

// TestFmtFloor checks that a floor bound is judged against the target as
// printed: one that prints as the target does not leave it out of reach.
func TestFmtFloor(t *testing.T) {
	for _, c := range []struct {
		bound float64
		want  string
	}{{0.7497, "0.75x"}, {0.7449, "0.74x (target unreachable here)"}, {0.8, "0.80x"}} {
		if got := fmtFloor(c.bound, true); got != c.want {
			t.Errorf("fmtFloor(%g) = %q, want %q", c.bound, got, c.want)
		}
	}
	if got := fmtFloor(0, false); got != "—" {
		t.Errorf("fmtFloor without figures = %q, want —", got)
	}
}

// TestFloorBoundWithoutStored checks that a run without the stored archive
// leaves the floor bounds out instead of dividing by a missing figure.
func TestFloorBoundWithoutStored(t *testing.T) {
	const gib = 1 << 30
	zstd1g := &Stream{Comp: "zstd", Size: gib, Unsquashfs: Samples{0.5},
		CPU:  map[string]Samples{"unsquashfs": {1.0}, "cat go": {2.5}, "function go": {2}, "harness go": {1}},
		Func: map[string]Samples{"go": {1.0}, "native": {0.625}}}
	r := &Report{Sizes: Sizes{Files: []int64{1 << 20, 10 << 20, 100 << 20, gib}}, Machine: Machine{CPUs: 2},
		Throughput: &Throughput{Streams: []*Stream{zstd1g}}}
	out := section3(r)
	wantIn(t, "section 3", out, "| 1GiB | zstd | — | — |")
	head := r.Headline()
	wantIn(t, "headline", head, "the function 0.50x (go), 0.80x (native).")
	for _, bad := range []string{"floor bound", "NaN", "Inf"} {
		if strings.Contains(head, bad) {
			t.Errorf("headline has %q without a stored archive:\n%s", bad, head)
		}
	}
}

// TestFloorBoundLessCheck checks that the floor bound takes the bench's
// own check of the body off the stored harness's figure, and says so.
func TestFloorBoundLessCheck(t *testing.T) {
	const gib = 1 << 30
	zstd1g := &Stream{Comp: "zstd", Size: gib, Unsquashfs: Samples{0.5},
		CPU: map[string]Samples{"unsquashfs": {1.0}, "cat go": {2.5}}}
	stored1g := &Stream{Comp: stored, Size: gib,
		CPU: map[string]Samples{"harness go": {0.8}, "harness native": {0.7}}}
	r := &Report{Sizes: Sizes{Files: []int64{1 << 20, 10 << 20, 100 << 20, gib}}, Machine: Machine{CPUs: 2},
		Throughput: &Throughput{Streams: []*Stream{zstd1g, stored1g}, CheckCPU: 0.2 / gib}}
	out := section3(r)
	wantIn(t, "section 3", out,
		// 2 × 0.5 s over 2.5 s + (0.7 − 0.2) s, and over 1.0 s + (0.7 − 0.2) s
		"| 1GiB | zstd | 0.33x (target unreachable here) | 0.67x (target unreachable here) |",
		"CRC-32C, 0.20 s per GiB here",
	)
}

// TestCheckCPUPerByte checks that the check's cost comes out per byte, at
// a rate CRC-32C can have (between 100 MB/s and 100 GB/s).
func TestCheckCPUPerByte(t *testing.T) {
	s, err := checkCPUPerByte(50 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if s <= 0 || 1/s < 1e8 || 1/s > 1e11 {
		t.Fatalf("CRC-32C costs %g s per byte (%.3g GB/s)", s, 1/s/1e9)
	}
	t.Logf("CRC-32C: %.3g GB/s of one core, %.3f s per GiB", 1/s/1e9, s*(1<<30))
}

// section3 renders the streaming section of r.
func section3(r *Report) string {
	var b strings.Builder
	r.throughputSection(func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) })
	return b.String()
}

// wantIn reports each of wants that text (named what) lacks.
func wantIn(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}
