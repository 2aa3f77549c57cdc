package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/mikelolasagasti/xz"
	"github.com/pierrec/lz4/v4"
	"github.com/s3archivefs/s3archivefs/function/internal/codec/inflate"
	"github.com/s3archivefs/s3archivefs/function/internal/codec/lzmadec"
	"github.com/ulikunitz/xz/lzma"
)

// maxBlock is the largest block the squashfs format allows (1 MiB data
// blocks); no decoder state is sized beyond it, whatever a block claims.
const maxBlock = 1 << 20

// Go is the pure-Go engine. It decodes every compressor the format defines.
var Go Engine = goEngine{}

type goEngine struct{}

func (goEngine) Name() string { return "go" }

func (goEngine) NewDecoder(id ID, options []byte) (Decoder, error) {
	switch id {
	case GZIP:
		if err := checkGzipOptions(options); err != nil {
			return nil, err
		}
		return zlibDecoder{}, nil
	case LZMA:
		if len(options) != 0 {
			return nil, fmt.Errorf("codec: lzma takes no compressor options, got %d bytes", len(options))
		}
		return lzmaDecoder{}, nil
	case LZO:
		if err := checkLZOOptions(options); err != nil {
			return nil, err
		}
		return lzoDecoder{}, nil
	case XZ:
		if err := checkXZOptions(options); err != nil {
			return nil, err
		}
		return &xzDecoder{}, nil
	case LZ4:
		if err := checkLZ4Options(options); err != nil {
			return nil, err
		}
		return lz4Decoder{}, nil
	case ZSTD:
		if err := checkZstdOptions(options); err != nil {
			return nil, err
		}
		d, err := sharedZstd()
		if err != nil {
			return nil, fmt.Errorf("codec: zstd: %w", err)
		}
		return zstdDecoder{d}, nil
	}
	return nil, fmt.Errorf("%w: %v", ErrUnsupported, id)
}

func corrupt(id ID, err error) error {
	return fmt.Errorf("%w: %v: %w", ErrCorrupt, id, err)
}

var errTooLarge = errors.New("block expands beyond its limit")

