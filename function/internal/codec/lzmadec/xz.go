package lzmadec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
	"sync"
)

var (
	errHeader  = corruptError("bad stream header")
	errBlock   = corruptError("bad block header")
	errControl = corruptError("bad LZMA2 chunk")
	errSize    = corruptError("block size does not match its header")
	errCheck   = corruptError("check mismatch")
	errIndex   = corruptError("index does not match the blocks")
	errFooter  = corruptError("bad stream footer")
	errPadding = corruptError("non-zero padding")
)

var (
	xzMagic     = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	footerMagic = []byte{'Y', 'Z'}
	crc64Table  = crc64.MakeTable(crc64.ECMA)
)

// Check types and their sizes.
const (
	checkNone   = 0
	checkCRC32  = 1
	checkCRC64  = 4
	checkSHA256 = 10

	filterLZMA2 = 0x21
)

var checkSize = map[byte]int{checkNone: 0, checkCRC32: 4, checkCRC64: 8, checkSHA256: 32}

var pool = sync.Pool{New: func() any { return new(decoder) }}

// XZ decodes the xz stream src into dst and returns the number of bytes
// it wrote.
func XZ(dst, src []byte) (int, error) {
	if len(src) < 12 {
		return 0, errTruncated
	}
	if !bytes.Equal(src[:6], xzMagic) {
		return 0, errHeader
	}
	flags := src[6:8]
	if flags[0] != 0 || flags[1]&0xf0 != 0 || crc32.ChecksumIEEE(flags) != binary.LittleEndian.Uint32(src[8:12]) {
		return 0, errHeader
	}
	check := flags[1]
	csize, ok := checkSize[check]
	if !ok {
		return 0, ErrUnsupported
	}
	d := pool.Get().(*decoder)
	defer pool.Put(d)
	d.endMarkerOK = false
	var records []record
	pos, out := 12, 0
	for {
		if pos >= len(src) {
			return 0, errTruncated
		}
		if src[pos] == 0 {
			break // the index
		}
		start := out
		h, err := parseBlockHeader(src[pos:])
		if err != nil {
			return 0, err
		}
		pos += h.size
		d.dictSize = h.dictSize
		used, n, err := d.lzma2(dst, out, src[pos:])
		if err != nil {
			return 0, err
		}
		if h.compressed >= 0 && h.compressed != used || h.uncompressed >= 0 && h.uncompressed != n-out {
			return 0, errSize
		}
		pos += used
		out = n
		unpadded := h.size + used + csize
		for ; used%4 != 0; used++ {
			if pos >= len(src) {
				return 0, errTruncated
			}
			if src[pos] != 0 {
				return 0, errPadding
			}
			pos++
		}
		if pos+csize > len(src) {
			return 0, errTruncated
		}
		if !checkMatches(check, dst[start:out], src[pos:pos+csize]) {
			return 0, errCheck
		}
		pos += csize
		records = append(records, record{unpadded, out - start})
	}
	end, err := checkIndex(src[pos:], records)
	if err != nil {
		return 0, err
	}
	footer := src[pos+end:]
	if len(footer) < 12 {
		return 0, errTruncated
	}
	if crc32.ChecksumIEEE(footer[4:10]) != binary.LittleEndian.Uint32(footer) ||
		binary.LittleEndian.Uint32(footer[4:]) != uint32(end/4-1) || // the index's size
		!bytes.Equal(footer[8:10], flags) || !bytes.Equal(footer[10:12], footerMagic) {
		return 0, errFooter
	}
	// Stream padding may follow; another stream is for a general decoder.
	rest := footer[12:]
	if len(rest)%4 != 0 || !allZero(rest) {
		return 0, ErrUnsupported
	}
	return out, nil
}

// record is what the index says of a block.
type record struct{ unpadded, size int }

// checkIndex checks that the index at the start of b lists the blocks
// decoded, and returns its size.
func checkIndex(b []byte, blocks []record) (int, error) {
	p := 1 // past the index indicator
	count, m := varint(b[p:])
	if m == 0 || count != uint64(len(blocks)) {
		return 0, errIndex
	}
	p += m
	for _, r := range blocks {
		u, m := varint(b[p:])
		if m == 0 || u != uint64(r.unpadded) {
			return 0, errIndex
		}
		p += m
		s, m := varint(b[p:])
		if m == 0 || s != uint64(r.size) {
			return 0, errIndex
		}
		p += m
	}
	for ; p%4 != 0; p++ {
		if p >= len(b) {
			return 0, errTruncated
		}
		if b[p] != 0 {
			return 0, errPadding
		}
	}
	if p+4 > len(b) {
		return 0, errTruncated
	}
	if crc32.ChecksumIEEE(b[:p]) != binary.LittleEndian.Uint32(b[p:]) {
		return 0, errIndex
	}
	return p + 4, nil
}

