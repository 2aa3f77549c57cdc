package inflate

import (
	"bytes"
	"compress/zlib"
	"errors"
	stdadler "hash/adler32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// inputs are data of the kinds deflate meets: text, runs, noise (stored
// blocks), and their mixes, from empty to a squashfs block's 1 MiB.
func inputs() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	var text strings.Builder
	words := []string{"GET", "/index.html", "200", "squashfs", "ERROR", "retry", "0x3fa9", "user=alice", "\n"}
	for text.Len() < 1<<20 {
		text.WriteString(words[r.IntN(len(words))])
		text.WriteByte(' ')
		if r.IntN(50) == 0 {
			text.WriteString(string(noise(r.IntN(40))))
		}
	}
	skewed := make([]byte, 300_000) // long Huffman codes: a few common symbols, many rare ones
	for i := range skewed {
		if r.IntN(1000) == 0 {
			skewed[i] = byte(r.Uint32())
		} else {
			skewed[i] = byte('a' + r.IntN(3))
		}
	}
	return map[string][]byte{
		"empty":  {},
		"one":    {'x'},
		"run":    bytes.Repeat([]byte{'z'}, 100_000),
		"period": bytes.Repeat([]byte("abc"), 50_000),
		"text":   []byte(text.String()[:1<<20]),
		"noise":  noise(200_000),
		"skewed": skewed,
		"mixed":  append(noise(70_000), []byte(text.String()[:300_000])...),
	}
}

