package codec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	lzo "github.com/rasky/go-lzo"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// blocks is one file's data blocks as a real tool wrote them.
type blocks struct {
	id      codec.ID
	options []byte
	stored  [][]byte // as on disk; nil for blocks stored uncompressed
	want    [][]byte // the source bytes of each block
}

var codecTree = fixture.Tree{Name: "codec", Seed: 9, Nodes: []fixture.Node{
	{Path: "f", Size: 3*4096 + 1000, Text: true},
}}

// toolBlocks builds an archive of one file with uncompressed inodes and no
// fragments, finds the file's block list in the raw inode table and cuts
// the compressed blocks out of the archive.
func toolBlocks(t *testing.T, r fixture.Recipe) blocks {
	t.Helper()
	archive, src := fixture.Build(t, r)
	img, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(filepath.Join(src, "f"))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	b := blocks{id: codec.ID(le.Uint16(img[20:]))}
	if le.Uint16(img[24:])&0x400 != 0 {
		n := int(le.Uint16(img[96:]) & 0x7fff)
		b.options = img[98 : 98+n]
	}
	inodes := img[le.Uint64(img[64:])+2:]
	// The file's inode is the first one mksquashfs writes: type 2, basic.
	if typ := le.Uint16(inodes); typ != 2 {
		t.Fatalf("first inode has type %d", typ)
	}
	pos := int64(le.Uint32(inodes[16:]))
	size := int(le.Uint32(inodes[28:]))
	if size != len(content) {
		t.Fatalf("inode size %d, file %d", size, len(content))
	}
	for i := 0; i*4096 < size; i++ {
		w := le.Uint32(inodes[32+4*i:])
		n := int64(w &^ (1 << 24))
		block := img[pos : pos+n]
		pos += n
		if w&(1<<24) != 0 {
			block = nil
		}
		b.stored = append(b.stored, block)
		b.want = append(b.want, content[i*4096:min(size, (i+1)*4096)])
	}
	return b
}

