package main

import (
	"cmp"
	"io"
	"os"
	"slices"
)

// extent is a byte range [Off, Off+Len) of an archive.
type extent struct{ Off, Len int64 }

func (e extent) end() int64 { return e.Off + e.Len }

// unionLen is the number of distinct bytes the extents cover.
func unionLen(es []extent) int64 {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b extent) int { return cmp.Compare(a.Off, b.Off) })
	var total, reach int64 = 0, -1
	for _, e := range es {
		if e.Len <= 0 {
			continue
		}
		start := max(e.Off, reach)
		if e.end() > start {
			total += e.end() - start
			reach = e.end()
		}
	}
	return total
}

// Minimum is the least an S3 reader must fetch for a GET, computed from
// the archive's structures: the superblock, the metadata blocks on the
// path (inodes, directory listings from the right directory index entry,
// the block list), the fragment table entry when the range reaches a
// fragment, and the data or fragment blocks that cover the range.
type Minimum struct {
	Bytes int64
}

// minimumFor computes the Minimum for sp of path in the archive on disk.
func minimumFor(archivePath, path string, sp Span) (Minimum, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return Minimum{}, err
	}
	defer f.Close()
	l, err := newLayout(f)
	if err != nil {
		return Minimum{}, err
	}
	ino, err := l.file(path)
	if err != nil {
		return Minimum{}, err
	}
	n := sp.N
	if n < 0 || sp.Off+n > ino.size {
		n = ino.size - sp.Off
	}
	var data []extent
	if n > 0 {
		if data, err = l.blockExtents(ino, sp.Off/l.sb.BlockSize, (sp.Off+n-1)/l.sb.BlockSize); err != nil {
			return Minimum{}, err
		}
	}
	es := append(data, l.data...)
	es = append(es, extent{0, superblockSize})
	for pos, n := range l.meta {
		es = append(es, extent{pos, n})
	}
	return Minimum{Bytes: unionLen(es)}, nil
}

// dataBlocks returns the stored extents of path's data blocks (and its
// fragment block) in the order an extractor reads them, as libsquashfs
// does: one block at a time from the first to the last.
func dataBlocks(archivePath, path string) ([]extent, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l, err := newLayout(f)
	if err != nil {
		return nil, err
	}
	ino, err := l.file(path)
	if err != nil {
		return nil, err
	}
	return l.blockExtents(ino, 0, ino.size/l.sb.BlockSize+1)
}

// Reference is the traffic of the reference design
// (aws-samples/s3-access-for-squash), computed from its algorithm:
//   - a cold instance HEADs the archive (the superblock is in the object's
//     metadata) and GETs everything from the inode table's start, aligned
//     down to a chunk, to the end of the object into a sparse cache file;
//   - it then extracts the whole file before sending a byte; each block
//     read that finds a hole in the cache file GETs from the hole, aligned
//     down to a chunk, to the chunk after the block's end (chunk = the
//     archive's block size by default);
//   - a warm instance finds everything in its cache file.
type Reference struct {
	Requests, Bytes int64
	GETs            []int64 // body bytes of each GET, in order, for the latency model
}

// referenceCold computes the reference's cold traffic for extracting a
// file whose blocks are given, from an archive of size bytes.
func referenceCold(size, inodeTableStart, chunk int64, blocks []extent) Reference {
	var ref Reference
	have := []extent{}
	fetch := func(from, to int64) {
		to = min(to, size) // S3 clips a range at the object's end
		ref.Requests++
		ref.Bytes += to - from
		ref.GETs = append(ref.GETs, to-from)
		have = addExtent(have, extent{from, to - from})
	}
	ref.Requests++ // HEAD for the superblock in the object's metadata
	fetch(alignDown(inodeTableStart, chunk), size)
	for _, b := range blocks {
		hole, ok := firstHole(have, b)
		if !ok {
			continue
		}
		fetch(alignDown(hole, chunk), alignDown(b.end(), chunk)+chunk)
	}
	return ref
}

func alignDown(n, chunk int64) int64 { return n / chunk * chunk }

// addExtent merges e into the sorted, disjoint list have.
func addExtent(have []extent, e extent) []extent {
	have = append(have, e)
	slices.SortFunc(have, func(a, b extent) int { return cmp.Compare(a.Off, b.Off) })
	out := have[:1]
	for _, x := range have[1:] {
		last := &out[len(out)-1]
		if x.Off <= last.end() {
			last.Len = max(last.end(), x.end()) - last.Off
			continue
		}
		out = append(out, x)
	}
	return out
}

// firstHole returns the first byte of b that no extent of have covers.
func firstHole(have []extent, b extent) (int64, bool) {
	pos := b.Off
	for _, h := range have {
		if h.Off > pos {
			break
		}
		if h.end() > pos {
			pos = h.end()
		}
	}
	return pos, pos < b.end()
}

// superblockOf reads and parses an archive's superblock.
func superblockOf(r io.ReaderAt) (Superblock, error) {
	var sb [superblockSize]byte
	if _, err := r.ReadAt(sb[:], 0); err != nil {
		return Superblock{}, err
	}
	return parseSuperblock(sb[:])
}
