package main

import (
	"fmt"
	"strings"
	"testing"
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
	var out strings.Builder
	r.throughputSection(func(f string, a ...any) { fmt.Fprintf(&out, f+"\n", a...) })
	for _, want := range []string{
		// unsquashfs 1.0 s over the stored archive's fastest function run, 0.4 s
		"| 1GiB | zstd | 1.00x | 1.00x | 0.50x | 0.50x | 2.50x |",
		// (0.2 s · 1024 − 1.0 s · 100) / 924: 113 ms for an empty file
		"| zstd | 113 ms |",
		// 1.5 s of unsquashfs over 2 + 1 s of function and harness
		"| 1GiB | zstd | 1.50 | 2.00 | 1.50 | 2.00 + 1.00 | 0.00 + 0.00 | 0.75x | 1.00x | 0.50x |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("section 3 lacks %q:\n%s", want, out.String())
		}
	}
}
