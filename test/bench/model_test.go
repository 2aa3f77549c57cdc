package main

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/s3archivefs/s3archivefs/test/fixture"
)

func TestReferenceCold(t *testing.T) {
	const chunk = 100
	for _, tc := range []struct {
		name            string
		size, inodes    int64
		blocks          []extent
		wantReq, wantBy int64
	}{
		// HEAD, then [inode table aligned down, end).
		{name: "metadata only", size: 1000, inodes: 950, wantReq: 2, wantBy: 100},
		// One block inside one chunk: from its chunk to the chunk after its
		// end's chunk start, i.e. just that chunk.
		{name: "one block", size: 1000, inodes: 950, blocks: []extent{{10, 20}}, wantReq: 3, wantBy: 100 + 100},
		// The second block lies in what the first fetch brought.
		{name: "covered by the previous fetch", size: 1000, inodes: 950, blocks: []extent{{10, 20}, {30, 60}}, wantReq: 3, wantBy: 200},
		// A block crossing past the fetched range fetches from the hole
		// (100) to the chunk after its end's chunk (300).
		{name: "hole after a fetch", size: 1000, inodes: 950, blocks: []extent{{10, 20}, {30, 250}}, wantReq: 4, wantBy: 100 + 100 + 200},
		// Fetches are clipped at the end of the object, and fetch again
		// what the metadata download already brought ([900, 1000)).
		{name: "clipped at the end", size: 1000, inodes: 990, blocks: []extent{{850, 50}}, wantReq: 3, wantBy: 100 + 200},
		// A block already in the metadata download costs nothing.
		{name: "block in the tail", size: 1000, inodes: 850, blocks: []extent{{820, 30}}, wantReq: 2, wantBy: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := referenceCold(tc.size, tc.inodes, chunk, tc.blocks)
			if ref.Requests != tc.wantReq || ref.Bytes != tc.wantBy {
				t.Errorf("got %d requests, %d bytes; want %d, %d", ref.Requests, ref.Bytes, tc.wantReq, tc.wantBy)
			}
			var sum int64
			for _, g := range ref.GETs {
				sum += g
			}
			if sum != ref.Bytes || int64(len(ref.GETs)) != ref.Requests-1 {
				t.Errorf("GETs %v do not add up to %d bytes in %d requests", ref.GETs, ref.Bytes, ref.Requests)
			}
		})
	}
}

