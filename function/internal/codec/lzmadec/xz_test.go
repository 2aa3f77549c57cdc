package lzmadec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/mikelolasagasti/xz"
)

// The xz tool (XZ Utils, liblzma) writes the streams, so the decoder is
// checked against the reference encoder, and its input is the ground truth.

func xzTool(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	return xzToolFormat(t, "xz", data, args...)
}

func xzToolFormat(t testing.TB, format string, data []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("xz", append([]string{"--format=" + format, "-c"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("xz %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out.Bytes()
}

// inputs are what squashfs blocks hold: nothing, text, noise (which the
// encoder stores uncompressed), runs, and text broken by noise, which mixes
// stored and compressed chunks.
func inputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var text bytes.Buffer
	levels := []string{"INFO", "WARN", "DEBUG", "ERROR"}
	words := strings.Fields("archive block chunk inode fragment table lookup cache region prefetch stream")
	for text.Len() < 1<<20 {
		fmt.Fprintf(&text, "2026-12-01T%02d:%02d:%02d.%06dZ %s %s %s id=%016x\n", rng.IntN(24), rng.IntN(60), rng.IntN(60),
			rng.IntN(1e6), levels[rng.IntN(4)], words[rng.IntN(len(words))], words[rng.IntN(len(words))], rng.Uint64())
	}
	noise := make([]byte, 200<<10)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	var mixed []byte
	for i := 0; i < 6; i++ {
		mixed = append(mixed, text.Bytes()[i*50<<10:(i+1)*50<<10]...)
		mixed = append(mixed, noise[i*30<<10:(i+1)*30<<10]...)
	}
	return map[string][]byte{
		"empty": {},
		"one":   {'x'},
		"text":  text.Bytes()[:1<<20],
		"noise": noise,
		"runs":  bytes.Repeat([]byte{0, 0, 0, 0, 'a', 'b'}, 170<<10),
		"mixed": mixed,
	}
}

// options cover the presets, every check, extreme literal and position
// contexts, a small dictionary, the fast mode and several blocks.
var options = [][]string{
	{"-0"},
	{"-6"},
	{"-9e"},
	{"--check=none"},
	{"--check=crc32"},
	{"--check=crc64"},
	{"--check=sha256"},
	{"--lzma2=dict=4KiB,lc=4,lp=0,pb=0"},
	{"--lzma2=preset=6,lc=0,lp=4,pb=4"},
	{"--lzma2=preset=1,lc=1,lp=3,pb=2,mode=fast,mf=hc3"},
	{"--block-size=64KiB"},
}

func TestAgainstXZTool(t *testing.T) {
	for name, data := range inputs() {
		for _, opts := range options {
			src := xzTool(t, data, opts...)
			dst := make([]byte, len(data))
			n, err := XZ(dst, src)
			if err != nil || !bytes.Equal(dst[:n], data) {
				t.Fatalf("%s %v: %d of %d bytes, %v", name, opts, n, len(data), err)
			}
			if len(data) > 0 {
				if _, err := XZ(dst[:len(data)-1], src); !errors.Is(err, ErrTooLarge) {
					t.Errorf("%s %v into %d bytes: %v, want ErrTooLarge", name, opts, len(data)-1, err)
				}
			}
		}
	}
}

// TestAgainstXZEmbedded decodes the same streams with the xz-embedded port
// the codec falls back to: both must give the input.
func TestAgainstXZEmbedded(t *testing.T) {
	data := inputs()["mixed"]
	src := xzTool(t, data, "--lzma2=preset=6,dict=1MiB") // its dictionary's limit, as the codec sets it
	r, err := xz.NewReader(bytes.NewReader(src), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(want, data) {
		t.Fatalf("xz-embedded: %d bytes, %v", len(want), err)
	}
	dst := make([]byte, len(data))
	if n, err := XZ(dst, src); err != nil || !bytes.Equal(dst[:n], want) {
		t.Fatalf("%d bytes, %v", n, err)
	}
}

func TestUnsupported(t *testing.T) {
	data := inputs()["text"][:100<<10]
	one := xzTool(t, data)
	tests := map[string][]byte{
		"x86 filter":         xzTool(t, data, "--x86", "--lzma2"),
		"delta filter":       xzTool(t, data, "--delta=dist=4", "--lzma2"),
		"two streams":        append(bytes.Clone(one), one...),
		"data after":         append(bytes.Clone(one), 1, 2, 3, 4),
		"reserved check (2)": withCheck(one, 2),
	}
	for name, src := range tests {
		dst := make([]byte, 2*len(data))
		if _, err := XZ(dst, src); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", name, err)
		}
	}
	// Stream padding is part of the stream.
	dst := make([]byte, len(data))
	if n, err := XZ(dst, append(bytes.Clone(one), 0, 0, 0, 0, 0, 0, 0, 0)); err != nil || n != len(data) {
		t.Errorf("with stream padding: %d, %v", n, err)
	}
}

// withCheck rewrites the check type in the stream's header and footer.
func withCheck(src []byte, check byte) []byte {
	b := bytes.Clone(src)
	for _, flags := range [][]byte{b[6:8], b[len(b)-4 : len(b)-2]} {
		flags[1] = check
	}
	binary.LittleEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[6:8]))
	binary.LittleEndian.PutUint32(b[len(b)-12:], crc32.ChecksumIEEE(b[len(b)-8:len(b)-2]))
	return b
}

func TestTruncated(t *testing.T) {
	data := inputs()["mixed"]
	for _, opts := range [][]string{{"-6"}, {"--block-size=64KiB"}} {
		src := xzTool(t, data, opts...)
		dst := make([]byte, len(data))
		for _, cut := range []int{0, 1, 6, 11, 12, 13, 20, len(src) / 3, len(src) / 2, len(src) - 40, len(src) - 13, len(src) - 12, len(src) - 1} {
			if _, err := XZ(dst, src[:cut]); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%v cut to %d of %d bytes: %v, want ErrCorrupt", opts, cut, len(src), err)
			}
		}
	}
	// Every cut of a short stream, one block and one chunk.
	src := xzTool(t, []byte("squashfs xz block, squashfs xz block"))
	dst := make([]byte, 64)
	for cut := range len(src) {
		if _, err := XZ(dst, src[:cut]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut to %d of %d bytes: %v, want ErrCorrupt", cut, len(src), err)
		}
	}
}

