package squash

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"time"
)

// Inode types as stored; the extended variants are the basic ones + 7.
const (
	typeDir = iota + 1
	typeFile
	typeSymlink
	typeBlockDev
	typeCharDev
	typeFifo
	typeSocket
	extOffset = 7
)

const (
	maxSymlink = 4096 // PATH_MAX: no tool writes a longer target
	maxName    = 256  // SQUASHFS_NAME_LEN
)

// inode is a decoded inode. Block lists are not read here: see File.
type inode struct {
	typ      uint16 // basic type (1..7)
	perm     uint16
	uid, gid uint32
	mtime    uint32
	num      uint32
	nlink    uint32

	// directories
	dirBlock  uint32 // listing start, relative to the directory table
	dirOffset uint16
	dirSize   uint32 // listing size + 3
	index     []dirIndex

	// regular files
	size        int64
	blocksStart int64
	frag        uint32
	fragOffset  uint32
	listBlock   int64 // where the block size list starts (metadata block, offset)
	listOffset  int

	target string // symlinks
	rdev   uint32 // devices
}

type dirIndex struct {
	pos   uint32 // byte position of a header in the listing
	block uint32 // metadata block holding it, relative to the directory table
	name  string // first name under that header
}

func (i *inode) isDir() bool { return i.typ == typeDir }

// mode returns the file mode: type bits and permissions.
func (i *inode) mode() fs.FileMode {
	m := fs.FileMode(i.perm & 0o777)
	if i.perm&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if i.perm&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if i.perm&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m | typeMode(i.typ)
}

// typeMode returns the fs.FileMode type bits of a basic inode type.
func typeMode(typ uint16) fs.FileMode {
	switch typ {
	case typeDir:
		return fs.ModeDir
	case typeSymlink:
		return fs.ModeSymlink
	case typeBlockDev:
		return fs.ModeDevice
	case typeCharDev:
		return fs.ModeDevice | fs.ModeCharDevice
	case typeFifo:
		return fs.ModeNamedPipe
	case typeSocket:
		return fs.ModeSocket
	}
	return 0
}

// Entry describes a file in the archive.
type Entry struct {
	Name    string
	Mode    fs.FileMode // type bits and permissions
	UID     uint32
	GID     uint32
	ModTime time.Time
	Inode   uint32
	Nlink   uint32
	Size    int64  // regular files: file size; directories: listing size (as unsquashfs shows it)
	Target  string // symlinks
	Rdev    uint32 // devices: the device number as squashfs stores it (see Major, Minor)
}

// IsDir reports whether the entry is a directory.
func (e Entry) IsDir() bool { return e.Mode.IsDir() }

func (i *inode) entry(name string) Entry {
	e := Entry{
		Name: name, Mode: i.mode(), UID: i.uid, GID: i.gid,
		ModTime: time.Unix(int64(i.mtime), 0).UTC(),
		Inode:   i.num, Nlink: i.nlink, Target: i.target,
	}
	switch i.typ {
	case typeFile:
		e.Size = i.size
	case typeDir:
		e.Size = int64(i.dirSize)
	case typeBlockDev, typeCharDev:
		e.Rdev = i.rdev
	}
	return e
}

// Major returns a device's major number (Linux's encoding, as mksquashfs
// stores it).
func (e Entry) Major() uint32 { return (e.Rdev >> 8) & 0xfff }

// Minor returns a device's minor number.
func (e Entry) Minor() uint32 { return e.Rdev&0xff | (e.Rdev>>12)&0xfff00 }

// readInode decodes the inode at reference ref (block offset relative to
// the inode table << 16 | offset in the block).
func (a *Image) readInode(ref uint64) (*inode, error) {
	blk := a.info.InodeTableStart + int64(ref>>16)
	off := int(ref & 0xffff)
	if ref>>48 != 0 || blk >= a.info.DirectoryTableStart || off >= metaBlockSize {
		return nil, corruptf("inode reference %#x", ref)
	}
	m, err := a.newMetaReader(blk, off, a.info.DirectoryTableStart)
	if err != nil {
		return nil, err
	}
	ino, err := a.decodeInode(m)
	if err != nil {
		return nil, fmt.Errorf("inode %#x: %w", ref, err)
	}
	return ino, nil
}

