package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// This file reads just enough of a squashfs archive's structures to say
// which bytes a GET needs: the metadata blocks on a path, the lookup
// entries it consults, and the data and fragment blocks of a range. It is
// independent of the function's reader on purpose: it is the yardstick the
// function is measured against.

const (
	superblockSize = 96
	metaSize       = 8192
	noFragment     = 0xffffffff
	blockSizeMask  = 1<<24 - 1
	compressorZlib = 1
	compressorZstd = 6
)

// Superblock holds the fields of the superblock the bench uses.
type Superblock struct {
	BlockSize       int64
	Compressor      uint16
	RootInode       uint64
	BytesUsed       int64
	InodeTableStart int64
	DirTableStart   int64
	FragTableStart  int64
}

func parseSuperblock(b []byte) (Superblock, error) {
	if len(b) < superblockSize || string(b[:4]) != "hsqs" {
		return Superblock{}, errors.New("not a squashfs archive")
	}
	le := binary.LittleEndian
	return Superblock{
		BlockSize:       int64(le.Uint32(b[12:])),
		Compressor:      le.Uint16(b[20:]),
		RootInode:       le.Uint64(b[32:]),
		BytesUsed:       int64(le.Uint64(b[40:])),
		InodeTableStart: int64(le.Uint64(b[64:])),
		DirTableStart:   int64(le.Uint64(b[72:])),
		FragTableStart:  int64(le.Uint64(b[80:])),
	}, nil
}

// layout walks one archive, remembering every metadata block it reads.
type layout struct {
	r    io.ReaderAt
	sb   Superblock
	zstd *zstd.Decoder
	meta map[int64]int64 // metadata block position → stored length (header included)
	data []extent        // lookup entries read outside metadata blocks
}

func newLayout(r io.ReaderAt) (*layout, error) {
	var b [superblockSize]byte
	if _, err := r.ReadAt(b[:], 0); err != nil {
		return nil, err
	}
	sb, err := parseSuperblock(b[:])
	if err != nil {
		return nil, err
	}
	l := &layout{r: r, sb: sb, meta: map[int64]int64{}}
	switch sb.Compressor {
	case compressorZlib:
	case compressorZstd:
		if l.zstd, err = zstd.NewReader(nil); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("compressor %d: the bench's layout reader knows gzip and zstd", sb.Compressor)
	}
	return l, nil
}

// block reads the metadata block at pos: its data and the next block's
// position.
func (l *layout) block(pos int64) ([]byte, int64, error) {
	var h [2]byte
	if _, err := l.r.ReadAt(h[:], pos); err != nil {
		return nil, 0, err
	}
	hdr := binary.LittleEndian.Uint16(h[:])
	n := int64(hdr & 0x7fff)
	if n == 0 || n > metaSize {
		return nil, 0, fmt.Errorf("metadata block at %d: size %d", pos, n)
	}
	raw := make([]byte, n)
	if _, err := l.r.ReadAt(raw, pos+2); err != nil {
		return nil, 0, err
	}
	l.meta[pos] = 2 + n
	if hdr&0x8000 != 0 {
		return raw, pos + 2 + n, nil
	}
	var out []byte
	var err error
	switch l.sb.Compressor {
	case compressorZstd:
		out, err = l.zstd.DecodeAll(raw, make([]byte, 0, metaSize))
	default:
		var zr io.ReadCloser
		if zr, err = zlib.NewReader(bytes.NewReader(raw)); err == nil {
			out, err = io.ReadAll(io.LimitReader(zr, metaSize))
		}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("metadata block at %d: %w", pos, err)
	}
	return out, pos + 2 + n, nil
}

// stream reads a byte stream that runs across metadata blocks.
type stream struct {
	l    *layout
	buf  []byte
	next int64
}

func (l *layout) open(blk int64, off int) (*stream, error) {
	data, next, err := l.block(blk)
	if err != nil {
		return nil, err
	}
	if off > len(data) {
		return nil, fmt.Errorf("offset %d past the metadata block at %d", off, blk)
	}
	return &stream{l: l, buf: data[off:], next: next}, nil
}

func (s *stream) read(n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for len(out) < n {
		if len(s.buf) == 0 {
			data, next, err := s.l.block(s.next)
			if err != nil {
				return nil, err
			}
			s.buf, s.next = data, next
		}
		k := min(n-len(out), len(s.buf))
		out, s.buf = append(out, s.buf[:k]...), s.buf[k:]
	}
	return out, nil
}

// inode is what the bench needs of a directory or regular file inode.
type inode struct {
	dir bool
	// directories
	listBlock, listSize int64
	listOff             int
	index               []dirIndex
	// files
	size        int64
	blocksStart int64
	blocks      []uint32
	frag        uint32
	fragOff     int64
}

type dirIndex struct {
	at    int64 // byte position in the listing
	block int64 // metadata block holding it, relative to the directory table
	name  string
}

