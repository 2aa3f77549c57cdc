package chunkcache

import (
	"encoding/binary"
	"hash/crc32"
)

// A chunk file is the chunk's n bytes followed by its checksums:
//
//	data (n bytes)
//	page CRCs: one CRC32C (little endian) per pageSize bytes of data, the
//	           last page possibly short
//	footer:    magic "s3cc" | n (uint32) | CRC32C of the page CRCs, the
//	           object's directory name, the chunk index and n
//
// Per-page checksums let a read verify just the pages it returns, so a
// 4 KiB read of a 1 MiB chunk hashes 4-8 KiB, not the whole chunk. The
// footer's CRC binds the table to the chunk's place: a file copied or
// renamed to another chunk's name, or another object's, fails it.
const (
	pageSize   = 4096
	footerSize = 12
	chunkMagic = "s3cc"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunkFileSize is the length of the file holding an n-byte chunk.
func chunkFileSize(n int64) int64 { return n + 4*pages(n) + footerSize }

func pages(n int64) int64 { return (n + pageSize - 1) / pageSize }

// place names a chunk for its footer's checksum.
type place struct {
	object string // the object's directory name: identity hash and chunk size
	index  int64
}

// trailer returns the page CRCs and footer that follow data in its file.
func trailer(data []byte, at place) []byte {
	n := int64(len(data))
	out := make([]byte, 4*pages(n), 4*pages(n)+footerSize)
	for p := int64(0); p < pages(n); p++ {
		page := data[p*pageSize : min((p+1)*pageSize, n)]
		binary.LittleEndian.PutUint32(out[4*p:], crc32.Checksum(page, castagnoli))
	}
	return appendFooter(out, n, at)
}

func appendFooter(table []byte, n int64, at place) []byte {
	out := append(table, chunkMagic...)
	out = binary.LittleEndian.AppendUint32(out, uint32(n))
	return binary.LittleEndian.AppendUint32(out, tableCRC(table, n, at))
}

func tableCRC(table []byte, n int64, at place) uint32 {
	crc := crc32.Update(0, castagnoli, table)
	crc = crc32.Update(crc, castagnoli, []byte(at.object))
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:], uint64(at.index))
	binary.LittleEndian.PutUint32(b[8:], uint32(n))
	return crc32.Update(crc, castagnoli, b[:])
}

// parseTrailer checks the trailer of an n-byte chunk at its place and
// returns the page CRCs, or false if it is not that chunk's trailer.
func parseTrailer(b []byte, n int64, at place) ([]uint32, bool) {
	np := pages(n)
	if int64(len(b)) != 4*np+footerSize {
		return nil, false
	}
	table, footer := b[:4*np], b[4*np:]
	if string(footer[:4]) != chunkMagic ||
		int64(binary.LittleEndian.Uint32(footer[4:])) != n ||
		binary.LittleEndian.Uint32(footer[8:]) != tableCRC(table, n, at) {
		return nil, false
	}
	crcs := make([]uint32, np)
	for p := range crcs {
		crcs[p] = binary.LittleEndian.Uint32(table[4*p:])
	}
	return crcs, true
}

// verifyPages checks bytes that start at page first and run, through
// parts in order, to a page boundary or the chunk's end, against crcs.
func verifyPages(crcs []uint32, first int64, parts ...[]byte) bool {
	page, fill := first, 0
	var crc uint32
	for _, b := range parts {
		for len(b) > 0 {
			k := min(len(b), pageSize-fill)
			crc = crc32.Update(crc, castagnoli, b[:k])
			fill += k
			b = b[k:]
			if fill == pageSize {
				if page >= int64(len(crcs)) || crc != crcs[page] {
					return false
				}
				page, fill, crc = page+1, 0, 0
			}
		}
	}
	if fill > 0 {
		// The chunk's last page, shorter than pageSize.
		return page == int64(len(crcs))-1 && crc == crcs[page]
	}
	return true
}
