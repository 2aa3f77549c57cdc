package libsquashfs

import (
	"fmt"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// benchRecipes: one image per compressor, 1 MiB blocks (the block size the
// project recommends), built with mksquashfs' defaults (gensquashfs for
// lzma, which mksquashfs does not write).
var benchRecipes = []recipe{
	{name: "bench-gzip", tool: "mksquashfs", comp: "gzip", id: codec.GZIP, blockSize: 1 << 20, blocks: 4},
	{name: "bench-lzma", tool: "gensquashfs", comp: "lzma", id: codec.LZMA, blockSize: 1 << 20, blocks: 4},
	{name: "bench-lzo", tool: "mksquashfs", comp: "lzo", id: codec.LZO, blockSize: 1 << 20, blocks: 4},
	{name: "bench-xz", tool: "mksquashfs", comp: "xz", id: codec.XZ, blockSize: 1 << 20, blocks: 4},
	{name: "bench-lz4", tool: "mksquashfs", comp: "lz4", id: codec.LZ4, blockSize: 1 << 20, blocks: 4},
	{name: "bench-zstd", tool: "mksquashfs", comp: "zstd", id: codec.ZSTD, blockSize: 1 << 20, blocks: 4},
}

// BenchmarkDecode reports MB/s of uncompressed output per compressor and
// engine: BenchmarkDecode/<compressor>/<engine>. The native engine is the
// layer's libsquashfs; LZO has no native run (the library lacks it).
func BenchmarkDecode(b *testing.B) {
	native, err := Load(layerLib)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range benchRecipes {
		f, err := build(fixtureDir, r)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range []codec.Engine{codec.Go, native} {
			b.Run(fmt.Sprintf("%s/%s", r.comp, e.Name()), func(b *testing.B) {
				d, err := e.NewDecoder(r.id, f.options)
				if err != nil {
					b.Skipf("%s: %v", e.Name(), err)
				}
				dst := make([]byte, r.blockSize)
				b.SetBytes(int64(r.blockSize * len(f.blocks)))
				b.ResetTimer()
				for range b.N {
					for _, bl := range f.blocks {
						if _, err := d.Decode(dst, f.image[bl.off:bl.off+bl.size]); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
