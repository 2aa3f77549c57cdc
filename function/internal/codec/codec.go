// Package codec decompresses squashfs blocks.
//
// An Engine makes a Decoder for one compressor (with the compressor options
// stored in the archive). The pure-Go engine is always available; a native
// engine backed by libsquashfs from the Lambda layer can be plugged in.
package codec

import (
	"errors"
	"fmt"
)

// ID is a compressor id as stored in the squashfs superblock.
type ID uint16

// Compressor ids defined by the squashfs format.
const (
	GZIP ID = 1
	LZMA ID = 2
	LZO  ID = 3
	XZ   ID = 4
	LZ4  ID = 5
	ZSTD ID = 6
)

func (id ID) String() string {
	switch id {
	case GZIP:
		return "gzip"
	case LZMA:
		return "lzma"
	case LZO:
		return "lzo"
	case XZ:
		return "xz"
	case LZ4:
		return "lz4"
	case ZSTD:
		return "zstd"
	}
	return fmt.Sprintf("compressor(%d)", uint16(id))
}

// ErrUnsupported is returned by an Engine that cannot decode a compressor.
var ErrUnsupported = errors.New("codec: unsupported compressor")

// ErrCorrupt is returned when a block does not decompress, or would
// decompress to more than the destination holds.
var ErrCorrupt = errors.New("codec: corrupt block")

// A Decoder decompresses single blocks. It is safe for concurrent use.
type Decoder interface {
	// Decode decompresses src into dst and returns the number of bytes
	// written. len(dst) is the most the block may expand to; a block that
	// would expand beyond it is an error wrapping ErrCorrupt. The bytes
	// between len(dst) and cap(dst) may be overwritten (see DstSlack).
	Decode(dst, src []byte) (int, error)
}

// DstSlack is the capacity a caller leaves past len(dst) where it can: a
// decoder may copy in strides that overrun the output's end, never
// returning those bytes. klauspost's zstd needs 16 for its wider copies,
// which decode the bench's 1 MiB log blocks 14% faster (926 against 814
// MB/s, medians of eight interleaved runs).
const DstSlack = 16

// An Engine makes Decoders.
type Engine interface {
	// Name identifies the engine in logs ("go", "native").
	Name() string
	// NewDecoder returns a Decoder for the compressor id, configured with
	// the compressor options block stored in the archive (nil if none).
	NewDecoder(id ID, options []byte) (Decoder, error)
}
