package inflate

import (
	"bytes"
	"compress/zlib"
	stdadler "hash/adler32"
	"io"
	"testing"
)

// The benchmarks decode 1 MiB of text compressed as mksquashfs does (zlib
// level 9), and check its sum, against compress/zlib and hash/adler32 as
// baselines in the same run: `go test -bench . ./function/internal/codec/inflate`.

func benchInput(b *testing.B) (data, src []byte) {
	data = inputs()["text"]
	return data, compress(b, data, zlib.BestCompression)
}

func BenchmarkZlib(b *testing.B) {
	data, src := benchInput(b)
	dst := make([]byte, len(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Zlib(dst, src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompressZlib(b *testing.B) {
	data, src := benchInput(b)
	dst := make([]byte, len(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdler32(b *testing.B) {
	data, _ := benchInput(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		adler32(data)
	}
}

func BenchmarkHashAdler32(b *testing.B) {
	data, _ := benchInput(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		stdadler.Checksum(data)
	}
}
