package squash

import (
	"encoding/binary"
	"io/fs"
	"strings"
)

// maxHops bounds the symbolic links followed while resolving one path.
const maxHops = 40

// minHeader is the fewest bytes a directory header and its first entry
// take: 12, then 8 and a name of at least 1 byte.
const minHeader = 12 + 8 + 1

// dirent is one entry of a directory listing.
type dirent struct {
	name string
	ref  uint64 // inode reference
	typ  uint16 // basic inode type
}

// scanDir calls fn for the entries of directory d in order, starting at
// the directory index entry that precedes key (all entries when key is
// ""), until fn returns false. Entries are checked to be strictly
// increasing, so a scan always ends and callers may stop early.
func (a *Image) scanDir(d *inode, key string, fn func(dirent) bool) error {
	blk := a.info.DirectoryTableStart + int64(d.dirBlock)
	off := int(d.dirOffset)
	remaining := int64(d.dirSize) - 3
	if key != "" {
		for _, x := range d.index {
			if x.name > key {
				break
			}
			if int64(x.pos) >= int64(d.dirSize)-3 || int64(x.block) >= a.size-a.info.DirectoryTableStart {
				return corruptf("directory index entry %d:%d", x.block, x.pos)
			}
			blk = a.info.DirectoryTableStart + int64(x.block)
			off = int((uint32(d.dirOffset) + x.pos) % metaBlockSize)
			remaining = int64(d.dirSize) - 3 - int64(x.pos)
		}
	}
	if remaining <= 0 {
		return nil
	}
	m, err := a.newMetaReader(blk, off, a.size)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	prev := ""
	for remaining > 0 {
		if remaining < 12 {
			return corruptf("directory listing: %d bytes left for a header", remaining)
		}
		h, err := m.bytes(12)
		if err != nil {
			return err
		}
		count := int64(le.Uint32(h)) + 1
		start := le.Uint32(h[4:]) // h[8:12] is a base inode number; the inodes carry their own
		remaining -= 12
		if count > 256 {
			return corruptf("directory header of %d entries", count)
		}
		if int64(start) >= a.info.DirectoryTableStart-a.info.InodeTableStart {
			return corruptf("directory header inode block %d", start)
		}
		for range count {
			if remaining < 8 {
				return corruptf("directory listing: %d bytes left for an entry", remaining)
			}
			e, err := m.bytes(8)
			if err != nil {
				return err
			}
			offset := le.Uint16(e)
			typ := le.Uint16(e[4:])
			n := int64(le.Uint16(e[6:])) + 1
			remaining -= 8
			if n > maxName || n > remaining {
				return corruptf("directory entry name of %d bytes", n)
			}
			b, err := m.bytes(int(n))
			if err != nil {
				return err
			}
			remaining -= n
			name := string(b)
			if typ < typeDir || typ > typeSocket+extOffset {
				return corruptf("directory entry %q: inode type %d", name, typ)
			}
			if typ > extOffset {
				typ -= extOffset
			}
			if name == "." || name == ".." || strings.IndexByte(name, '/') >= 0 || strings.IndexByte(name, 0) >= 0 {
				return corruptf("directory entry name %q", name)
			}
			if prev != "" && name <= prev {
				return corruptf("directory entries out of order: %q after %q", name, prev)
			}
			prev = name
			if offset >= metaBlockSize {
				return corruptf("directory entry %q: inode offset %d", name, offset)
			}
			if !fn(dirent{name: name, ref: uint64(start)<<16 | uint64(offset), typ: typ}) {
				return nil
			}
		}
	}
	return nil
}

