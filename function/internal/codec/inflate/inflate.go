// Package inflate decodes a zlib stream (RFC 1950 around RFC 1951's
// deflate) into a buffer that holds its whole output, as squashfs's gzip
// blocks are: each is one stream whose output size the reader knows.
//
// A general decoder writes into a 32 KiB window and copies out of it on
// every Read, and checks the Adler-32 a byte at a time; the output of a
// squashfs block is its own window, so this one writes each literal and
// match straight into it and checks the sum in one pass at the end. It
// never reads past src nor writes past dst, and a stream that would is an
// error.
package inflate

import (
	"encoding/binary"
	"errors"
	"sync"
)

// Errors. A corrupt stream wraps ErrCorrupt; a stream whose output would
// not fit in dst returns ErrTooLarge.
var (
	ErrCorrupt  = errors.New("inflate: corrupt stream")
	ErrTooLarge = errors.New("inflate: output larger than the buffer")

	errHeader    = corruptError("bad zlib header")
	errDict      = corruptError("preset dictionary")
	errTruncated = corruptError("stream truncated")
	errBlockType = corruptError("invalid block type")
	errStored    = corruptError("stored block length does not match its complement")
	errCode      = corruptError("invalid Huffman code lengths")
	errSymbol    = corruptError("invalid symbol")
	errDistance  = corruptError("distance beyond the output")
	errChecksum  = corruptError("Adler-32 mismatch")
)

// corruptError is an error of a corrupt stream: it wraps ErrCorrupt.
type corruptError string

func (e corruptError) Error() string { return "inflate: " + string(e) }
func (e corruptError) Unwrap() error { return ErrCorrupt }

