package squash_test

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"testing"

	calebsquashfs "github.com/CalebQ42/squashfs"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// TestAgainstCalebQ42 compares this package with CalebQ42/squashfs, an
// independent reader of the format, on archives from both tools: the same
// names in each directory, the same types and permissions, the same
// symlink targets and the same bytes in every regular file. The two share
// no code, so an agreement is evidence, not an echo. Where they disagree,
// unsquashfs (the format's reference tool) and the source tree settle it,
// and must side with this package: CalebQ42 v1.4.1 drops the character
// device bit and cannot read empty files, for instance.
func TestAgainstCalebQ42(t *testing.T) {
	recipes := []fixture.Recipe{
		{Tree: fixture.SpecialTree, Tool: fixture.Mksquashfs, Compressor: "zstd", BlockSize: 128 << 10},
		{Tree: fixture.SpecialTree, Tool: fixture.Gensquashfs, Compressor: "xz", BlockSize: 128 << 10},
		{Tree: fixture.SmallTree, Tool: fixture.Mksquashfs, Compressor: "gzip", BlockSize: 1 << 20, Fragments: fixture.NoFragments},
		{Tree: fixture.SmallTree, Tool: fixture.Mksquashfs, Compressor: "xz", BlockSize: 4096, Fragments: fixture.AlwaysFragments},
	}
	for _, r := range recipes {
		t.Run(string(r.Tool)+"-"+r.Compressor+"-"+r.Tree.Name, func(t *testing.T) {
			p, src := fixture.Build(t, r)
			ours, _ := openArchive(t, p, squash.Options{})
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			theirs, err := calebsquashfs.NewReader(f)
			if err != nil {
				t.Fatalf("CalebQ42 cannot open it: %v", err)
			}
			var disputes []string
			agreed := compareDir(t, ours, theirs.FS, "", &disputes)
			settle(t, ours, p, src, disputes)
			t.Logf("%d entries agree with CalebQ42; %d disputes settled by unsquashfs in our favour", agreed, len(disputes))
			if agreed < 2*len(disputes) {
				t.Errorf("too few agreements (%d) for %d disputes", agreed, len(disputes))
			}
		})
	}
}

// compareDir counts the entries under dir on which both readers agree and
// collects the paths where they do not.
func compareDir(t *testing.T, ours *squash.Image, theirs calebsquashfs.FS, dir string, disputes *[]string) int {
	t.Helper()
	mine, err := ours.ReadDir(dir, "", 0)
	if err != nil {
		t.Fatalf("readdir %q: %v", dir, err)
	}
	name := dir
	if name == "" {
		name = "."
	}
	their, err := fs.ReadDir(theirs, name)
	if err != nil {
		t.Fatalf("CalebQ42 readdir %q: %v", name, err)
	}
	if len(mine) != len(their) {
		t.Fatalf("%q: %d entries, CalebQ42 lists %d", dir, len(mine), len(their))
	}
	n := 0
	for i, e := range mine {
		p := path.Join(dir, e.Name)
		if their[i].Name() != e.Name {
			t.Errorf("%q: entry %d is %q, CalebQ42 says %q", dir, i, e.Name, their[i].Name())
			continue
		}
		info, err := their[i].Info()
		if err != nil {
			t.Fatalf("CalebQ42 stat %q: %v", p, err)
		}
		if info.Mode().Type() != e.Mode.Type() || info.Mode().Perm() != e.Mode.Perm() {
			*disputes = append(*disputes, p)
			continue
		}
		agreed := true
		switch {
		case e.IsDir():
			n += compareDir(t, ours, theirs, p, disputes)
		case e.Mode&fs.ModeSymlink != 0:
			f, err := theirs.OpenFile(p)
			if err != nil {
				t.Fatalf("CalebQ42 open %q: %v", p, err)
			}
			agreed = f.SymlinkPath() == e.Target
		case e.Mode.IsRegular():
			want, err := theirs.ReadFile(p)
			agreed = err == nil && bytes.Equal(readAll(t, ours, p), want)
		}
		if agreed {
			n++
		} else {
			*disputes = append(*disputes, p)
		}
	}
	return n
}

func readAll(t *testing.T, a *squash.Image, name string) []byte {
	t.Helper()
	f, err := a.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// settle checks each disputed path against unsquashfs's listing (type,
// permissions, symlink target) and, for regular files, the source bytes.
func settle(t *testing.T, ours *squash.Image, archivePath, src string, disputes []string) {
	t.Helper()
	truth := map[string]fixture.Listed{}
	for _, l := range fixture.List(t, archivePath) {
		truth[l.Path] = l
	}
	for _, p := range disputes {
		e, err := ours.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		l, ok := truth[p]
		if !ok || squash.LsMode(e.Mode) != l.Mode || e.Target != l.Target {
			t.Errorf("%q: unsquashfs says %+v, we say %v -> %q", p, l, e.Mode, e.Target)
			continue
		}
		if e.Mode.IsRegular() {
			want, err := os.ReadFile(path.Join(src, p))
			if err != nil || !bytes.Equal(readAll(t, ours, p), want) {
				t.Errorf("%q: bytes differ from the source", p)
			}
		}
	}
}
