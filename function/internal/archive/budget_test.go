package archive_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// The budget test: 200 archives of 1,000 small text files each (about 1.5
// MB of decompressed fragment blocks per archive), all opened and every
// fourth file read (which touches every fragment block), in a child
// process whose peak RSS (VmHWM) is then checked.
const (
	budgetArchives = 200
	budgetStride   = 4
	budgetBytes    = 16 << 20
	// rssOverhead is what the child holds besides the budget: the Go
	// runtime and the test binary, the SDK, per-request buffers and the
	// garbage collector's headroom. It is fixed: it does not grow with
	// the number of archives.
	rssOverhead = 48 << 20
)

var budgetTree = func() fixture.Tree {
	t := fixture.Tree{Name: "budget-1k", Seed: 15}
	for i := range 1000 {
		t.Nodes = append(t.Nodes, fixture.Node{Path: fmt.Sprintf("d%02d/f%04d.txt", i/100, i), Size: int64(100 + i*29%2900), Text: true})
	}
	return t
}()

// TestMemoryBudget opens and reads 200 archives in a child process under a
// 16 MiB budget and checks its peak RSS. The same child without a budget
// (each archive's own 32 MiB cap, as before the budget) is run too, to show
// that the workload would exceed the bound: the check can fail.
func TestMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 200 archives in S3 and runs two child processes")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory use (RSS 163 MiB under a 16 MiB budget with it): run without -race")
	}
	path, _ := fixture.Build(t, fixture.Recipe{Tree: budgetTree, Tool: fixture.Mksquashfs, Compressor: "gzip", BlockSize: 128 << 10})
	srv := s3test.StartT(t, s3test.Options{})
	ctx := context.Background()
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	for i := range budgetArchives {
		if err := srv.PutFile(ctx, bucket, fmt.Sprintf("a%03d.sqfs", i), path, nil); err != nil {
			t.Fatal(err)
		}
	}
	run := func(budget int64) childReport {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBudgetChild$", "-test.v")
		cmd.Env = append(os.Environ(), srv.Env()...)
		cmd.Env = append(cmd.Env, "S3ARCHIVEFS_BUDGET_CHILD="+strconv.FormatInt(budget, 10), "S3ARCHIVEFS_BUDGET_CACHE="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child (budget %d): %v\n%s", budget, err, out)
		}
		for line := range strings.Lines(string(out)) {
			if rest, ok := strings.CutPrefix(line, "budget-report "); ok {
				var r childReport
				if err := json.Unmarshal([]byte(rest), &r); err != nil {
					t.Fatal(err)
				}
				return r
			}
		}
		t.Fatalf("child (budget %d) reported nothing:\n%s", budget, out)
		return childReport{}
	}
	with := run(budgetBytes)
	without := run(0)
	limit := int64(budgetBytes + rssOverhead)
	t.Logf("%d archives, %d files read: peak RSS %.1f MiB with a %d MiB budget (limit %.0f MiB, largest budget use %.1f MiB); %.1f MiB without a budget",
		with.Archives, with.Files, mib(with.PeakRSS), budgetBytes>>20, mib(limit), mib(with.MaxUsed), mib(without.PeakRSS))
	if want := budgetArchives * len(budgetTree.Nodes) / budgetStride; with.Archives != budgetArchives || with.Files != want {
		t.Errorf("child read %d files of %d archives, want %d of %d", with.Files, with.Archives, want, budgetArchives)
	}
	if with.MaxUsed > budgetBytes {
		t.Errorf("budget use peaked at %d bytes, over the budget of %d", with.MaxUsed, budgetBytes)
	}
	if with.PeakRSS > limit {
		t.Errorf("peak RSS %.1f MiB, over budget + overhead = %.0f MiB", mib(with.PeakRSS), mib(limit))
	}
	if without.PeakRSS <= limit {
		t.Errorf("without a budget the peak RSS is %.1f MiB, within the limit too: the workload does not test the budget", mib(without.PeakRSS))
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

type childReport struct {
	Archives, Files int
	PeakRSS         int64 // bytes, VmHWM
	MaxUsed         int64 // bytes, largest Budget.Used seen
}

// TestMemoryBudgetChild is the child of TestMemoryBudget; it does nothing
// in a normal run.
func TestMemoryBudgetChild(t *testing.T) {
	v := os.Getenv("S3ARCHIVEFS_BUDGET_CHILD")
	if v == "" {
		t.Skip("run by TestMemoryBudget")
	}
	budget, _ := strconv.ParseInt(v, 10, 64)
	ctx := context.Background()
	client, err := s3src.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := chunkcache.New(chunkcache.Config{Dir: os.Getenv("S3ARCHIVEFS_BUDGET_CACHE"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	opts := squash.Options{} // no budget: every archive its own 32 MiB
	var b *squash.Budget
	if budget > 0 {
		b = squash.NewBudget(budget)
		opts.Budget = b
	}
	set := &archive.Set{Max: 64, Revalidate: time.Hour, Opener: &archive.Opener{
		Cache:     cache,
		Source:    func(r archive.Ref) *s3src.Reader { return s3src.New(client, r.Bucket, r.Key) },
		TailBytes: 256 << 10,
		Squash:    opts,
		Logger:    slog.New(slog.DiscardHandler),
	}}
	var rep childReport
	buf := make([]byte, 64<<10)
	for i := range budgetArchives {
		a, err := set.Get(ctx, archive.Ref{Bucket: bucket, Key: fmt.Sprintf("a%03d.sqfs", i)})
		if err != nil {
			t.Fatal(err)
		}
		rep.Archives++
		fsys := a.Image(ctx)
		for i := 0; i < len(budgetTree.Nodes); i += budgetStride {
			n := budgetTree.Nodes[i]
			f, err := fsys.Open(n.Path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, io.NewSectionReader(f, 0, f.Size()), buf); err != nil {
				t.Fatal(err)
			}
			rep.Files++
		}
		if b != nil {
			rep.MaxUsed = max(rep.MaxUsed, b.Used())
		}
	}
	rep.PeakRSS = peakRSS(t)
	out, _ := json.Marshal(rep)
	fmt.Printf("budget-report %s\n", out)
}

// peakRSS reads VmHWM from /proc/self/status.
func peakRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