func TestUnionLen(t *testing.T) {
	for _, tc := range []struct {
		in   []extent
		want int64
	}{
		{nil, 0},
		{[]extent{{0, 10}}, 10},
		{[]extent{{0, 10}, {5, 10}}, 15},
		{[]extent{{20, 5}, {0, 10}, {2, 3}}, 15},
		{[]extent{{0, 10}, {10, 10}}, 20},
		{[]extent{{0, 0}, {3, 0}}, 0},
	} {
		if got := unionLen(tc.in); got != tc.want {
			t.Errorf("unionLen(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tbootstrap\nVmPeak:\t  12345 kB\nVmHWM:\t    2048 kB\nBad:\t12 MB\n")
	for _, tc := range []struct {
		field string
		want  int64
		err   bool
	}{
		{"VmHWM", 2048 << 10, false},
		{"VmPeak", 12345 << 10, false},
		{"Bad", 0, true},
		{"VmRSS", 0, true},
	} {
		got, err := statusField(status, tc.field)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%s: got %d, %v; want %d, error %t", tc.field, got, err, tc.want, tc.err)
		}
	}
}

func TestSamples(t *testing.T) {
	for _, tc := range []struct {
		s        Samples
		min, med float64
	}{
		{Samples{3}, 3, 3},
		{Samples{5, 1, 3}, 1, 3},
		{Samples{4, 1, 3, 2}, 1, 2.5},
		{nil, 0, 0},
	} {
		if tc.s.Min() != tc.min || tc.s.Median() != tc.med {
			t.Errorf("%v: min %v median %v", tc.s, tc.s.Min(), tc.s.Median())
		}
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 30: "1GiB", 10 << 20: "10MiB", 256 << 10: "256KiB", 1000: "1000B", 3 << 29: "1536MiB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestText checks the generated text is deterministic, of the asked size
// and compresses like logs: neither like random bytes nor like a repeat.
func TestText(t *testing.T) {
	var a, b bytes.Buffer
	if err := writeText(&a, newRand("big", 7), 3<<20+5); err != nil {
		t.Fatal(err)
	}
	if err := writeText(&b, newRand("big", 7), 3<<20+5); err != nil {
		t.Fatal(err)
	}
	if a.Len() != 3<<20+5 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("lengths %d, %d or contents differ", a.Len(), b.Len())
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := float64(a.Len()) / float64(len(enc.EncodeAll(a.Bytes(), nil)))
	if r < 2 || r > 12 {
		t.Errorf("zstd ratio %.1f, want a log-like 2..12", r)
	}
}

// layoutTree has a directory big enough for a directory index, files with
// fragments, multi-block files with and without a tail, and an empty file.
var layoutTree = fixture.Tree{Name: "bench-layout", Seed: 9, Nodes: layoutNodes()}

func layoutNodes() []fixture.Node {
	n := []fixture.Node{
		{Path: "big/multi.txt", Size: 3<<17 + 777, Text: true},
		{Path: "big/exact.bin", Size: 2 << 17},
		{Path: "big/random-tail.bin", Size: 1<<17 + 99},
		{Path: "empty", Size: 0},
	}
	for i := range 900 {
		n = append(n, fixture.Node{Path: fmt.Sprintf("many/entry-with-a-longish-name-%04d.txt", i), Size: int64(i % 300), Text: true})
	}
	return n
}

// TestLayout checks the bench's archive reader against the real tools'
// archives: the blocks it finds for every file decompress to the file's
// bytes, and the minimum of a range is at least its compressed blocks and
// much less than the archive.
func TestLayout(t *testing.T) {
	for _, comp := range []string{"zstd", "gzip"} {
		t.Run(comp, func(t *testing.T) {
			path, src := fixture.Build(t, fixture.Recipe{Tree: layoutTree, Tool: fixture.Mksquashfs, Compressor: comp, BlockSize: 128 << 10})
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			l, err := newLayout(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, node := range layoutTree.Nodes {
				want, err := os.ReadFile(src + "/" + node.Path)
				if err != nil {
					t.Fatal(err)
				}
				ino, err := l.file(node.Path)
				if err != nil {
					t.Fatalf("%s: %v", node.Path, err)
				}
				got := readVia(t, l, ino)
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: %d bytes from the layout's blocks differ from the file's %d", node.Path, len(got), len(want))
				}
			}
			if _, err := l.file("many/absent"); err == nil {
				t.Error("lookup of a missing name succeeded")
			}
			fi, _ := f.Stat()
			m, err := minimumFor(path, "many/entry-with-a-longish-name-0450.txt", Span{0, -1})
			if err != nil {
				t.Fatal(err)
			}
			if m.Bytes <= superblockSize || m.Bytes >= fi.Size()/2 {
				t.Errorf("minimum for a small file: %d bytes of a %d-byte archive", m.Bytes, fi.Size())
			}
			m2, err := minimumFor(path, "big/multi.txt", Span{1 << 17, 10})
			if err != nil {
				t.Fatal(err)
			}
			ino, _ := l.file("big/multi.txt")
			one := int64(ino.blocks[1] & blockSizeMask)
			if m2.Bytes < one+superblockSize || m2.Bytes > one+superblockSize+4*(2+metaSize) {
				t.Errorf("minimum for 10 bytes of block 1: %d bytes, block is %d", m2.Bytes, one)
			}
		})
	}
}

// readVia assembles a file from the extents the layout gives.
func readVia(t *testing.T, l *layout, ino *inode) []byte {
	t.Helper()
	if ino.size == 0 {
		return []byte{}
	}
	exts, err := l.blockExtents(ino, 0, ino.size/l.sb.BlockSize+1)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	words := ino.blocks
	for i, e := range exts {
		raw := make([]byte, e.Len)
		if _, err := l.r.ReadAt(raw, e.Off); err != nil {
			t.Fatal(err)
		}
		uncompressed := i < len(words) && words[i]&(1<<24) != 0
		if i >= len(words) { // fragment: its size word says
			uncompressed = fragUncompressed(t, l, ino.frag)
		}
		data := raw
		if !uncompressed {
			data = decompress(t, l.sb.Compressor, raw)
		}
		if i >= len(words) {
			tail := ino.size % l.sb.BlockSize
			data = data[ino.fragOff : ino.fragOff+tail]
		}
		out = append(out, data...)
	}
	return out
}

func fragUncompressed(t *testing.T, l *layout, i uint32) bool {
	t.Helper()
	s, err := l.open(int64(readU64(t, l.r, l.sb.FragTableStart+int64(i/512)*8)), int(i%512)*16)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.read(12)
	if err != nil {
		t.Fatal(err)
	}
	return e[11]&1 != 0 // bit 24 of the size word
}

func readU64(t *testing.T, r io.ReaderAt, off int64) uint64 {
	var b [8]byte
	if _, err := r.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func decompress(t *testing.T, comp uint16, raw []byte) []byte {
	t.Helper()
	switch comp {
	case compressorZstd:
		d, err := zstd.NewReader(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		out, err := d.DecodeAll(raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	default:
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// TestChart draws the chart from made-up results in both formats the
// plotting library writes.
func TestChart(t *testing.T) {
	gets := []GetResult{
		{Case: GetCase{Name: "small file (1 of 200000)"}, Cold: []Traffic{{3, 300 << 10, 3}}, Min: Minimum{250 << 10}, Ref: Reference{Bytes: 9 << 20}},
		{Case: GetCase{Name: "10MiB file"}, Cold: []Traffic{{4, 3 << 20, 2}}, Min: Minimum{2 << 20}, Ref: Reference{Bytes: 12 << 20}},
		{Case: GetCase{Name: "1 MiB range in the middle of the 1GiB file"}, Cold: []Traffic{{4, 1 << 20, 2}}, Min: Minimum{500 << 10}, Ref: Reference{Bytes: 300 << 20}},
	}
	for _, name := range []string{"chart.svg", "chart.png"} {
		p := t.TempDir() + "/" + name
		if err := writeChart(p, gets); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(p); err != nil || fi.Size() < 1000 {
			t.Fatalf("%s: %v, %v", name, fi, err)
		}
	}
}
