package squash_test

import (
	"bytes"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// countingReader counts ReadAt calls on the archive file.
type countingReader struct {
	r     io.ReaderAt
	calls atomic.Int64
	bytes atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.calls.Add(1)
	c.bytes.Add(int64(len(p)))
	return c.r.ReadAt(p, off)
}

// hookedDecoder runs each block decode through hook, which calls decode
// (or not) and returns the result: the test engines below are hooks.
type hookedDecoder struct {
	codec.Decoder
	hook func(decode func() (int, error)) (int, error)
}

func (d hookedDecoder) Decode(dst, src []byte) (int, error) {
	return d.hook(func() (int, error) { return d.Decoder.Decode(dst, src) })
}

// hooked returns engine's decoder for id with hook around its decodes.
func hooked(engine codec.Engine, id codec.ID, o []byte, hook func(func() (int, error)) (int, error)) (codec.Decoder, error) {
	d, err := engine.NewDecoder(id, o)
	if err != nil {
		return nil, err
	}
	return hookedDecoder{d, hook}, nil
}

// countingEngine counts block decodes.
type countingEngine struct {
	codec.Engine
	decodes atomic.Int64
}

func (e *countingEngine) NewDecoder(id codec.ID, o []byte) (codec.Decoder, error) {
	return hooked(e.Engine, id, o, func(decode func() (int, error)) (int, error) {
		e.decodes.Add(1)
		return decode()
	})
}

func openArchive(t testing.TB, p string, opts squash.Options) (*squash.Image, *countingReader) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{r: f}
	a, err := squash.Open(cr, st.Size(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	return a, cr
}

// checkArchive compares the archive with unsquashfs's listing and the
// source tree: every entry's attributes, every directory's listing, every
// regular file read whole and at seeded random ranges.
func checkArchive(t *testing.T, archive, src string, rangesPerFile int) {
	a, _ := openArchive(t, archive, squash.Options{})
	want := fixture.List(t, archive)
	children := map[string][]string{}
	for _, w := range want {
		if w.Path != "" {
			children[path.Dir("/" + w.Path)[1:]] = append(children[path.Dir("/" + w.Path)[1:]], path.Base(w.Path))
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, w := range want {
		e, err := a.Lstat(w.Path)
		if err != nil {
			t.Errorf("lstat %q: %v", w.Path, err)
			continue
		}
		if got := squash.LsMode(e.Mode); got != w.Mode {
			t.Errorf("%q: mode %s, want %s", w.Path, got, w.Mode)
		}
		if e.UID != w.UID || e.GID != w.GID {
			t.Errorf("%q: owner %d/%d, want %d/%d", w.Path, e.UID, e.GID, w.UID, w.GID)
		}
		if !e.ModTime.Truncate(60e9).Equal(w.ModTime) {
			t.Errorf("%q: mtime %v, want %v", w.Path, e.ModTime, w.ModTime)
		}
		if w.Path != "" && e.Name != path.Base(w.Path) {
			t.Errorf("%q: name %q", w.Path, e.Name)
		}
		st, err := os.Lstat(filepath.Join(src, filepath.FromSlash(w.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if !e.IsDir() && !e.ModTime.Equal(st.ModTime()) && e.Mode&fs.ModeSymlink == 0 {
			t.Errorf("%q: mtime %v, source has %v", w.Path, e.ModTime, st.ModTime())
		}
		switch {
		case e.IsDir():
			if e.Size != w.Size {
				t.Errorf("%q: directory size %d, unsquashfs says %d", w.Path, e.Size, w.Size)
			}
		case e.Mode&fs.ModeDevice != 0:
			if e.Major() != w.Major || e.Minor() != w.Minor {
				t.Errorf("%q: device %d,%d, unsquashfs says %d,%d", w.Path, e.Major(), e.Minor(), w.Major, w.Minor)
			}
		case e.Mode.IsRegular():
			if e.Size != w.Size {
				t.Errorf("%q: size %d, want %d", w.Path, e.Size, w.Size)
			}
			checkFile(t, a, w.Path, filepath.Join(src, filepath.FromSlash(w.Path)), rng, rangesPerFile)
		case e.Mode&fs.ModeSymlink != 0:
			if e.Target != w.Target {
				t.Errorf("%q: target %q, want %q", w.Path, e.Target, w.Target)
			}
		case e.IsDir():
			ents, err := a.ReadDir(w.Path, "", 0)
			if err != nil {
				t.Errorf("readdir %q: %v", w.Path, err)
				continue
			}
			var names []string
			for _, c := range ents {
				names = append(names, c.Name)
			}
			if strings.Join(names, "\x00") != strings.Join(children[w.Path], "\x00") {
				t.Errorf("readdir %q: %d entries %q, want %d", w.Path, len(names), names, len(children[w.Path]))
			}
		}
	}
}

func checkFile(t *testing.T, a *squash.Image, name, srcPath string, rng *rand.Rand, ranges int) {
	want, err := os.ReadFile(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.Open(name)
	if err != nil {
		t.Errorf("open %q: %v", name, err)
		return
	}
	got := make([]byte, len(want)+10)
	n, err := f.ReadAt(got, 0)
	if n != len(want) || (err != io.EOF && !(err == nil && len(want) == len(got))) {
		t.Errorf("%q: ReadAt whole: %d, %v; want %d, EOF", name, n, err, len(want))
		return
	}
	if !bytes.Equal(got[:n], want) {
		t.Errorf("%q: whole content differs", name)
		return
	}
	r := f.Reader(0, f.Size())
	streamed, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(streamed, want) {
		t.Errorf("%q: Reader: %d bytes, %v", name, len(streamed), err)
	}
	for range ranges {
		if len(want) == 0 {
			break
		}
		off := rng.IntN(len(want))
		n := rng.IntN(len(want)-off) + 1
		buf := make([]byte, n)
		if m, err := f.ReadAt(buf, int64(off)); m != n || (err != nil && err != io.EOF) || !bytes.Equal(buf, want[off:off+n]) {
			t.Errorf("%q: ReadAt [%d, %d): %d, %v, equal=%v", name, off, off+n, m, err, bytes.Equal(buf[:m], want[off:off+m]))
		}
	}
}

func TestSmall(t *testing.T) {
	archive, src := fixture.Build(t, fixture.Small)
	checkArchive(t, archive, src, 5)
}

func TestMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("compressor matrix skipped in -short mode")
	}
	for _, r := range fixture.Matrix(fixture.SpecialTree) {
		t.Run(r.String(), func(t *testing.T) {
			archive, src := fixture.Build(t, r)
			checkArchive(t, archive, src, 3)
		})
	}
}
