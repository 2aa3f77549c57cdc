package archive

import (
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// A prefetch holds the region in memory while it arrives: under a small
// budget (a 128 MB function) it is bounded by half the budget, not by
// prefetchMax alone.
func TestPrefetchLimit(t *testing.T) {
	for _, tc := range []struct {
		budget *squash.Budget
		want   int64
	}{
		{nil, prefetchMax},
		{squash.NewBudget(0), prefetchMax},
		{squash.NewBudget(42 << 20), 21 << 20},
		{squash.NewBudget(1 << 30), prefetchMax},
	} {
		if got := prefetchLimit(tc.budget); got != tc.want {
			t.Errorf("prefetchLimit(%v) = %d, want %d", tc.budget, got, tc.want)
		}
	}
	var p prefetch
	if p.start(t.Context(), nil, 0, 22<<20, prefetchLimit(squash.NewBudget(42<<20))) {
		t.Error("a 22 MiB region was prefetched under a 42 MiB budget")
	}
}
