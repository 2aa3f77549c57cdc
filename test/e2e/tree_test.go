package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// object is what the archive should serve at one key, derived from the
// source tree (not from the function).
type object struct {
	Key     string
	Path    string // the regular file with the content (a link's target)
	Size    int64
	Mode    fs.FileMode // permission bits
	UID     uint32
	GID     uint32
	ModTime time.Time
}

// expectedTree is the source tree seen as S3 objects.
type expectedTree struct {
	Src     string
	Objects map[string]object
	Keys    []string // in S3 (byte) order
}

// expectObjects walks src without following links: every regular file is
// an object, every symlink that resolves to a regular file inside the tree
// is an object with its target's content; directories, fifos, devices and
// links to directories, dangling or looping links are not.
func expectObjects(src string) (*expectedTree, error) {
	root, err := filepath.EvalSymlinks(src)
	if err != nil {
		return nil, err
	}
	e := &expectedTree{Src: src, Objects: map[string]object{}}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := p
		switch {
		case d.Type().IsRegular():
		case d.Type()&fs.ModeSymlink != 0:
			r, err := filepath.EvalSymlinks(p)
			if err != nil { // dangling or looping
				return nil
			}
			if !strings.HasPrefix(r, root+string(filepath.Separator)) {
				return nil
			}
			target = r
		default:
			return nil
		}
		fi, err := os.Stat(target)
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		key := prefix + filepath.ToSlash(rel)
		e.Objects[key] = object{Key: key, Path: target, Size: fi.Size(), Mode: fi.Mode().Perm(),
			UID: st.Uid, GID: st.Gid, ModTime: fi.ModTime()}
		e.Keys = append(e.Keys, key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(e.Keys) // Go's string order is byte order, as S3's
	return e, nil
}

// content reads an object's expected bytes.
func (e *expectedTree) content(t *testing.T, key string) []byte {
	t.Helper()
	o, ok := e.Objects[key]
	if !ok {
		t.Fatalf("no expected object %q", key)
	}
	b, err := os.ReadFile(o.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sha256 of an object's expected bytes.
func (e *expectedTree) sha256(t *testing.T, key string) string {
	t.Helper()
	return fileSHA256(t, e.Objects[key].Path)
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// level returns what a delimiter "/" listing of p shows: the keys directly
// under p and the common prefixes of the deeper ones.
func (e *expectedTree) level(p string) (keys, prefixes []string) {
	for _, k := range e.Keys {
		rest, ok := strings.CutPrefix(k, p)
		if !ok {
			continue
		}
		if dir, _, deeper := strings.Cut(rest, "/"); deeper {
			if pre := p + dir + "/"; !slices.Contains(prefixes, pre) {
				prefixes = append(prefixes, pre)
			}
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(prefixes)
	return keys, prefixes
}

// derefCopy writes the objects under prefix into dir as files: the source
// tree with links dereferenced and everything that is no object left out,
// which is what `aws s3 sync` of the prefix must produce.
func (e *expectedTree) derefCopy(t *testing.T, dir string) {
	t.Helper()
	for _, k := range e.Keys {
		dst := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(k, prefix)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		// A hard link is a cheap copy; fall back to copying across devices.
		if err := os.Link(e.Objects[k].Path, dst); err != nil {
			if err := copyFile(dst, e.Objects[k].Path); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestExpectedTree checks the ground truth itself against the recipe, so
// a mistake in expectObjects cannot make the client tests vacuous.
func TestExpectedTree(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: -short")
	}
	dir := filepath.Join(t.TempDir(), "t")
	tree := demoTree()
	if err := (smallOnly(tree)).Generate(dir); err != nil {
		t.Fatal(err)
	}
	e, err := expectObjects(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"links/rel", "links/chain", "links/hard", "names/ünïcødé-ファイル.txt", "order/a/b", "empty"} {
		if _, ok := e.Objects[prefix+k]; !ok {
			t.Errorf("%s: missing from the expected objects", k)
		}
	}
	for _, k := range []string{"links/to-dir", "links/dangling", "links/loop-a", "links/loop-b", "special/fifo", "emptydir", "links/to-dir/part-1/chapter-01.txt"} {
		if _, ok := e.Objects[prefix+k]; ok {
			t.Errorf("%s: listed as an object", k)
		}
	}
	if got, want := e.Objects[prefix+"links/chain"].Path, e.Objects[prefix+"docs/part-1/chapter-01.txt"].Path; got != want {
		t.Errorf("links/chain resolves to %s, want %s", got, want)
	}
	want := []string{prefix + "order/B", prefix + "order/a-b", prefix + "order/a.b", prefix + "order/a/b", prefix + "order/a0", prefix + "order/a_b"}
	var got []string
	for _, k := range e.Keys {
		if strings.HasPrefix(k, prefix+"order/") {
			got = append(got, k)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("order/ keys = %q, want S3 byte order %q", got, want)
	}
	keys, prefixes := e.level(prefix)
	if !slices.Contains(keys, prefix+"README.md") || slices.Contains(prefixes, prefix+"emptydir/") || !slices.Contains(prefixes, prefix+"links/") {
		t.Errorf("level(%s) = %q, %q", prefix, keys, prefixes)
	}
	if !bytes.Equal(e.content(t, prefix+"links/hard"), e.content(t, prefix+"README.md")) {
		t.Error("links/hard differs from README.md")
	}
}

// smallOnly drops the large files so TestExpectedTree stays fast.
func smallOnly(tree fixture.Tree) fixture.Tree {
	out := tree
	out.Nodes = nil
	for _, n := range tree.Nodes {
		if n.Size < 1<<20 {
			out.Nodes = append(out.Nodes, n)
		}
	}
	return out
}