func compress(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// levels cover stored blocks (0), Huffman-only, fixed and dynamic codes.
var levels = []int{zlib.NoCompression, zlib.HuffmanOnly, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression}

func TestZlibAgainstCompressZlib(t *testing.T) {
	for name, data := range inputs() {
		for _, level := range levels {
			src := compress(t, data, level)
			dst := make([]byte, len(data))
			n, err := Zlib(dst, src)
			if err != nil || !bytes.Equal(dst[:n], data) {
				t.Fatalf("%s level %d: %d of %d bytes, %v", name, level, n, len(data), err)
			}
			// Trailing bytes after the stream are not the stream's.
			if n, err := Zlib(dst, append(src, 1, 2, 3)); err != nil || n != len(data) {
				t.Errorf("%s level %d with trailing bytes: %d, %v", name, level, n, err)
			}
			if len(data) > 0 {
				if _, err := Zlib(dst[:len(data)-1], src); !errors.Is(err, ErrTooLarge) {
					t.Errorf("%s level %d into %d bytes: %v, want ErrTooLarge", name, level, len(data)-1, err)
				}
			}
		}
	}
}

// TestFixedCodes decodes a stream of fixed-code blocks (compress/flate
// writes them for short inputs) and a hand-made one.
func TestFixedCodes(t *testing.T) {
	src := compress(t, []byte("hello, hello, hello"), zlib.BestCompression)
	if got := src[2] >> 1 & 3; got != 1 {
		t.Fatalf("compress/zlib wrote block type %d, want fixed codes", got)
	}
	dst := make([]byte, 64)
	if n, err := Zlib(dst, src); err != nil || string(dst[:n]) != "hello, hello, hello" {
		t.Fatalf("%q, %v", dst[:n], err)
	}
}

func TestTruncated(t *testing.T) {
	data := inputs()["mixed"]
	for _, level := range levels {
		src := compress(t, data, level)
		dst := make([]byte, len(data))
		for _, cut := range []int{0, 1, 2, 3, 7, len(src) / 3, len(src) / 2, len(src) - 5, len(src) - 4, len(src) - 1} {
			if _, err := Zlib(dst, src[:cut]); !errors.Is(err, ErrCorrupt) {
				t.Errorf("level %d cut to %d of %d bytes: %v, want ErrCorrupt", level, cut, len(src), err)
			}
		}
	}
}

func TestCorrupt(t *testing.T) {
	data := []byte(strings.Repeat("squashfs block ", 1000))
	src := compress(t, data, zlib.BestCompression)
	dst := make([]byte, len(data))
	mutate := func(f func(b []byte)) []byte {
		b := bytes.Clone(src)
		f(b)
		return b
	}
	tests := map[string]struct {
		src  []byte
		want error
	}{
		"checksum":      {mutate(func(b []byte) { b[len(b)-1] ^= 1 }), errChecksum},
		"method":        {mutate(func(b []byte) { b[0] = 0x79 }), errHeader},
		"header check":  {mutate(func(b []byte) { b[1]++ }), errHeader},
		"dictionary":    {[]byte{0x78, 0xbb, 0, 0, 0, 0}, errDict},
		"block type 3":  {[]byte{0x78, 0x9c, 0x07}, errBlockType},
		"stored length": {[]byte{0x78, 0x9c, 0x01, 0x05, 0x00, 0xfa, 0xfe, 'a'}, errStored},
		// A fixed-code block whose first symbol is a match of distance 1.
		"distance": {[]byte{0x78, 0x9c, 0x03, 0x02, 0x00}, errDistance},
	}
	for name, tt := range tests {
		if _, err := Zlib(dst, tt.src); !errors.Is(err, tt.want) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	var table [litSize]uint32
	for name, lens := range map[string][]uint8{
		"over-subscribed": {1, 1, 1},
		"incomplete":      {1, 2},
		"incomplete long": {2, 2, 2, 3},
	} {
		if build(table[:], litRoot, lens, litEntries[:len(lens)]) {
			t.Errorf("%s code %v accepted", name, lens)
		}
	}
	for name, lens := range map[string][]uint8{
		"lone one-bit code": {0, 1},
		"no code":           {0, 0, 0},
		"complete":          {1, 2, 3, 3},
	} {
		if !build(table[:], litRoot, lens, litEntries[:len(lens)]) {
			t.Errorf("%s code %v rejected", name, lens)
		}
	}
}

func TestAdler32(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	ones := bytes.Repeat([]byte{0xff}, 1<<20) // the sums' largest growth
	for _, p := range [][]byte{nil, {1}, big[:15], big[:16], big[:17], big[:5552], big[:5553], big[:100_000], big, ones} {
		if got, want := adler32(p), stdadler.Checksum(p); got != want {
			t.Errorf("%d bytes: %08x, want %08x", len(p), got, want)
		}
	}
}

// FuzzZlib checks Zlib against compress/zlib on any input: the same bytes
// when that succeeds within the limit, an error when it fails, and never
// a write past dst.
func FuzzZlib(f *testing.F) {
	for _, level := range levels {
		f.Add(compress(f, []byte(strings.Repeat("squashfs block of text 0123456789\n", 30)), level), uint16(2000))
	}
	f.Add(compress(f, bytes.Repeat([]byte{0, 1, 2, 3, 250}, 400), zlib.BestCompression), uint16(2000))
	f.Fuzz(func(t *testing.T, src []byte, limit uint16) {
		buf := make([]byte, int(limit)+1)
		buf[limit] = 0xAA // a byte past dst to catch overruns
		n, err := Zlib(buf[:limit], src)
		if buf[limit] != 0xAA {
			t.Fatal("wrote past len(dst)")
		}
		want, wantErr := stdInflate(src, int(limit))
		switch {
		case wantErr == nil && err == nil:
			if !bytes.Equal(buf[:n], want) {
				t.Fatalf("decoded %d bytes, compress/zlib %d, and they differ", n, len(want))
			}
		case wantErr == nil:
			t.Fatalf("compress/zlib decodes %d bytes, Zlib fails: %v", len(want), err)
		case err == nil:
			if !errors.Is(wantErr, ErrTooLarge) {
				t.Fatalf("compress/zlib fails (%v), Zlib decodes %d bytes", wantErr, n)
			}
			t.Fatalf("compress/zlib needs more than %d bytes, Zlib decodes %d", limit, n)
		case !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge):
			t.Fatalf("error %v is neither ErrCorrupt nor ErrTooLarge", err)
		}
	})
}

// stdInflate decodes src with compress/zlib, up to limit bytes of output:
// more is ErrTooLarge.
func stdInflate(src []byte, limit int) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, ErrTooLarge
	}
	return out, nil
}