// Zlib decodes the zlib stream at the start of src into dst and returns
// the number of bytes it wrote. Bytes after the stream are ignored.
func Zlib(dst, src []byte) (int, error) {
	if len(src) < 2 {
		return 0, errTruncated
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 {
		return 0, errHeader
	}
	if flg&0x20 != 0 {
		return 0, errDict
	}
	d := pool.Get().(*decoder)
	n, err := d.zlib(dst, src[2:])
	d.src, d.dst = nil, nil // the pool must not keep the caller's buffers alive
	pool.Put(d)
	return n, err
}

// zlib decodes the deflate stream src and checks the Adler-32 after it.
func (d *decoder) zlib(dst, src []byte) (int, error) {
	d.reset(dst, src)
	if err := d.run(); err != nil {
		return 0, err
	}
	end := d.bytePos()
	if end < 0 || end+4 > len(src) {
		return 0, errTruncated
	}
	if binary.BigEndian.Uint32(src[end:]) != adler32(dst[:d.out]) {
		return 0, errChecksum
	}
	return d.out, nil
}

var pool = sync.Pool{New: func() any { return new(decoder) }}

// decoder is one stream's state: the bit reader over src, the output
// position in dst, and the tables of the block being decoded.
type decoder struct {
	src   []byte
	pos   int    // next byte of src to load; past len(src) after padding
	bits  uint64 // loaded bits, the next one lowest
	nbits uint   // how many of bits are loaded

	dst []byte
	out int

	lit  [litSize]uint32
	dist [distSize]uint32
	cl   [1 << clRoot]uint32
}

func (d *decoder) reset(dst, src []byte) {
	d.src, d.pos, d.bits, d.nbits = src, 0, 0, 0
	d.dst, d.out = dst, 0
}

// bytePos is the offset in src of the first byte not yet consumed, once
// the reader is byte-aligned; it is negative if the stream consumed
// padding beyond the end of src.
func (d *decoder) bytePos() int {
	d.align()
	p := d.pos - int(d.nbits/8)
	if p > len(d.src) {
		return -1
	}
	return p
}

func (d *decoder) align() {
	drop := d.nbits & 7
	d.bits >>= drop
	d.nbits -= drop
}

// need loads bits until at least n (≤ 56) are there. Past the end of src
// it loads zero bytes, and fails once the stream has consumed one of them
// (bytePos catches the last ones).
func (d *decoder) need(n uint) error {
	if d.nbits >= n {
		return nil
	}
	if d.pos > len(d.src) && uint(d.pos-len(d.src))*8 > d.nbits {
		return errTruncated
	}
	d.bits &= 1<<d.nbits - 1 // the fast refill leaves a next byte's bits above
	for d.nbits <= 56 {
		if d.pos < len(d.src) {
			d.bits |= uint64(d.src[d.pos]) << d.nbits
		}
		d.pos++
		d.nbits += 8
	}
	if d.pos > len(d.src)+8 {
		return errTruncated
	}
	return nil
}

func (d *decoder) take(n uint) uint32 {
	v := uint32(d.bits & (1<<n - 1))
	d.bits >>= n
	d.nbits -= n
	return v
}

func (d *decoder) run() error {
	for {
		if err := d.need(3); err != nil {
			return err
		}
		final := d.take(1)
		var err error
		switch d.take(2) {
		case 0:
			err = d.stored()
		case 1:
			err = d.huffman(&fixedLit, &fixedDist)
		case 2:
			if err = d.readTables(); err == nil {
				err = d.huffman(&d.lit, &d.dist)
			}
		default:
			err = errBlockType
		}
		if err != nil {
			return err
		}
		if final == 1 {
			return nil
		}
	}
}

func (d *decoder) stored() error {
	p := d.bytePos()
	d.bits, d.nbits = 0, 0
	if p < 0 || p+4 > len(d.src) {
		return errTruncated
	}
	n := int(binary.LittleEndian.Uint16(d.src[p:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(d.src[p+2:]) {
		return errStored
	}
	p += 4
	if p+n > len(d.src) {
		return errTruncated
	}
	if d.out+n > len(d.dst) {
		return ErrTooLarge
	}
	d.out += copy(d.dst[d.out:], d.src[p:p+n])
	d.pos = p + n
	return nil
}

// huffman decodes one block's symbols with the given tables. Its loop
// keeps the reader in locals and refills 8 bytes at a time, so that one
// refill covers a whole length and distance (at most 48 bits).
func (d *decoder) huffman(lit *[litSize]uint32, dist *[distSize]uint32) error {
	src, dst := d.src, d.dst
	pos, bits, nbits, out := d.pos, d.bits, d.nbits, d.out
	for {
		if nbits < 48 {
			if pos+8 <= len(src) {
				bits |= binary.LittleEndian.Uint64(src[pos:]) << nbits
				pos += int(63-nbits) >> 3
				nbits |= 56
			} else {
				d.pos, d.bits, d.nbits = pos, bits, nbits
				if err := d.need(48); err != nil {
					return err
				}
				pos, bits, nbits = d.pos, d.bits, d.nbits
			}
		}
		e := lit[bits&(1<<litRoot-1)]
		if e&kindMask == kindSub {
			bits >>= litRoot
			nbits -= litRoot
			e = lit[(e>>16+uint32(bits)&(1<<(e>>4&15)-1))&(litSize-1)]
		}
		bits >>= e & 15
		nbits -= uint(e & 15)
		switch e & kindMask {
		case kindLiteral:
			if out >= len(dst) {
				return ErrTooLarge
			}
			dst[out] = byte(e >> 16)
			out++
			continue
		case kindEnd:
			d.pos, d.bits, d.nbits, d.out = pos, bits, nbits, out
			return nil
		case kindInvalid:
			return errSymbol
		}
		extra := e >> 4 & 15
		length := int(e>>16 + uint32(bits)&(1<<extra-1))
		bits >>= extra
		nbits -= uint(extra)

		e = dist[bits&(1<<distRoot-1)]
		if e&kindMask == kindSub {
			bits >>= distRoot
			nbits -= distRoot
			e = dist[(e>>16+uint32(bits)&(1<<(e>>4&15)-1))&(distSize-1)]
		}
		if e&kindMask == kindInvalid {
			return errSymbol
		}
		bits >>= e & 15
		nbits -= uint(e & 15)
		extra = e >> 4 & 15
		distance := int(e>>16 + uint32(bits)&(1<<extra-1))
		bits >>= extra
		nbits -= uint(extra)

		if distance > out {
			return errDistance
		}
		if length > len(dst)-out {
			return ErrTooLarge
		}
		from, to := out-distance, out+length
		if distance >= length {
			copy(dst[out:to], dst[from:from+length])
		} else { // the match repeats its own output: copy it doubling
			n := copy(dst[out:to], dst[from:out])
			for out+n < to {
				n += copy(dst[out+n:to], dst[out:out+n])
			}
		}
		out = to
	}
}

// clOrder is the order in which a dynamic block lists the code lengths of
// the code-length alphabet.
var clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// readTables reads a dynamic block's code lengths and builds its tables.
func (d *decoder) readTables() error {
	if err := d.need(14); err != nil {
		return err
	}
	nlit := int(d.take(5)) + 257
	ndist := int(d.take(5)) + 1
	nclen := int(d.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return errCode
	}
	var clLens [19]uint8
	for i := range nclen {
		if err := d.need(3); err != nil {
			return err
		}
		clLens[clOrder[i]] = uint8(d.take(3))
	}
	if !build(d.cl[:], clRoot, clLens[:], clEntries[:]) {
		return errCode
	}
	var lens [286 + 30]uint8
	for i := 0; i < nlit+ndist; {
		if err := d.need(clRoot + 7); err != nil {
			return err
		}
		e := d.cl[d.bits&(1<<clRoot-1)]
		if e&kindMask == kindInvalid {
			return errCode
		}
		d.take(uint(e & 15))
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return errCode
			}
			rep, v = 3+int(d.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(d.take(3))
		default:
			rep = 11 + int(d.take(7))
		}
		if i+rep > nlit+ndist {
			return errCode
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if lens[256] == 0 { // a block that cannot end
		return errCode
	}
	if !build(d.lit[:], litRoot, lens[:nlit], litEntries[:]) ||
		!build(d.dist[:], distRoot, lens[nlit:nlit+ndist], distEntries[:]) {
		return errCode
	}
	return nil
}
