package lzmadec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ulikunitz/xz/lzma"
)

// lzmaTool writes an lzma alone stream with the xz tool: unknown size and
// an end marker, as liblzma's encoder does.
func lzmaTool(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	return xzToolFormat(t, "lzma", data, args...)
}

// withSize writes the uncompressed size into an alone header, as
// squashfs-tools-ng does after encoding: a known size and an end marker.
func withSize(src []byte, n int) []byte {
	b := bytes.Clone(src)
	binary.LittleEndian.PutUint64(b[5:], uint64(n))
	return b
}

// noEndMarker writes a stream with a known size and no end marker
// (ulikunitz/xz's encoder can).
func noEndMarker(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := lzma.WriterConfig{DictCap: 1 << 20, Size: int64(len(data)), SizeInHeader: true}.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var aloneOptions = [][]string{
	{"-0"},
	{"-6"},
	{"--lzma1=preset=6,lc=4,lp=0,pb=0"},
	{"--lzma1=preset=1,lc=0,lp=4,pb=4,mode=fast"},
	{"--lzma1=dict=4KiB"},
}

func TestAloneAgainstXZTool(t *testing.T) {
	for name, data := range inputs() {
		for _, opts := range aloneOptions {
			unknown := lzmaTool(t, data, opts...)
			for form, src := range map[string][]byte{"unknown size": unknown, "known size": withSize(unknown, len(data))} {
				dst := make([]byte, len(data))
				n, err := Alone(dst, src)
				if err != nil || !bytes.Equal(dst[:n], data) {
					t.Fatalf("%s %v, %s: %d of %d bytes, %v", name, opts, form, n, len(data), err)
				}
				if len(data) > 0 {
					if _, err := Alone(dst[:len(data)-1], src); !errors.Is(err, ErrTooLarge) {
						t.Errorf("%s %v, %s, into %d bytes: %v, want ErrTooLarge", name, opts, form, len(data)-1, err)
					}
				}
			}
		}
	}
}

func TestAloneWithoutEndMarker(t *testing.T) {
	for name, data := range inputs() {
		if len(data) == 0 {
			continue // ulikunitz/xz writes an empty stream's size as unknown
		}
		src := noEndMarker(t, data)
		dst := make([]byte, len(data)+100)
		if n, err := Alone(dst, src); err != nil || !bytes.Equal(dst[:n], data) {
			t.Fatalf("%s: %d of %d bytes, %v", name, n, len(data), err)
		}
		// Trailing bytes are not the stream's.
		if n, err := Alone(dst, append(bytes.Clone(src), 1, 2, 3)); err != nil || n != len(data) {
			t.Errorf("%s with trailing bytes: %d, %v", name, n, err)
		}
	}
}

func TestAloneFailures(t *testing.T) {
	data := inputs()["mixed"]
	src := lzmaTool(t, data)
	dst := make([]byte, len(data))
	for _, cut := range []int{0, 5, 12, 13, 17, len(src) / 2, len(src) - 6, len(src) - 1} {
		if _, err := Alone(dst, src[:cut]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut to %d of %d bytes: %v, want ErrCorrupt", cut, len(src), err)
		}
	}
	// A declared size the data runs past, or that its end marker does
	// not reach.
	for _, n := range []int{len(data) - 1000, len(data) + 1000} {
		if _, err := Alone(make([]byte, len(data)+1000), withSize(src, n)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("declared size %d for %d bytes: %v, want ErrCorrupt", n, len(data), err)
		}
	}
	bad := bytes.Clone(src)
	bad[0] = 225
	if _, err := Alone(dst, bad); !errors.Is(err, errProps) {
		t.Errorf("properties byte 225: %v, want errProps", err)
	}
	wide := bytes.Clone(src)
	wide[0] = (2*5+1)*9 + 4 // lc 4, lp 1: liblzma takes it, this package leaves it
	if _, err := Alone(dst, wide); !errors.Is(err, ErrUnsupported) {
		t.Errorf("lc + lp = 5: %v, want ErrUnsupported", err)
	}
}

// FuzzAlone checks the decoder against ulikunitz/xz on any input: where
// both decode, the same bytes; and never a crash or a write past dst.
func FuzzAlone(f *testing.F) {
	data := inputs()["mixed"][:16<<10]
	f.Add(lzmaTool(f, data))
	f.Add(withSize(lzmaTool(f, data, "--lzma1=dict=4KiB,lc=0,lp=4,pb=4"), len(data)))
	f.Add(noEndMarker(f, data))
	f.Add(lzmaTool(f, inputs()["noise"][:96<<10])) // past the input window
	buf := make([]byte, 128<<10+64)
	f.Fuzz(func(t *testing.T, src []byte) {
		n, err := checkedDecode(t, Alone, buf, 128<<10, src)
		if err != nil {
			return
		}
		got := bytes.Clone(buf[:n])
		// ulikunitz/xz allocates the dictionary the header asks for: clamp
		// it, as the codec does (matches cannot reach before dst anyway).
		ref := bytes.Clone(src)
		if binary.LittleEndian.Uint32(ref[1:]) > 1<<20 {
			binary.LittleEndian.PutUint32(ref[1:], 1<<20)
		}
		r, err := lzma.NewReader(bytes.NewReader(ref))
		if err != nil {
			return
		}
		want, err := readAll(r, 128<<10+1)
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("decoded %d bytes, ulikunitz/xz %d", len(got), len(want))
		}
	})
}

// TestAloneWindowEdges cuts a stream longer than the decoder's input
// window at every length around the window's end: each must fail, never
// read out of bounds.
func TestAloneWindowEdges(t *testing.T) {
	src := lzmaTool(t, inputs()["noise"]) // incompressible: about 200 KiB of data
	dst := make([]byte, 200<<10)
	for cut := aloneHeader + maxPacked - 80; cut < aloneHeader+maxPacked+2*maxSymbolBytes; cut++ {
		if _, err := Alone(dst, src[:cut]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut to %d bytes: %v, want ErrCorrupt", cut, err)
		}
	}
}

// TestWindow checks window's promise to the decoder: past it, a symbol
// has maxSymbolBytes of buffer ahead, wherever the input ends.
func TestWindow(t *testing.T) {
	d := new(decoder)
	in := make([]byte, 3*maxPacked)
	for _, n := range []int{maxPacked + 1, maxPacked + 20, maxPacked + maxSymbolBytes, 2*maxPacked + 7, len(in)} {
		for _, pos := range []int{maxPacked - 1, maxPacked, maxPacked + 1, maxPacked + 30, maxPacked + maxSymbolBytes - 1} {
			if pos > n {
				continue
			}
			r, base, err := d.window(rangeDec{pos: pos, in: &d.in}, 0, in[:n])
			if err != nil {
				t.Fatalf("input %d, at %d: %v", n, pos, err)
			}
			if r.pos > maxPacked || base+r.pos != pos {
				t.Errorf("input %d, at %d: window at %d, position %d; want the same byte, at most %d into the window", n, pos, base, r.pos, maxPacked)
			}
		}
	}
	if _, _, err := d.window(rangeDec{pos: 11, in: &d.in}, 0, in[:10]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("past the input: %v, want ErrCorrupt", err)
	}
}
