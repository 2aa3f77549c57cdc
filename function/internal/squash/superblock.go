// Package squash reads squashfs archives through an io.ReaderAt.
//
// It answers stat, list (in byte order) and read [off, off+n) for paths in
// the archive, reading only the blocks a request needs and keeping
// decompressed metadata and fragment blocks in a byte-bounded LRU shared by
// all views of an archive.
//
// The on-disk structures are decoded here rather than with
// CalebQ42/squashfs/low: its inode and directory readers allocate whatever
// a size field says (a symlink target, a block list, an index name) before
// checking it against anything, and its tables decompress metadata blocks
// again on every read. Every size, offset and count below is checked
// against the archive size and the format's limits before it is used.
package squash

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// SuperblockSize is the size of the squashfs superblock at offset 0.
const SuperblockSize = 96

const (
	magic         = 0x73717368 // "hsqs"
	metaBlockSize = 8192       // decompressed size of a full metadata block
	maxBlockSize  = 1 << 20
	minBlockSize  = 4096
	noFragment    = 0xFFFFFFFF
	absent        = ^uint64(0) // table start of an absent table
)

// Superblock flags.
const (
	flagNoFragments       = 0x0010
	flagCompressorOptions = 0x0400
)

// Errors returned for archives that are not what they claim.
var (
	ErrNotDir = errors.New("squash: not a directory")
	ErrIsDir  = errors.New("squash: is a directory")
	ErrLoop   = errors.New("squash: too many levels of symbolic links")
	// ErrNotRegular: Open of a device, fifo or socket.
	ErrNotRegular = errors.New("squash: not a regular file")
	ErrCorrupt    = errors.New("squash: corrupt archive")
)

func corruptf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, a...)...)
}

// Info is what the superblock says about an archive.
type Info struct {
	BlockSize  uint32
	Compressor codec.ID
	Inodes     uint32
	ModTime    time.Time
	BytesUsed  int64
	Flags      uint16
	Major      uint16
	Minor      uint16

	// Table positions; -1 when the table is absent.
	IDTableStart, XattrTableStart, InodeTableStart, DirectoryTableStart, FragmentTableStart, ExportTableStart int64

	RootInode uint64 // reference of the root directory inode
	Fragments uint32 // entries in the fragment table
	IDs       uint16 // entries in the id table
}

// ParseSuperblock decodes and validates the 96-byte superblock. It checks
// what can be checked without the archive: magic, version, block size and
// its log, and that the tables are in the order the format requires and
// inside BytesUsed.
func ParseSuperblock(b []byte) (Info, error) {
	if len(b) < SuperblockSize {
		return Info{}, corruptf("superblock: %d bytes, want %d", len(b), SuperblockSize)
	}
	le := binary.LittleEndian
	if m := le.Uint32(b); m != magic {
		return Info{}, corruptf("superblock: bad magic %#x", m)
	}
	in := Info{
		Inodes:     le.Uint32(b[4:]),
		ModTime:    time.Unix(int64(le.Uint32(b[8:])), 0).UTC(),
		BlockSize:  le.Uint32(b[12:]),
		Fragments:  le.Uint32(b[16:]),
		Compressor: codec.ID(le.Uint16(b[20:])),
		Flags:      le.Uint16(b[24:]),
		IDs:        le.Uint16(b[26:]),
		Major:      le.Uint16(b[28:]),
		Minor:      le.Uint16(b[30:]),
		RootInode:  le.Uint64(b[32:]),
	}
	blockLog := le.Uint16(b[22:])
	if in.Major != 4 || in.Minor != 0 {
		return Info{}, corruptf("superblock: version %d.%d, want 4.0", in.Major, in.Minor)
	}
	if in.BlockSize < minBlockSize || in.BlockSize > maxBlockSize || bits.OnesCount32(in.BlockSize) != 1 {
		return Info{}, corruptf("superblock: block size %d", in.BlockSize)
	}
	if uint32(1)<<blockLog != in.BlockSize {
		return Info{}, corruptf("superblock: block log %d does not match block size %d", blockLog, in.BlockSize)
	}
	if in.Compressor < codec.GZIP || in.Compressor > codec.ZSTD {
		return Info{}, corruptf("superblock: compressor id %d", in.Compressor)
	}
	used := le.Uint64(b[40:])
	if used < SuperblockSize || used > 1<<62 {
		return Info{}, corruptf("superblock: bytes used %d", used)
	}
	in.BytesUsed = int64(used)
	pos := func(off int, name string, required bool) (int64, error) {
		v := le.Uint64(b[off:])
		if v == absent && !required {
			return -1, nil
		}
		if v < SuperblockSize || v >= used {
			return 0, corruptf("superblock: %s table at %d outside [%d, %d)", name, v, SuperblockSize, used)
		}
		return int64(v), nil
	}
	var err error
	if in.IDTableStart, err = pos(48, "id", true); err != nil {
		return Info{}, err
	}
	if in.XattrTableStart, err = pos(56, "xattr", false); err != nil {
		return Info{}, err
	}
	if in.InodeTableStart, err = pos(64, "inode", true); err != nil {
		return Info{}, err
	}
	if in.DirectoryTableStart, err = pos(72, "directory", true); err != nil {
		return Info{}, err
	}
	if in.FragmentTableStart, err = pos(80, "fragment", false); err != nil {
		return Info{}, err
	}
	if in.ExportTableStart, err = pos(88, "export", false); err != nil {
		return Info{}, err
	}
	if in.InodeTableStart >= in.DirectoryTableStart {
		return Info{}, corruptf("superblock: inode table %d not before directory table %d", in.InodeTableStart, in.DirectoryTableStart)
	}
	if in.Inodes == 0 || in.IDs == 0 {
		return Info{}, corruptf("superblock: %d inodes, %d ids", in.Inodes, in.IDs)
	}
	if in.Fragments > 0 && in.FragmentTableStart < 0 {
		return Info{}, corruptf("superblock: %d fragments but no fragment table", in.Fragments)
	}
	if in.Fragments > in.Inodes {
		return Info{}, corruptf("superblock: %d fragments for %d inodes", in.Fragments, in.Inodes)
	}
	if ref := in.RootInode; int64(ref>>16) >= in.DirectoryTableStart-in.InodeTableStart || ref&0xffff >= metaBlockSize {
		return Info{}, corruptf("superblock: root inode reference %#x", ref)
	}
	return in, nil
}
