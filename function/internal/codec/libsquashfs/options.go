package libsquashfs

import (
	"encoding/binary"
	"fmt"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// checkOptions validates the compressor options block stored in an archive
// (nil when the archive has none). The rules follow the squashfs format: the
// same ones codec.Go applies, so both engines accept the same archives.
func checkOptions(id codec.ID, o []byte) error {
	if o == nil {
		return nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %v options: %s", codec.ErrCorrupt, id, fmt.Sprintf(format, args...))
	}
	want := map[codec.ID]int{codec.GZIP: 8, codec.LZMA: 0, codec.LZO: 8, codec.XZ: 8, codec.LZ4: 8, codec.ZSTD: 4}
	n, known := want[id]
	if !known {
		return fmt.Errorf("%w: %v", codec.ErrUnsupported, id)
	}
	if len(o) != n {
		return bad("want %d bytes, got %d", n, len(o))
	}
	switch id {
	case codec.GZIP:
		level, window := binary.LittleEndian.Uint32(o), binary.LittleEndian.Uint16(o[4:])
		if level < 1 || level > 9 || window < 8 || window > 15 {
			return bad("level %d, window %d out of range", level, window)
		}
	case codec.XZ:
		dict, filters := binary.LittleEndian.Uint32(o), binary.LittleEndian.Uint32(o[4:])
		if dict < 4096 || dict > maxBlock {
			return bad("dictionary size %d out of range", dict)
		}
		if filters&^0x3f != 0 {
			return fmt.Errorf("%w: xz filter mask %#x", codec.ErrUnsupported, filters)
		}
	case codec.LZ4:
		if v := binary.LittleEndian.Uint32(o); v != 1 {
			return fmt.Errorf("%w: lz4 format version %d", codec.ErrUnsupported, v)
		}
	case codec.ZSTD:
		if l := binary.LittleEndian.Uint32(o); l < 1 || l > 22 {
			return bad("level %d out of range", l)
		}
	}
	return nil
}
