package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/mikelolasagasti/xz"
	"github.com/pierrec/lz4/v4"
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
		return &zlibDecoder{}, nil
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
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderMaxMemory(maxBlock),
			zstd.WithDecoderMaxWindow(maxBlock),
			zstd.WithDecoderConcurrency(0))
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

type zlibDecoder struct {
	pool sync.Pool // of io.ReadCloser implementing zlib.Resetter
}

func (d *zlibDecoder) Decode(dst, src []byte) (int, error) {
	br := bytes.NewReader(src)
	var zr io.ReadCloser
	if v := d.pool.Get(); v != nil {
		zr = v.(io.ReadCloser)
		if err := zr.(zlib.Resetter).Reset(br, nil); err != nil {
			return 0, corrupt(GZIP, err)
		}
	} else {
		var err error
		if zr, err = zlib.NewReader(br); err != nil {
			return 0, corrupt(GZIP, err)
		}
	}
	n, err := readInto(dst, zr)
	if err != nil {
		return 0, corrupt(GZIP, err)
	}
	d.pool.Put(zr)
	return n, nil
}

// lzma: squashfs stores "lzma alone" streams with a 13-byte header
// (properties, dictionary size, uncompressed size).
type lzmaDecoder struct{}

const lzmaHeaderLen = 13

func (lzmaDecoder) Decode(dst, src []byte) (int, error) {
	if len(src) < lzmaHeaderLen {
		return 0, corrupt(LZMA, io.ErrUnexpectedEOF)
	}
	var hdr [lzmaHeaderLen]byte
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
	n, err := readInto(dst, r)
	if err != nil {
		return 0, corrupt(LZMA, err)
	}
	return n, nil
}

// xz: squashfs stores whole xz streams, possibly with a BCJ filter in front
// of LZMA2 (mksquashfs -Xbcj). ulikunitz/xz has no BCJ filters, so xz uses
// the xz-embedded port that CalebQ42/squashfs also depends on; its dictMax
// bounds the dictionary whatever the stream claims.
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

type xzDecoder struct {
	pool sync.Pool // of *xz.Reader
}

func (d *xzDecoder) Decode(dst, src []byte) (int, error) {
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
	n, err := readInto(dst, zr)
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
