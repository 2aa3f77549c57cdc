package libsquashfs

import (
	"bytes"
	"errors"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// FuzzDecode feeds arbitrary blocks to libsquashfs through the native
// engine. It must never crash or overrun dst, every failure must wrap
// codec.ErrCorrupt, and where codec.Go also accepts the block both must give
// the same bytes. Seeds: testdata/fuzz/FuzzDecode plus the first block of
// each fixture.
func FuzzDecode(f *testing.F) {
	native, err := Load(layerLib)
	if err != nil {
		f.Fatal(err)
	}
	fx, err := fixtures()
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"gzip", "lzma", "xz", "lz4", "zstd"} {
		fi := fx[name]
		b := fi.blocks[0]
		f.Add(uint8(fi.id), fi.image[b.off:b.off+b.size])
	}
	decoders := map[codec.ID][2]codec.Decoder{}
	for _, id := range []codec.ID{codec.GZIP, codec.LZMA, codec.XZ, codec.LZ4, codec.ZSTD} {
		n, err := native.NewDecoder(id, nil)
		if err != nil {
			f.Fatal(err)
		}
		g, err := codec.Go.NewDecoder(id, nil)
		if err != nil {
			f.Fatal(err)
		}
		decoders[id] = [2]codec.Decoder{n, g}
	}
	f.Fuzz(func(t *testing.T, id uint8, src []byte) {
		ds, ok := decoders[codec.ID(id)]
		if !ok {
			return
		}
		// Room for the seeds' 128 KiB blocks; small enough that "does not
		// fit" stays a path the fuzzer reaches.
		dst := make([]byte, 256<<10)
		n, err := ds[0].Decode(dst, src)
		if err != nil {
			if !errors.Is(err, codec.ErrCorrupt) || n != 0 {
				t.Fatalf("native: %d, %v; want 0 and ErrCorrupt", n, err)
			}
			return
		}
		if n < 0 || n > len(dst) {
			t.Fatalf("native wrote %d bytes into %d", n, len(dst))
		}
		want := make([]byte, len(dst))
		m, err := ds[1].Decode(want, src)
		if err == nil && !bytes.Equal(dst[:n], want[:m]) {
			t.Fatalf("native and go disagree: %d vs %d bytes", n, m)
		}
	})
}