func checkMatches(check byte, data, sum []byte) bool {
	switch check {
	case checkCRC32:
		return crc32.ChecksumIEEE(data) == binary.LittleEndian.Uint32(sum)
	case checkCRC64:
		return crc64.Checksum(data, crc64Table) == binary.LittleEndian.Uint64(sum)
	case checkSHA256:
		h := sha256.Sum256(data)
		return bytes.Equal(h[:], sum)
	}
	return true
}

// blockHeader is what a block's header says of it.
type blockHeader struct {
	size                     int // of the header
	compressed, uncompressed int // -1 when the header does not say
	dictSize                 int
}

// parseBlockHeader parses the block header at the start of b.
func parseBlockHeader(b []byte) (blockHeader, error) {
	h := blockHeader{size: (int(b[0]) + 1) * 4, compressed: -1, uncompressed: -1}
	if h.size > len(b) {
		return h, errTruncated
	}
	body := b[:h.size-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(b[h.size-4:]) {
		return h, errBlock
	}
	flags := body[1]
	if flags&0x3c != 0 {
		return h, errBlock
	}
	if flags&0x03 != 0 { // more than one filter: BCJ or delta before LZMA2
		return h, ErrUnsupported
	}
	p := 2
	for _, f := range []struct {
		present bool
		v       *int
	}{{flags&0x40 != 0, &h.compressed}, {flags&0x80 != 0, &h.uncompressed}} {
		if !f.present {
			continue
		}
		v, m := varint(body[p:])
		if m == 0 || v > 1<<50 {
			return h, errBlock
		}
		*f.v = int(v)
		p += m
	}
	if h.compressed == 0 {
		return h, errBlock
	}
	id, m := varint(body[p:])
	if m == 0 {
		return h, errBlock
	}
	p += m
	if id != filterLZMA2 {
		return h, ErrUnsupported
	}
	// Its properties: one byte, the dictionary size.
	if p+2 > len(body) || body[p] != 1 || body[p+1] > 40 {
		return h, errBlock
	}
	dict := body[p+1]
	h.dictSize = 1<<32 - 1
	if dict < 40 {
		h.dictSize = (2 | int(dict)&1) << (dict/2 + 11)
	}
	if !allZero(body[p+2:]) {
		return h, errPadding
	}
	return h, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// varint reads an xz variable-length integer and returns it and its
// length, or a length of 0 when it is malformed or truncated.
func varint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if i > 0 && b[i] == 0 {
				return 0, 0 // not the shortest form
			}
			return v, i + 1
		}
	}
	return 0, 0
}

// lzma2 decodes the LZMA2 chunks at the start of src into dst from out.
// It returns the bytes of src they took and the new end of the output.
func (d *decoder) lzma2(dst []byte, out int, src []byte) (used, end int, err error) {
	needDictReset, needProps := true, true
	p := 0
	for {
		if p >= len(src) {
			return 0, 0, errTruncated
		}
		c := src[p]
		p++
		if c == 0 {
			return p, out, nil
		}
		if c >= 0xe0 || c == 1 {
			needDictReset, needProps = false, true
			d.dictStart = out
		} else if needDictReset {
			return 0, 0, errControl
		}
		if c < 0x80 { // stored
			if c > 2 {
				return 0, 0, errControl
			}
			if p+2 > len(src) {
				return 0, 0, errTruncated
			}
			n := int(binary.BigEndian.Uint16(src[p:])) + 1
			p += 2
			if p+n > len(src) {
				return 0, 0, errTruncated
			}
			if n > len(dst)-out {
				return 0, 0, ErrTooLarge
			}
			out += copy(dst[out:], src[p:p+n])
			p += n
			continue
		}
		if p+4 > len(src) {
			return 0, 0, errTruncated
		}
		size := int(c&0x1f)<<16 + int(binary.BigEndian.Uint16(src[p:])) + 1
		packed := int(binary.BigEndian.Uint16(src[p+2:])) + 1
		p += 4
		switch {
		case c >= 0xc0:
			if p >= len(src) {
				return 0, 0, errTruncated
			}
			if err := d.setProps(src[p]); err != nil {
				return 0, 0, err
			}
			p++
			needProps = false
			d.resetState()
		case needProps:
			return 0, 0, errControl
		case c >= 0xa0:
			d.resetState()
		}
		if p+packed > len(src) {
			return 0, 0, errTruncated
		}
		if size > len(dst)-out {
			return 0, 0, ErrTooLarge
		}
		if out, err = d.decode(dst, out, out+size, src[p:p+packed]); err != nil {
			return 0, 0, err
		}
		p += packed
	}
}