// readInto fills dst from a decompressing reader and checks that the
// stream ends there: a block that would produce more than len(dst) bytes is
// corrupt. The reader's errors (including a truncated stream) are returned
// as they are; callers wrap them.
func readInto(dst []byte, r io.Reader) (int, error) {
	n, stalls := 0, 0
	for n < len(dst) {
		m, err := r.Read(dst[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			if stalls++; stalls > 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	var one [1]byte
	for range 100 {
		m, err := r.Read(one[:])
		if m > 0 {
			return n, errTooLarge
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, io.ErrNoProgress
}

// gzip: squashfs stores zlib streams. The options (level, window size,
// strategies) only steer the compressor; a deflate decoder handles every
// window size, so they are validated and otherwise unused.
func checkGzipOptions(o []byte) error {
	if o == nil {
		return nil
	}
	if len(o) != 8 {
		return fmt.Errorf("codec: gzip options: want 8 bytes, got %d", len(o))
	}
	level := binary.LittleEndian.Uint32(o)
	window := binary.LittleEndian.Uint16(o[4:])
	if level < 1 || level > 9 || window < 8 || window > 15 {
		return fmt.Errorf("codec: gzip options: level %d, window %d out of range", level, window)
	}
	return nil
}

// zlibDecoder decodes with inflate, which writes straight into dst (a
// general zlib reader decodes into its window and copies out).
type zlibDecoder struct{}

func (zlibDecoder) Decode(dst, src []byte) (int, error) {
	n, err := inflate.Zlib(dst, src)
	if err != nil {
		return 0, corrupt(GZIP, err)
	}
	return n, nil
}

// lzma: squashfs stores "lzma alone" streams with a 13-byte header
// (properties, dictionary size, uncompressed size). lzmadec decodes them
// straight into dst; ulikunitz/xz takes what it leaves (literal contexts
// past lc + lp = 4).
type lzmaDecoder struct{}

const lzmaHeaderLen = 13

func (lzmaDecoder) Decode(dst, src []byte) (int, error) {
	n, err := lzmadec.Alone(dst, src)
	switch {
	case err == nil:
		return n, nil
	case !errors.Is(err, lzmadec.ErrUnsupported):
		return 0, corrupt(LZMA, err)
	}
	var hdr [lzmaHeaderLen]byte // lzmadec has checked it is there
	copy(hdr[:], src)
	if size := binary.LittleEndian.Uint64(hdr[5:]); size != ^uint64(0) && size > uint64(len(dst)) {
		return 0, corrupt(LZMA, errTooLarge)
	}
	// The header's dictionary size is what the decoder allocates. Matches
	// never reach further back than the block's own output, so a dictionary
	// as large as dst is always enough: clamp it rather than trust it.
	limit := uint32(max(len(dst), lzma.MinDictCap))
	if binary.LittleEndian.Uint32(hdr[1:]) > limit {
		binary.LittleEndian.PutUint32(hdr[1:], limit)
	}
	r, err := lzma.NewReader(io.MultiReader(bytes.NewReader(hdr[:]), bytes.NewReader(src[lzmaHeaderLen:])))
	if err != nil {
		return 0, corrupt(LZMA, err)
	}
	n, err = readInto(dst, r)
	if err != nil {
		return 0, corrupt(LZMA, err)
	}
	return n, nil
}

// xz: squashfs stores whole xz streams, possibly with a BCJ filter in front
// of LZMA2 (mksquashfs -Xbcj).
func checkXZOptions(o []byte) error {
	if o == nil {
		return nil
	}
	if len(o) != 8 {
		return fmt.Errorf("codec: xz options: want 8 bytes, got %d", len(o))
	}
	dict := binary.LittleEndian.Uint32(o)
	filters := binary.LittleEndian.Uint32(o[4:])
	if dict < 4096 || dict > maxBlock {
		return fmt.Errorf("codec: xz options: dictionary size %d out of range", dict)
	}
	if filters&^0x3f != 0 {
		return fmt.Errorf("%w: xz filter mask %#x", ErrUnsupported, filters)
	}
	return nil
}

// xzDecoder decodes with lzmadec, which writes straight into dst, the
// streams mksquashfs writes by default (LZMA2 alone). The rest (BCJ
// filters) go to the xz-embedded port that CalebQ42/squashfs also depends
// on (ulikunitz/xz has no BCJ filters), whose dictMax bounds the
// dictionary whatever the stream claims.
type xzDecoder struct {
	pool sync.Pool // of *xz.Reader
}

func (d *xzDecoder) Decode(dst, src []byte) (int, error) {
	n, err := lzmadec.XZ(dst, src)
	switch {
	case err == nil:
		return n, nil
	case !errors.Is(err, lzmadec.ErrUnsupported):
		return 0, corrupt(XZ, err)
	}
	br := bytes.NewReader(src)
	var zr *xz.Reader
	if v := d.pool.Get(); v != nil {
		zr = v.(*xz.Reader)
		if err := zr.Reset(br); err != nil {
			return 0, corrupt(XZ, err)
		}
	} else {
		var err error
		if zr, err = xz.NewReader(br, maxBlock); err != nil {
			return 0, corrupt(XZ, err)
		}
	}
	n, err = readInto(dst, zr)
	if err != nil {
		return 0, corrupt(XZ, err)
	}
	d.pool.Put(zr)
	return n, nil
}

// lz4: raw LZ4 blocks; only the "legacy" format version 1 exists.
func checkLZ4Options(o []byte) error {
	if o == nil {
		return nil
	}
	if len(o) != 8 {
		return fmt.Errorf("codec: lz4 options: want 8 bytes, got %d", len(o))
	}
	if v := binary.LittleEndian.Uint32(o); v != 1 {
		return fmt.Errorf("%w: lz4 format version %d", ErrUnsupported, v)
	}
	return nil
}

type lz4Decoder struct{}

func (lz4Decoder) Decode(dst, src []byte) (int, error) {
	n, err := lz4.UncompressBlock(src, dst)
	if err != nil {
		return 0, corrupt(LZ4, err)
	}
	return n, nil
}

func checkZstdOptions(o []byte) error {
	if o == nil {
		return nil
	}
	if len(o) != 4 {
		return fmt.Errorf("codec: zstd options: want 4 bytes, got %d", len(o))
	}
	if l := binary.LittleEndian.Uint32(o); l < 1 || l > 22 {
		return fmt.Errorf("codec: zstd options: level %d out of range", l)
	}
	return nil
}

// sharedZstd is the process's zstd decoder, shared by every archive
// (DecodeAll is safe for concurrent use; it runs up to GOMAXPROCS decodes
// at a time). A new decoder's first decodes allocate its state, and the
// package's first its tables: 0.1-0.3 ms that a decoder per archive paid
// on the first GET of each archive a process opened.
var sharedZstd = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderMaxMemory(maxBlock),
		zstd.WithDecoderMaxWindow(maxBlock),
		zstd.WithDecoderConcurrency(0))
})

// warmFrame is a zstd frame of 680 bytes of file names (Huffman literals
// and FSE sequences, as squashfs's metadata blocks have), compressed by
// klauspost/compress: TestWarmFrame checks what it holds.
var warmFrame = []byte{
	0x28, 0xb5, 0x2f, 0xfd, 0x60, 0xa8, 0x01, 0x95, 0x04, 0x00, 0x82, 0x89, 0x16, 0x12, 0xc0, 0x81,
	0x70, 0x20, 0xe3, 0xb3, 0x2e, 0x8e, 0x94, 0x52, 0xca, 0x94, 0x52, 0x4a, 0x5d, 0x42, 0x74, 0x04,
	0xc2, 0x30, 0x18, 0x02, 0xfe, 0x65, 0x77, 0x49, 0x6b, 0x33, 0x6a, 0x14, 0xc2, 0x36, 0x4e, 0x9f,
	0x7b, 0x64, 0x3d, 0x14, 0x8f, 0xab, 0x92, 0x4a, 0x44, 0xeb, 0x44, 0x66, 0xf4, 0x24, 0xce, 0x6c,
	0x17, 0x6f, 0x42, 0xe4, 0x55, 0x71, 0xab, 0x11, 0x24, 0xc6, 0x48, 0xf2, 0xc7, 0xec, 0xdf, 0xd8,
	0x76, 0xa5, 0x58, 0xb1, 0xb6, 0x12, 0x14, 0xf4, 0x93, 0xf4, 0xa7, 0x63, 0x6e, 0x02, 0x61, 0x18,
	0x0c, 0x81, 0x05, 0x00, 0x6c, 0x13, 0x04, 0x4e, 0xa8, 0x10, 0x80, 0x6a, 0x14, 0x01, 0xf0, 0x05,
	0x01, 0x10, 0x00, 0x67, 0x05, 0x1f, 0x41, 0x62, 0xc5, 0xf9, 0x06, 0xe2, 0x75, 0x68, 0x62, 0xbf,
	0xf0, 0x2b, 0x9a, 0x6f, 0x20, 0xaf, 0x43, 0x73, 0x04, 0xa7, 0x67, 0x8c, 0xdc, 0xa2, 0x60, 0x25,
	0xf8, 0x86, 0xe5, 0x53, 0x6e, 0xf2, 0x41, 0xf2, 0x76, 0xdc, 0xf7, 0x01,
}

// Warm readies the pure-Go zstd decoder, so that the first GET of a zstd
// archive does not pay for it: a process calls it once at start, off the
// request path. The decoder hands its decodes round to each of its
// GOMAXPROCS states in turn; twice round warms them all.
func Warm() {
	d, err := sharedZstd()
	if err != nil {
		return
	}
	buf := make([]byte, 0, 1024)
	for range 2 * runtime.GOMAXPROCS(0) {
		d.DecodeAll(warmFrame, buf[:0])
	}
}

// zstdDecoder relies on zstd.Decoder.DecodeAll being safe for concurrent
// use; WithDecoderMaxMemory bounds what a lying frame header can allocate.
type zstdDecoder struct{ d *zstd.Decoder }

func (z zstdDecoder) Decode(dst, src []byte) (int, error) {
	out, err := z.d.DecodeAll(src, dst[:0])
	if err != nil {
		return 0, corrupt(ZSTD, err)
	}
	if len(out) > len(dst) {
		return 0, corrupt(ZSTD, errTooLarge)
	}
	if len(out) > 0 && &out[0] != &dst[0] {
		copy(dst, out)
	}
	return len(out), nil
}
