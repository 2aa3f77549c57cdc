package chunkcache

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// TestSettle holds back every disk write and the first insert's scan,
// and starts each kind of work that writes: Settle waits for the writes
// (until its context ends), not for the scan, and once it returns every
// chunk or record is on disk.
func TestSettle(t *testing.T) {
	const chunk = 4096
	work := map[string]struct {
		start func(t *testing.T, e *env, o *View, d *Derived)
		files int
	}{
		"a read's fetch": {func(t *testing.T, e *env, o *View, _ *Derived) {
			readIn(t, 10*time.Second, o, e.data, 100, 3*chunk)
		}, 4},
		"a prefetch": {func(t *testing.T, e *env, o *View, _ *Derived) {
			o.Prefetch(context.Background(), 0, 6*chunk, 2)
		}, 6},
		"stored bytes": {func(t *testing.T, e *env, o *View, _ *Derived) {
			if err := o.Store(2*chunk, e.data[2*chunk:5*chunk]); err != nil {
				t.Fatal(err)
			}
		}, 3},
		"a derived record": {func(t *testing.T, e *env, _ *View, d *Derived) {
			d.Store(7, e.data[:100])
		}, 1},
	}
	for name, w := range work {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, s3test.Options{}, 16*chunk)
			c := newCache(t, Config{Dir: t.TempDir()})
			idle, cancel := context.WithCancel(context.Background())
			cancel()
			if err := c.Settle(idle); err != nil {
				t.Fatalf("Settle of an idle cache: %v, want nil at once", err)
			}
			writes, scan := newGate(t), newGate(t)
			c.hooks.write, c.hooks.scan = writes.wait, scan.wait
			o := e.object(c, chunk)
			w.start(t, e, o, c.Derived(Identity{bucket, e.key, e.info.ETag}, "rec"))
			short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			if err := c.Settle(short); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Settle with the writes held: %v, want context.DeadlineExceeded", err)
			}
			writes.open()
			long, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Settle(long); err != nil {
				t.Fatalf("Settle with the writes free and the scan held: %v, want nil", err)
			}
			if n := len(files(t, c.root)); n != w.files {
				t.Errorf("%d files on disk when Settle returned, want %d", n, w.files)
			}
		})
	}
}