func TestCorrupt(t *testing.T) {
	data := []byte(strings.Repeat("squashfs block ", 1000))
	src := xzTool(t, data)
	// The layout xz writes for one block: a 12-byte header, a 12-byte
	// block header, LZMA2 data, padding, a CRC-32, the index, the footer.
	const block, chunk = 12, 24
	mutate := func(f func(b []byte)) []byte {
		b := bytes.Clone(src)
		f(b)
		return b
	}
	end := len(src) - 12 - 12 // the index's start: 12 bytes of index, then the footer
	tests := map[string]struct {
		src  []byte
		want error
	}{
		"magic":               {mutate(func(b []byte) { b[0] = 0 }), errHeader},
		"header CRC":          {mutate(func(b []byte) { b[8] ^= 1 }), errHeader},
		"block header CRC":    {mutate(func(b []byte) { b[block+2] ^= 1 }), errBlock},
		"no dictionary reset": {mutate(func(b []byte) { b[chunk] = 0x80 }), errControl},
		"control byte":        {mutate(func(b []byte) { b[chunk] = 0x03 }), errControl},
		"lc + lp over 4":      {mutate(func(b []byte) { b[chunk+5] = 4*9 + 1 }), errProps},
		"range coder start":   {mutate(func(b []byte) { b[chunk+6] = 1 }), errRange},
		"check":               {mutate(func(b []byte) { b[end-1] ^= 1 }), errCheck},
		"index records":       {mutate(func(b []byte) { b[end+1] = 2 }), errIndex},
		"footer magic":        {mutate(func(b []byte) { b[len(b)-1] = 'X' }), errFooter},
		"footer CRC":          {mutate(func(b []byte) { b[len(b)-12] ^= 1 }), errFooter},
	}
	if src[chunk] != 0xe0 {
		t.Fatalf("xz's first chunk has control byte %#x, want 0xe0", src[chunk])
	}
	for name, tt := range tests {
		dst := make([]byte, len(data))
		if _, err := XZ(dst, tt.src); !errors.Is(err, tt.want) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
}

// TestBitFlips flips every bit of a stream with no check: each decode
// must end without a crash or a write past dst, and any error must wrap
// ErrCorrupt.
func TestBitFlips(t *testing.T) {
	data := inputs()["text"][:4<<10]
	src := xzTool(t, data, "--check=none")
	buf := make([]byte, len(data)+64)
	for i := range len(src) * 8 {
		b := bytes.Clone(src)
		b[i/8] ^= 1 << (i % 8)
		checkedDecode(t, XZ, buf, len(data), b)
	}
}

// checkedDecode decodes src into buf[:n] with decode and fails if it
// wrote past it or returned an error that wraps none of the package's.
func checkedDecode(t *testing.T, decode func(dst, src []byte) (int, error), buf []byte, n int, src []byte) (int, error) {
	t.Helper()
	for i := n; i < len(buf); i++ {
		buf[i] = 0xa5
	}
	got, err := decode(buf[:n], src)
	for i := n; i < len(buf); i++ {
		if buf[i] != 0xa5 {
			t.Fatalf("wrote past dst at %d", i)
		}
	}
	switch {
	case err == nil && (got < 0 || got > n):
		t.Fatalf("returned %d bytes for a %d-byte dst", got, n)
	case err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnsupported):
		t.Fatalf("error %v wraps none of the package's", err)
	case err != nil && got != 0:
		t.Fatalf("error %v with %d bytes", err, got)
	}
	return got, err
}

// FuzzXZ checks the decoder against the xz-embedded port on any input:
// where both decode, the same bytes; and never a crash or a write past dst.
func FuzzXZ(f *testing.F) {
	for _, opts := range [][]string{{"-6"}, {"--check=none", "--lzma2=dict=4KiB,lc=0,lp=4,pb=4"}, {"--block-size=4KiB", "--check=crc64"}} {
		f.Add(xzTool(f, inputs()["mixed"][:16<<10], opts...))
	}
	buf := make([]byte, 64<<10+64)
	f.Fuzz(func(t *testing.T, src []byte) {
		n, err := checkedDecode(t, XZ, buf, 64<<10, src)
		if err != nil {
			return
		}
		got := bytes.Clone(buf[:n])
		r, err := xz.NewReader(bytes.NewReader(src), 1<<20)
		if err != nil {
			return // it refuses what liblzma accepts, dictionaries over 1 MiB among them
		}
		want, err := readAll(r, 64<<10+1)
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("decoded %d bytes, xz-embedded %d", len(got), len(want))
		}
	})
}

// readAll reads at most max bytes from r. xz-embedded can answer a damaged
// stream with empty reads and no error, forever: that is an error here.
func readAll(r io.Reader, max int) ([]byte, error) {
	buf := make([]byte, max)
	n, stalls := 0, 0
	for n < max {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return buf[:n], nil
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			if stalls++; stalls > 100 {
				return nil, io.ErrNoProgress
			}
		}
	}
	return buf[:n], nil
}