func (l *layout) inode(ref uint64) (*inode, error) {
	s, err := l.open(l.sb.InodeTableStart+int64(ref>>16), int(ref&0xffff))
	if err != nil {
		return nil, err
	}
	hdr, err := s.read(16)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	ino := &inode{}
	switch t := le.Uint16(hdr); t {
	case 1: // basic directory
		b, err := s.read(16)
		if err != nil {
			return nil, err
		}
		ino.dir = true
		ino.listBlock, ino.listSize, ino.listOff = int64(le.Uint32(b)), int64(le.Uint16(b[8:]))-3, int(le.Uint16(b[10:]))
	case 8: // extended directory
		b, err := s.read(24)
		if err != nil {
			return nil, err
		}
		ino.dir = true
		ino.listSize, ino.listBlock = int64(le.Uint32(b[4:]))-3, int64(le.Uint32(b[8:]))
		count, off := le.Uint16(b[16:]), le.Uint16(b[18:])
		ino.listOff = int(off)
		for range count {
			e, err := s.read(12)
			if err != nil {
				return nil, err
			}
			size := le.Uint32(e[8:]) + 1
			if size > 256 {
				return nil, fmt.Errorf("directory index name of %d bytes", size)
			}
			name, err := s.read(int(size))
			if err != nil {
				return nil, err
			}
			ino.index = append(ino.index, dirIndex{at: int64(le.Uint32(e)), block: int64(le.Uint32(e[4:])), name: string(name)})
		}
	case 2, 9: // basic and extended file
		if t == 2 {
			b, err := s.read(16)
			if err != nil {
				return nil, err
			}
			ino.blocksStart, ino.frag, ino.fragOff, ino.size = int64(le.Uint32(b)), le.Uint32(b[4:]), int64(le.Uint32(b[8:])), int64(le.Uint32(b[12:]))
		} else {
			b, err := s.read(40)
			if err != nil {
				return nil, err
			}
			ino.blocksStart, ino.size = int64(le.Uint64(b)), int64(le.Uint64(b[8:]))
			ino.frag, ino.fragOff = le.Uint32(b[28:]), int64(le.Uint32(b[32:]))
		}
		n := ino.size / l.sb.BlockSize
		if ino.frag == noFragment && ino.size%l.sb.BlockSize != 0 {
			n++
		}
		if n > 1<<22 {
			return nil, fmt.Errorf("file inode claims %d blocks", n)
		}
		b, err := s.read(int(4 * n))
		if err != nil {
			return nil, err
		}
		for i := range n {
			ino.blocks = append(ino.blocks, le.Uint32(b[4*i:]))
		}
	default:
		return nil, fmt.Errorf("inode type %d: the bench follows directories and regular files only", t)
	}
	return ino, nil
}

// lookup finds name in directory d, starting from the directory index
// entry that precedes it (as an efficient reader does) and reading the
// listing until the name is found or passed.
func (l *layout) lookup(d *inode, name string) (uint64, error) {
	blk, off, pos := l.sb.DirTableStart+d.listBlock, d.listOff, int64(0)
	for _, ix := range d.index {
		if ix.name > name {
			break
		}
		blk, off, pos = l.sb.DirTableStart+ix.block, int((int64(d.listOff)+ix.at)%metaSize), ix.at
	}
	s, err := l.open(blk, off)
	if err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	for pos < d.listSize {
		h, err := s.read(12)
		if err != nil {
			return 0, err
		}
		pos += 12
		count, start := le.Uint32(h)+1, le.Uint32(h[4:])
		if count > 256 {
			return 0, fmt.Errorf("directory header of %d entries", count)
		}
		for range count {
			e, err := s.read(8)
			if err != nil {
				return 0, err
			}
			nb, err := s.read(int(le.Uint16(e[6:])) + 1)
			if err != nil {
				return 0, err
			}
			pos += 8 + int64(len(nb))
			switch n := string(nb); {
			case n == name:
				return uint64(start)<<16 | uint64(le.Uint16(e)), nil
			case n > name:
				return 0, fmt.Errorf("%q not found", name)
			}
		}
	}
	return 0, fmt.Errorf("%q not found", name)
}

// file resolves a slash-separated path to its inode.
func (l *layout) file(path string) (*inode, error) {
	ino, err := l.inode(l.sb.RootInode)
	if err != nil {
		return nil, err
	}
	for part := range strings.SplitSeq(path, "/") {
		if !ino.dir {
			return nil, fmt.Errorf("%s: not a directory on the way", path)
		}
		ref, err := l.lookup(ino, part)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if ino, err = l.inode(ref); err != nil {
			return nil, err
		}
	}
	if ino.dir {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	return ino, nil
}

// blockExtents returns the stored extents of blocks [first, last] of the
// file, in order; the tail in a fragment is its fragment block.
func (l *layout) blockExtents(f *inode, first, last int64) ([]extent, error) {
	var out []extent
	pos := f.blocksStart
	for i, w := range f.blocks {
		size := int64(w & blockSizeMask)
		if int64(i) >= first && int64(i) <= last && size > 0 {
			out = append(out, extent{pos, size})
		}
		pos += size
	}
	if f.frag != noFragment && last >= int64(len(f.blocks)) {
		e, err := l.fragment(f.frag)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// fragment reads fragment table entry i: its index pointer, its metadata
// block, and returns the fragment block's extent.
func (l *layout) fragment(i uint32) (extent, error) {
	const perBlock = metaSize / 16
	at := l.sb.FragTableStart + int64(i/perBlock)*8
	var p [8]byte
	if _, err := l.r.ReadAt(p[:], at); err != nil {
		return extent{}, err
	}
	l.data = append(l.data, extent{at, 8})
	s, err := l.open(int64(binary.LittleEndian.Uint64(p[:])), int(i%perBlock)*16)
	if err != nil {
		return extent{}, err
	}
	e, err := s.read(12)
	if err != nil {
		return extent{}, err
	}
	return extent{int64(binary.LittleEndian.Uint64(e)), int64(binary.LittleEndian.Uint32(e[8:]) & blockSizeMask)}, nil
}