func TestToolBlocks(t *testing.T) {
	var recipes []fixture.Recipe
	base := fixture.Recipe{Tree: codecTree, Tool: fixture.Mksquashfs, BlockSize: 4096, Fragments: fixture.NoFragments}
	for _, c := range fixture.Compressors {
		r := base
		r.Compressor = c
		r.Args = []string{"-noI", "-noId"}
		recipes = append(recipes, r)
	}
	for _, opt := range [][]string{
		{"-comp", "gzip", "-Xwindow-size", "9", "-Xstrategy", "filtered"},
		{"-comp", "xz", "-Xbcj", "x86,arm,armthumb,powerpc,sparc,ia64"},
		{"-comp", "lz4", "-Xhc"},
		{"-comp", "lzo", "-Xalgorithm", "lzo1x_999", "-Xcompression-level", "9"},
		{"-comp", "lzo", "-Xalgorithm", "lzo1x_1_15"},
		{"-comp", "zstd", "-Xcompression-level", "22"},
	} {
		r := base
		r.Compressor = opt[1]
		r.Args = append([]string{"-noI", "-noId"}, opt[2:]...)
		recipes = append(recipes, r)
	}
	for _, r := range recipes {
		t.Run(r.String(), func(t *testing.T) {
			b := toolBlocks(t, r)
			d, err := codec.Go.NewDecoder(b.id, b.options)
			if err != nil {
				t.Fatal(err)
			}
			compressed := 0
			for i, src := range b.stored {
				if src == nil {
					continue
				}
				compressed++
				dst := make([]byte, 4096)
				n, err := d.Decode(dst, src)
				if err != nil || !bytes.Equal(dst[:n], b.want[i]) {
					t.Fatalf("block %d: %d bytes, %v", i, n, err)
				}
				// Too small a destination is an error, not a short result.
				if _, err := d.Decode(dst[:len(b.want[i])-1], src); !errors.Is(err, codec.ErrCorrupt) {
					t.Errorf("block %d into a short buffer: %v", i, err)
				}
				// A truncated block fails, or (raw lz4 has no end marker)
				// comes out short, which the reader checks.
				if n, err := d.Decode(dst, src[:len(src)/2]); err == nil && n == len(b.want[i]) {
					t.Errorf("block %d truncated: decoded in full", i)
				} else if err != nil && !errors.Is(err, codec.ErrCorrupt) {
					t.Errorf("block %d truncated: %v does not wrap ErrCorrupt", i, err)
				}
			}
			if compressed == 0 {
				t.Fatal("no compressed block: the test checks nothing")
			}
			// Concurrent use of one decoder.
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					dst := make([]byte, 4096)
					for i, src := range b.stored {
						if src == nil {
							continue
						}
						n, err := d.Decode(dst, src)
						if err != nil || !bytes.Equal(dst[:n], b.want[i]) {
							t.Errorf("concurrent block %d: %v", i, err)
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestOptions(t *testing.T) {
	le := binary.LittleEndian
	opt := func(vals ...uint32) []byte {
		var b []byte
		for _, v := range vals {
			b = le.AppendUint32(b, v)
		}
		return b
	}
	gz := func(level uint32, window, strategies uint16) []byte {
		return le.AppendUint16(le.AppendUint16(le.AppendUint32(nil, level), window), strategies)
	}
	tests := []struct {
		id   codec.ID
		opts []byte
		ok   bool
	}{
		{codec.GZIP, nil, true},
		{codec.GZIP, gz(9, 15, 0), true},
		{codec.GZIP, gz(9, 16, 0), false},
		{codec.GZIP, gz(0, 15, 0), false},
		{codec.GZIP, []byte{1, 2}, false},
		{codec.LZMA, nil, true},
		{codec.LZMA, opt(1), false},
		{codec.LZO, opt(4, 9), true},
		{codec.LZO, opt(5, 0), false},
		{codec.XZ, opt(1<<20, 1), true},
		{codec.XZ, opt(1<<24, 0), false},
		{codec.XZ, opt(1<<17, 1<<7), false},
		{codec.LZ4, opt(1, 1), true},
		{codec.LZ4, opt(2, 0), false},
		{codec.ZSTD, opt(15), true},
		{codec.ZSTD, opt(0), false},
		{codec.ID(7), nil, false},
	}
	for _, tt := range tests {
		_, err := codec.Go.NewDecoder(tt.id, tt.opts)
		if (err == nil) != tt.ok {
			t.Errorf("%v options %x: %v, want ok=%v", tt.id, tt.opts, err, tt.ok)
		}
	}
	if _, err := codec.Go.NewDecoder(codec.ID(7), nil); !errors.Is(err, codec.ErrUnsupported) {
		t.Errorf("unknown id: %v, want ErrUnsupported", err)
	}
}

// sample is compressible input for seeds.
var sample = bytes.Repeat([]byte("squashfs block of text, squashfs block of text 0123456789\n"), 60)

func fuzzDecoder(f *testing.F, id codec.ID, seeds ...[]byte) {
	d, err := codec.Go.NewDecoder(id, nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add(s, uint16(len(sample)))
	}
	f.Fuzz(func(t *testing.T, src []byte, limit uint16) {
		buf := make([]byte, int(limit)+2)
		buf[len(buf)-1] = 0xAA // a byte past dst to catch overruns
		dst := buf[:len(buf)-1]
		n, err := d.Decode(dst, src)
		if err != nil {
			if !errors.Is(err, codec.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if n > len(dst) {
			t.Fatalf("decoded %d bytes into %d", n, len(dst))
		}
		if buf[len(buf)-1] != 0xAA {
			t.Fatal("wrote past len(dst)")
		}
	})
}

func FuzzGzip(f *testing.F) {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(sample)
	w.Close()
	fuzzDecoder(f, codec.GZIP, b.Bytes())
}

func FuzzLZMA(f *testing.F) {
	var b bytes.Buffer
	w, err := lzma.WriterConfig{Size: int64(len(sample)), DictCap: 4096}.NewWriter(&b)
	if err != nil {
		f.Fatal(err)
	}
	w.Write(sample)
	w.Close()
	fuzzDecoder(f, codec.LZMA, b.Bytes())
}

func FuzzLZO(f *testing.F) {
	fuzzDecoder(f, codec.LZO, lzo.Compress1X(sample), lzo.Compress1X999(sample), lzo.Compress1X([]byte("abc")))
}

func FuzzXZ(f *testing.F) {
	var b bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 4096, CheckSum: xz.CRC32}.NewWriter(&b)
	if err != nil {
		f.Fatal(err)
	}
	w.Write(sample)
	w.Close()
	fuzzDecoder(f, codec.XZ, b.Bytes())
}

func FuzzLZ4(f *testing.F) {
	dst := make([]byte, lz4.CompressBlockBound(len(sample)))
	n, err := lz4.CompressBlock(sample, dst, nil)
	if err != nil {
		f.Fatal(err)
	}
	fuzzDecoder(f, codec.LZ4, dst[:n])
}

func FuzzZstd(f *testing.F) {
	e, err := zstd.NewWriter(nil)
	if err != nil {
		f.Fatal(err)
	}
	fuzzDecoder(f, codec.ZSTD, e.EncodeAll(sample, nil))
}
