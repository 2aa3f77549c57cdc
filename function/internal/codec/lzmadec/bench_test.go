package lzmadec

import (
	"bytes"
	"testing"

	"github.com/mikelolasagasti/xz"
)

// The benchmarks decode 1 MiB of log-like text compressed as mksquashfs
// does (xz's default preset, a 1 MiB dictionary), against the xz-embedded
// port as a baseline in the same run: `go test -bench . ./function/internal/codec/lzmadec`.
// BenchmarkDecode in ../libsquashfs sets the Go engine against liblzma.

func benchInput(b *testing.B) (data, src []byte) {
	data = inputs()["text"]
	return data, xzTool(b, data, "--lzma2=preset=6,dict=1MiB")
}

func BenchmarkXZ(b *testing.B) {
	data, src := benchInput(b)
	dst := make([]byte, len(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := XZ(dst, src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkXZEmbedded(b *testing.B) {
	data, src := benchInput(b)
	dst := make([]byte, len(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := xz.NewReader(bytes.NewReader(src), 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := readAll(r, len(dst)); err != nil {
			b.Fatal(err)
		}
	}
}