// lookup finds name in directory d.
func (a *Image) lookup(d *inode, name string) (*inode, error) {
	var found *dirent
	err := a.scanDir(d, name, func(e dirent) bool {
		if e.name >= name {
			if e.name == name {
				found = &e
			}
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fs.ErrNotExist
	}
	ino, err := a.readInode(found.ref)
	if err != nil {
		return nil, err
	}
	if ino.typ != found.typ {
		return nil, corruptf("directory entry %q says type %d, inode says %d", name, found.typ, ino.typ)
	}
	return ino, nil
}

// split returns the components of a slash-separated path.
func split(p string) []string {
	var out []string
	for c := range strings.SplitSeq(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// resolve walks name from the root. Symbolic links in the middle of the
// path are always followed; the last one only when follow is set. Links
// resolve inside the archive: absolute targets start at its root and ".."
// never climbs above it.
func (a *Image) resolve(op, name string, follow bool) (*inode, error) {
	pending := split(name)
	stack := []*inode{a.root}
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		if c == ".." {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		cur := stack[len(stack)-1]
		if !cur.isDir() {
			return nil, &fs.PathError{Op: op, Path: name, Err: ErrNotDir}
		}
		child, err := a.lookup(cur, c)
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		if child.typ == typeSymlink && (len(pending) > 0 || follow) {
			if hops++; hops > maxHops {
				return nil, &fs.PathError{Op: op, Path: name, Err: ErrLoop}
			}
			if strings.HasPrefix(child.target, "/") {
				stack = stack[:1]
			}
			pending = append(split(child.target), pending...)
			continue
		}
		stack = append(stack, child)
	}
	return stack[len(stack)-1], nil
}

func baseName(name string) string {
	c := split(name)
	if len(c) == 0 {
		return "."
	}
	return c[len(c)-1]
}

// Lstat describes the named file without following a final symbolic link.
func (a *Image) Lstat(name string) (Entry, error) {
	ino, err := a.resolve("lstat", name, false)
	if err != nil {
		return Entry{}, err
	}
	return ino.entry(baseName(name)), nil
}

// Stat describes the named file, following symbolic links.
func (a *Image) Stat(name string) (Entry, error) {
	ino, err := a.resolve("stat", name, true)
	if err != nil {
		return Entry{}, err
	}
	return ino.entry(baseName(name)), nil
}

// ReadDir returns the entries of directory name in byte order of Name:
// only names greater than after, at most n of them (all when n <= 0).
// Symbolic links in name are followed; entries are not.
func (a *Image) ReadDir(name, after string, n int) ([]Entry, error) {
	ents, err := a.readDirents(name, after, n)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(ents))
	for _, e := range ents {
		ent, err := a.direntEntry(e)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
		}
		out = append(out, ent)
	}
	return out, nil
}

// EntryOf reads the inode of an entry found by ReadDirTypes: what Lstat of
// its path returns, without resolving the path again.
func (a *Image) EntryOf(d DirEntry) (Entry, error) {
	if d.ent.name == "" {
		return Entry{}, fs.ErrInvalid
	}
	return a.direntEntry(d.ent)
}

func (a *Image) direntEntry(e dirent) (Entry, error) {
	ino, err := a.readInode(e.ref)
	if err != nil {
		return Entry{}, err
	}
	if ino.typ != e.typ {
		return Entry{}, corruptf("entry %q says type %d, inode says %d", e.name, e.typ, ino.typ)
	}
	return ino.entry(e.name), nil
}

// DirEntry is a directory entry as the listing itself records it: a name
// and a file type, known without reading the entry's inode.
type DirEntry struct {
	Name string
	Type fs.FileMode // type bits only

	ent dirent
}

// IsDir reports whether the entry is a directory.
func (e DirEntry) IsDir() bool { return e.Type.IsDir() }

// ReadDirTypes is ReadDir without the inodes: names and types only, from
// the directory listing alone. A walk that only needs to know which entries
// are directories reads a fraction of the metadata ReadDir reads.
func (a *Image) ReadDirTypes(name, after string, n int) ([]DirEntry, error) {
	ents, err := a.readDirents(name, after, n)
	if err != nil {
		return nil, err
	}
	out := make([]DirEntry, len(ents))
	for i, e := range ents {
		out[i] = DirEntry{Name: e.name, Type: typeMode(e.typ), ent: e}
	}
	return out, nil
}

// readDirents lists directory name after the given name, at most n entries.
func (a *Image) readDirents(name, after string, n int) ([]dirent, error) {
	d, err := a.resolve("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !d.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: ErrNotDir}
	}
	var ents []dirent
	err = a.scanDir(d, after, func(e dirent) bool {
		if e.name > after {
			ents = append(ents, e)
		}
		return n <= 0 || len(ents) < n
	})
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return ents, nil
}
