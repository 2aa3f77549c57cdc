package fault

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// damage is one way of breaking a cache file in place.
type damage func(r *rand.Rand, path string, size int64) error

var damages = map[string]damage{
	"truncate": func(r *rand.Rand, p string, size int64) error {
		return os.Truncate(p, r.Int64N(max(1, size)))
	},
	"delete": func(_ *rand.Rand, p string, _ int64) error { return os.Remove(p) },
	"garbage-same-size": func(r *rand.Rand, p string, size int64) error {
		return overwrite(r, p, size)
	},
	"garbage-other-size": func(r *rand.Rand, p string, size int64) error {
		n := size + 1 + r.Int64N(4096)
		if r.IntN(2) == 0 && size > 1 {
			n = r.Int64N(size)
		}
		return overwrite(r, p, n)
	},
}

// overwrite replaces the file's content in place (same inode, so a process
// that has it open sees the change) with n random bytes.
func overwrite(r *rand.Rand, p string, n int64) error {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	if _, err := f.WriteAt(buf, 0); err != nil {
		return err
	}
	return f.Truncate(n)
}

// cacheFiles lists the complete files under the cache directory (not the
// temporary ones a fetch is writing).
func cacheFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestCacheDamage breaks cache files while GETs are served: none may serve
// a wrong byte. Errors are allowed (and counted), wrong bytes are not.
// Garbage of a chunk's own size is caught only by the chunks' checksums.
func TestCacheDamage(t *testing.T) {
	w := newWorld(t)
	for _, name := range []string{"truncate", "delete", "garbage-other-size", "garbage-same-size"} {
		t.Run(name, func(t *testing.T) {
			s := w.start(t, 2, "")
			warm(t, w, s)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var damaged int
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, 4))
				for {
					select {
					case <-stop:
						return
					case <-time.After(3 * time.Millisecond):
					}
					files := cacheFiles(s.cacheDir)
					if len(files) == 0 {
						continue
					}
					p := files[r.IntN(len(files))]
					if fi, err := os.Stat(p); err == nil && damages[name](r, p, fi.Size()) == nil {
						damaged++
					}
				}
			}()
			tl := run(t.Context(), s.client, 300, 8, w.draw(5))
			close(stop)
			wg.Wait()
			t.Logf("%s, %d cache files damaged while serving: %s", name, damaged, tl)
			if damaged < 20 {
				t.Errorf("only %d files damaged: the test did not exercise the cache", damaged)
			}
			if tl.wrong != 0 {
				t.Errorf("%d wrong answers, e.g. %v", tl.wrong, tl.examples)
			}
			// Once the damage stops, every GET is good again.
			after := run(t.Context(), s.client, 100, 8, w.draw(6))
			if after.ok != after.gets {
				t.Errorf("after the damage: %s, want every GET good", after)
			}
		})
	}
	t.Run("full-filesystem", func(t *testing.T) {
		dir := smallFilesystem(t, 8<<20)
		s := w.start(t, 2, dir)
		warm(t, w, s)
		// Fill what is left, and keep it full (eviction frees chunks), so
		// that chunk writes fail with ENOSPC.
		filler, err := os.Create(filepath.Join(dir, "filler"))
		if err != nil {
			t.Fatal(err)
		}
		defer filler.Close()
		fill(t, filler)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
					fill(nil, filler)
				}
			}
		}()
		tl := run(t.Context(), s.client, 300, 8, w.draw(7))
		close(stop)
		<-done
		t.Logf("full filesystem: %s", tl)
		if log, _ := os.ReadFile(s.logPath); !strings.Contains(string(log), "no space left on device") {
			t.Error("the function never reported a full filesystem: the test did not fill it")
		}
		if tl.wrong != 0 || tl.ok != tl.gets {
			t.Errorf("%s, e.g. %v: want every GET good, served without the cache", tl, tl.examples)
		}
	})
}

// warm reads every file once, so the cache holds chunks to damage.
func warm(t *testing.T, w *world, s *stack) {
	t.Helper()
	all := append(append([]file(nil), w.small...), w.large...)
	tl := run(t.Context(), s.client, len(all), 4, func(i int) get {
		return get{key: all[i].key, want: all[i].data, status: 200}
	})
	if tl.ok != tl.gets {
		t.Fatalf("warming the cache: %s", tl)
	}
}

// smallFilesystem mounts a tmpfs of size bytes for the test, or skips when
// that is not allowed (not root).
func smallFilesystem(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: cannot mount a small tmpfs for a full filesystem (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; detaching it", dir, err, out)
			exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fill appends to f until the filesystem has no room left; t, when not
// nil, fails if it did not fill.
func fill(t *testing.T, f *os.File) {
	buf := make([]byte, 16<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if t != nil && !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	if _, err := f.Write(buf[:1]); t != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filesystem not full: %v", err)
	}
}
