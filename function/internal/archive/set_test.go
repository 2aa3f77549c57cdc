package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// messages counts the log lines by message.
func (b *logBuffer) messages(t *testing.T) map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for line := range strings.Lines(b.buf.String()) {
		var m struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out[m.Msg]++
	}
	return out
}

// Permanent failures (not squashfs, too small to hold a superblock,
// missing) are remembered for the revalidation interval and logged once
// per open; a transient one (S3 unavailable after every retry) is not
// remembered, and is not ErrNotSquashfs (which a client would be told
// not to retry).
func TestOpenFailures(t *testing.T) {
	srv := s3test.StartT(t, s3test.Options{})
	dir := t.TempDir()
	if err := srv.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"junk.sqfs":  bytes.Repeat([]byte("not squashfs "), 1000),
		"empty.sqfs": nil,
		"tiny.sqfs":  []byte("hsqs"),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := srv.PutFile(context.Background(), bucket, name, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	var logs logBuffer
	o := newStack(t, srv, t.TempDir())
	o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	o.Source = func(r archive.Ref) *s3src.Reader {
		return s3src.New(srv.Client(), r.Bucket, r.Key, s3src.WithRetry(3, time.Millisecond, time.Millisecond))
	}
	set := &archive.Set{Opener: o, Max: 8, Revalidate: time.Minute, Now: func() time.Time { return now }}

	for _, tc := range []struct {
		key  string
		want error
	}{
		{"junk.sqfs", archive.ErrNotSquashfs},
		{"empty.sqfs", archive.ErrNotSquashfs},
		{"tiny.sqfs", archive.ErrNotSquashfs},
		{"missing.sqfs", s3src.ErrNotFound},
	} {
		t.Run(tc.key, func(t *testing.T) {
			ref := archive.Ref{Bucket: bucket, Key: tc.key}
			srv.ResetStats()
			for i := range 3 {
				if _, err := set.Get(ctx, ref); !errors.Is(err, tc.want) || !errors.Is(err, archive.ErrLogged) {
					t.Fatalf("Get %d: %v, want %v, marked ErrLogged", i, err, tc.want)
				}
			}
			if n := opens(srv.Stats()); n > 1 {
				t.Errorf("%d opens for 3 Gets: the failure was not remembered", n)
			}
			now = now.Add(2 * time.Minute)
			if _, err := set.Get(ctx, ref); !errors.Is(err, tc.want) {
				t.Fatalf("Get after the interval: %v, want %v", err, tc.want)
			}
			if n := opens(srv.Stats()); n != 2 {
				t.Errorf("%d opens in all, want 2: after the interval the archive was not opened again", n)
			}
		})
	}
	if got := logs.messages(t)["archive cannot be read"]; got != 8 {
		t.Errorf("%d log lines for 8 failed opens (4 archives, twice each), want one per open", got)
	}

	t.Run("revalidate 0", func(t *testing.T) {
		now = now.Add(2 * time.Minute)
		every := &archive.Set{Opener: o, Max: 8, Now: func() time.Time { return now }}
		ref := archive.Ref{Bucket: bucket, Key: "junk.sqfs"}
		for i := range 2 {
			srv.ResetStats()
			if _, err := every.Get(ctx, ref); !errors.Is(err, archive.ErrNotSquashfs) {
				t.Fatalf("Get %d: %v", i, err)
			}
			if n := opens(srv.Stats()); n != 1 {
				t.Errorf("Get %d: %d opens, want one each time", i, n)
			}
			now = now.Add(time.Millisecond)
		}
	})

	t.Run("transient", func(t *testing.T) {
		ref := archive.Ref{Bucket: bucket, Key: "junk.sqfs"}
		now = now.Add(2 * time.Minute)
		srv.InjectFaults(s3test.Fault{Kind: s3test.SlowDown, Method: "GET", Times: 1000})
		defer srv.InjectFaults()
		_, err := set.Get(ctx, ref)
		if err == nil || errors.Is(err, archive.ErrNotSquashfs) {
			t.Fatalf("S3 unavailable: %v, want a transient error, not ErrNotSquashfs", err)
		}
		srv.ResetStats()
		set.Get(ctx, ref)
		if srv.Stats().Total() == 0 {
			t.Error("a transient failure was remembered")
		}
	})
}

// TestSetEvictsUnderLoad: many readers over more archives than the Set
// keeps open, under a budget smaller than their tails: archives are closed
// while requests still read them, and every byte read is still right (run
// with -race).
func TestSetEvictsUnderLoad(t *testing.T) {
	path, src := fixture.Build(t, fixture.Small)
	srv := s3test.StartT(t, s3test.Options{})
	ctx := context.Background()
	if err := srv.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	const archives = 12
	for i := range archives {
		if err := srv.PutFile(ctx, bucket, fmt.Sprintf("a%02d.sqfs", i), path, nil); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{"hello.txt", "docs/readme.md", "docs/notes.txt", "bin/blob.bin"}
	want := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		want[f] = b
	}
	o := newStack(t, srv, t.TempDir())
	budget := squash.NewBudget(1 << 20) // less than four archives' tails
	o.Squash.Budget = budget
	set := &archive.Set{Opener: o, Max: 4, Revalidate: time.Hour}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				ref := archive.Ref{Bucket: bucket, Key: fmt.Sprintf("a%02d.sqfs", (g*7+i)%archives)}
				a, err := set.Get(ctx, ref)
				if err != nil {
					errs <- err
					return
				}
				name := files[(g+i)%len(files)]
				f, err := a.Image(ctx).Open(name)
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
				if err != nil || !bytes.Equal(got, want[name]) {
					errs <- fmt.Errorf("%s %s: err %v, equal %v", ref, name, err, bytes.Equal(got, want[name]))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := budget.Pinned(); p > budget.Max() {
		t.Errorf("open archives pin %d bytes after the run, over the budget of %d", p, budget.Max())
	}
}

// opens counts the archive opens S3 saw: their head GETs. An open's tail
// GET runs beside the head and is cancelled when the head fails, so it
// may reach S3 or not, and late: counting all requests would count it in
// whichever check came next.
func opens(st s3test.Stats) int {
	n := 0
	for _, sp := range st.Spans {
		if strings.Contains(sp.Request, "bytes=0-") {
			n++
		}
	}
	return n
}