func (a *Image) decodeInode(m *metaReader) (*inode, error) {
	le := binary.LittleEndian
	h, err := m.bytes(16)
	if err != nil {
		return nil, err
	}
	typ := le.Uint16(h)
	if typ < typeDir || typ > typeSocket+extOffset {
		return nil, corruptf("inode type %d", typ)
	}
	ext := typ > extOffset
	ino := &inode{typ: typ, perm: le.Uint16(h[2:]), mtime: le.Uint32(h[8:]), num: le.Uint32(h[12:])}
	if ext {
		ino.typ -= extOffset
	}
	uidx, gidx := le.Uint16(h[4:]), le.Uint16(h[6:])
	if int(uidx) >= len(a.ids) || int(gidx) >= len(a.ids) {
		return nil, corruptf("inode id index %d/%d of %d ids", uidx, gidx, len(a.ids))
	}
	ino.uid, ino.gid = a.ids[uidx], a.ids[gidx]
	if ino.num == 0 || ino.num > a.info.Inodes {
		return nil, corruptf("inode number %d of %d", ino.num, a.info.Inodes)
	}

	switch {
	case ino.typ == typeDir && !ext:
		b, err := m.bytes(16)
		if err != nil {
			return nil, err
		}
		ino.dirBlock = le.Uint32(b)
		ino.nlink = le.Uint32(b[4:])
		ino.dirSize = uint32(le.Uint16(b[8:]))
		ino.dirOffset = le.Uint16(b[10:])
	case ino.typ == typeDir:
		b, err := m.bytes(24)
		if err != nil {
			return nil, err
		}
		ino.nlink = le.Uint32(b)
		ino.dirSize = le.Uint32(b[4:])
		ino.dirBlock = le.Uint32(b[8:])
		count := int(le.Uint16(b[16:]))
		ino.dirOffset = le.Uint16(b[18:])
		// Each index entry marks a header of the listing, and a header
		// with its first entry takes at least minHeader bytes. mksquashfs
		// writes one entry per metadata block the listing spans,
		// gensquashfs more (72 for a listing of 10,000 files in 25 blocks).
		if count > int(ino.dirSize/minHeader)+1 {
			return nil, corruptf("directory index of %d entries for a listing of %d bytes", count, ino.dirSize)
		}
		if count > 0 {
			ino.index = make([]dirIndex, 0, count)
		}
		for range count {
			b, err := m.bytes(12)
			if err != nil {
				return nil, err
			}
			x := dirIndex{pos: le.Uint32(b), block: le.Uint32(b[4:])}
			n := int(le.Uint32(b[8:])) + 1
			if n > maxName {
				return nil, corruptf("directory index name of %d bytes", n)
			}
			name, err := m.bytes(n)
			if err != nil {
				return nil, err
			}
			x.name = string(name)
			ino.index = append(ino.index, x)
		}
	case ino.typ == typeFile && !ext:
		b, err := m.bytes(16)
		if err != nil {
			return nil, err
		}
		ino.blocksStart = int64(le.Uint32(b))
		ino.frag = le.Uint32(b[4:])
		ino.fragOffset = le.Uint32(b[8:])
		ino.size = int64(le.Uint32(b[12:]))
		ino.nlink = 1
	case ino.typ == typeFile:
		b, err := m.bytes(40)
		if err != nil {
			return nil, err
		}
		start, size := le.Uint64(b), le.Uint64(b[8:])
		if start > uint64(a.size) || size > 1<<62 {
			return nil, corruptf("file blocks at %d, size %d", start, size)
		}
		ino.blocksStart, ino.size = int64(start), int64(size)
		ino.nlink = le.Uint32(b[24:])
		ino.frag = le.Uint32(b[28:])
		ino.fragOffset = le.Uint32(b[32:])
	case ino.typ == typeSymlink:
		b, err := m.bytes(8)
		if err != nil {
			return nil, err
		}
		ino.nlink = le.Uint32(b)
		n := le.Uint32(b[4:])
		if n == 0 || n > maxSymlink {
			return nil, corruptf("symlink target of %d bytes", n)
		}
		t, err := m.bytes(int(n))
		if err != nil {
			return nil, err
		}
		ino.target = string(t)
	case ino.typ == typeBlockDev || ino.typ == typeCharDev:
		b, err := m.bytes(8)
		if err != nil {
			return nil, err
		}
		ino.nlink = le.Uint32(b)
		ino.rdev = le.Uint32(b[4:])
	default: // fifo, socket
		n, err := m.u32()
		if err != nil {
			return nil, err
		}
		ino.nlink = n
	}

	if ino.typ == typeDir {
		if ino.dirSize < 3 {
			return nil, corruptf("directory listing size %d", ino.dirSize)
		}
		if int64(ino.dirBlock) >= a.size-a.info.DirectoryTableStart || ino.dirOffset >= metaBlockSize {
			return nil, corruptf("directory listing at %d:%d", ino.dirBlock, ino.dirOffset)
		}
	}
	if ino.typ == typeFile {
		if ino.blocksStart < SuperblockSize && ino.size >= int64(a.info.BlockSize) {
			return nil, corruptf("file blocks at %d", ino.blocksStart)
		}
		if ino.frag != noFragment && (ino.frag >= a.info.Fragments || ino.fragOffset >= a.info.BlockSize) {
			return nil, corruptf("file fragment %d offset %d", ino.frag, ino.fragOffset)
		}
		// The block list follows; File reads it when needed.
		ino.listBlock, ino.listOffset = m.pos()
	}
	return ino, nil
}

// pos is where the next byte would be read: the block's offset (the next
// block when this one is exhausted) and the offset in it.
func (m *metaReader) pos() (int64, int) {
	if m.off == len(m.data) {
		return m.next, 0
	}
	return m.cur, m.off
}

// LsMode renders a mode as ls -l (and unsquashfs -lln) does, with setuid,
// setgid and sticky bits in the execute columns.
func LsMode(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if m&(1<<(8-i)) != 0 {
			b[1+i] = rwx[i]
		}
	}
	special := func(pos int, set bool, lower, upper byte) {
		if !set {
			return
		}
		if b[pos] == 'x' {
			b[pos] = lower
		} else {
			b[pos] = upper
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b)
}
