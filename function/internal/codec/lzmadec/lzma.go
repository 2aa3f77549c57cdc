// Package lzmadec decodes squashfs's xz and lzma blocks into a buffer that
// holds their whole output: an xz stream of LZMA2 chunks, or an lzma
// "alone" stream, whose LZMA decoder uses the output itself as its
// dictionary (no block outgrows it).
//
// A general xz reader decodes into a dictionary of its own and copies out
// of it, and keeps its range decoder in memory between bits. Here the
// decoder writes each literal and match straight into dst and keeps the
// range decoder in registers while it decodes a chunk. It never reads past
// src nor writes past dst.
//
// It decodes the streams mksquashfs and gensquashfs write. xz: one stream
// of blocks whose only filter is LZMA2, with no check, CRC-32, CRC-64 or
// SHA-256, and nothing after it but padding. lzma: lc + lp at most 4
// (squashfs-tools-ng uses lc 3, lp 0). Anything else (a BCJ or delta
// filter, another check, a second xz stream, a larger literal context) is
// ErrUnsupported, for a general decoder to take.
package lzmadec

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// Errors. A corrupt stream wraps ErrCorrupt; a stream whose output would
// not fit in dst returns ErrTooLarge; one this package does not decode
// returns ErrUnsupported.
var (
	ErrCorrupt     = errors.New("lzmadec: corrupt stream")
	ErrTooLarge    = errors.New("lzmadec: output larger than the buffer")
	ErrUnsupported = errors.New("lzmadec: unsupported stream")

	errTruncated = corruptError("stream truncated")
	errRange     = corruptError("range decoder did not end where its chunk does")
	errDistance  = corruptError("match distance beyond the dictionary")
	errLength    = corruptError("match runs past the chunk's end")
	errProps     = corruptError("invalid lc/lp/pb properties")
	errNoEnd     = corruptError("no end marker after the declared size")
	errEarlyEnd  = corruptError("end marker before the declared size")
)

// corruptError is an error of a corrupt stream: it wraps ErrCorrupt.
type corruptError string

func (e corruptError) Error() string { return "lzmadec: " + string(e) }
func (e corruptError) Unwrap() error { return ErrCorrupt }

const (
	states       = 12
	litStates    = 7 // states below this one follow a literal
	posStatesMax = 1 << 4

	distStates    = 4 // by match length: 2, 3, 4, 5 and more
	distSlotBits  = 6
	distModelEnd  = 14 // slots from here on code their low bits directly
	fullDistances = 1 << (distModelEnd / 2)
	alignBits     = 4

	matchLenMin = 2
	lenLowBits  = 3
	lenMidBits  = 3
	lenHighBits = 8

	// LZMA2 allows lc + lp up to 4.
	maxLitProbs = 0x300 << 4

	probBits = 11
	probInit = 1 << (probBits - 1)
	moveBits = 5
)

// lenProbs code a match length: 2-9, 10-17 or 18-273.
type lenProbs struct {
	choice, choice2 uint16
	low             [posStatesMax][1 << lenLowBits]uint16
	mid             [posStatesMax][1 << lenMidBits]uint16
	high            [1 << lenHighBits]uint16
}

// probs is the adaptive model: every probability the decoder updates.
type probs struct {
	isMatch     [states][posStatesMax]uint16
	isRep       [states]uint16
	isRep0      [states]uint16
	isRep1      [states]uint16
	isRep2      [states]uint16
	isRep0Long  [states][posStatesMax]uint16
	distSlot    [distStates][1 << distSlotBits]uint16
	distSpecial [fullDistances - distModelEnd]uint16
	distAlign   [1 << alignBits]uint16
	matchLen    lenProbs
	repLen      lenProbs
	literal     [maxLitProbs]uint16
}

// decoder is the LZMA state that lives across an LZMA2 block's chunks.
type decoder struct {
	probs
	state     int
	reps      [4]uint32 // distances - 1, the last one used first
	lc, lp    uint
	pbMask    int
	dictStart int // dst offset of the last dictionary reset
	dictSize  int // matches reach at most this far back

	// endMarkerOK: the data may end with an end-of-payload marker (lzma
	// alone streams; LZMA2 has none).
	endMarkerOK bool

	in [maxPacked + maxSymbolBytes]byte // the chunk being decoded
}

// maxPacked is the most compressed bytes an LZMA2 chunk holds.
const maxPacked = 1 << 16

// parseProps splits a properties byte, (pb * 5 + lp) * 9 + lc.
func parseProps(b byte) (lc, lp, pb uint, err error) {
	if b > (4*5+4)*9+8 {
		return 0, 0, 0, errProps
	}
	return uint(b % 9), uint(b / 9 % 5), uint(b / 45), nil
}

// setProps takes an LZMA2 properties byte, whose lc + lp is at most 4.
func (d *decoder) setProps(b byte) error {
	lc, lp, pb, err := parseProps(b)
	if err != nil || lc+lp > 4 {
		return errProps
	}
	d.lc, d.lp, d.pbMask = lc, lp, 1<<pb-1
	return nil
}

// resetState starts a new model: the probabilities, the state machine and
// the distances. The dictionary stays.
func (d *decoder) resetState() {
	d.probs = initialProbs
	d.state = 0
	d.reps = [4]uint32{}
}

// initialProbs has every probability at one half. Copying it (28 KiB) is
// cheaper than walking the tables, and happens about once per block.
var initialProbs = func() (p probs) {
	flat := unsafe.Slice((*uint16)(unsafe.Pointer(&p)), unsafe.Sizeof(p)/2)
	for i := range flat {
		flat[i] = probInit
	}
	return p
}()

// rangeDec is the range decoder over one LZMA chunk's compressed bytes,
// which lie in a buffer with room to spare after them: a symbol reads at
// most maxSymbolBytes, so the decoder checks the position once a symbol,
// not once a byte. It is passed and returned by value, so that it stays
// in registers: each bit depends on the one before.
type rangeDec struct {
	rng, code uint32
	pos       int
	in        *[maxPacked + maxSymbolBytes]byte
}

// maxSymbolBytes bounds the bytes one symbol reads: one per bit, and a
// match with the longest distance codes 48 bits.
const maxSymbolBytes = 64

func (r rangeDec) normalize() rangeDec {
	if r.rng < 1<<24 {
		r.rng <<= 8
		r.code = r.code<<8 | uint32(r.in[r.pos])
		r.pos++
	}
	return r
}

// split normalizes r and returns where a bit of probability prob (of a 0)
// splits its range: a code below the bound is a 0. The bit-tree loops
// decode with it, and adapt prob, themselves: bit would not be inlined.
func (r rangeDec) split(prob uint32) (rangeDec, uint32) {
	r = r.normalize()
	return r, (r.rng >> probBits) * prob
}

// bit decodes one bit with probability *p of a 0, and adapts *p.
func (r rangeDec) bit(p *uint16) (rangeDec, uint32) {
	prob := uint32(*p)
	r, bound := r.split(prob)
	if r.code < bound {
		r.rng = bound
		*p = uint16(prob + (1<<probBits-prob)>>moveBits)
		return r, 0
	}
	r.rng -= bound
	r.code -= bound
	*p = uint16(prob - prob>>moveBits)
	return r, 1
}

// tree decodes a bit tree whose coder p has 1<<n entries: n bits, the
// most significant first. Looping on len(p) lets the compiler drop p's
// bounds checks, and bit is spelled out: the call would not be inlined.
func (r rangeDec) tree(p []uint16) (rangeDec, uint32) {
	sym := 1
	for sym < len(p) {
		prob := uint32(p[sym])
		var bound uint32
		r, bound = r.split(prob)
		if r.code < bound {
			r.rng = bound
			p[sym] = uint16(prob + (1<<probBits-prob)>>moveBits)
			sym <<= 1
		} else {
			r.rng -= bound
			r.code -= bound
			p[sym] = uint16(prob - prob>>moveBits)
			sym = sym<<1 | 1
		}
	}
	return r, uint32(sym - len(p))
}

// literal decodes a literal's 8 bits with its coder p, as tree does; the
// fixed bound lets the compiler drop p's bounds checks.
func (r rangeDec) literal(p *[0x300]uint16) (rangeDec, uint32) {
	sym := uint32(1)
	for sym < 0x100 {
		prob := uint32(p[sym])
		var bound uint32
		r, bound = r.split(prob)
		// Without branches, these bits being the hardest to predict:
		// zero is all ones for a 0 bit (code below bound), else 0.
		zero := uint32(int64(uint64(r.code)-uint64(bound)) >> 63)
		r.rng = bound&zero | (r.rng-bound)&^zero
		r.code -= bound &^ zero
		up, down := prob+(1<<probBits-prob)>>moveBits, prob-prob>>moveBits
		p[sym] = uint16(down ^ (up^down)&zero)
		sym = sym<<1 + 1 + zero
	}
	return r, sym - 0x100
}

// matchedLiteral decodes a literal after a match: its bits are coded with
// those of the byte the last distance points at, until the two differ.
// bit is spelled out as in tree.
func (r rangeDec) matchedLiteral(p *[0x300]uint16, match uint32) (rangeDec, uint32) {
	sym, offset := uint32(1), uint32(0x100)
	for sym < 0x100 {
		match <<= 1
		mbit := match & offset
		i := offset + mbit + sym
		prob := uint32(p[i])
		var bound uint32
		r, bound = r.split(prob)
		if r.code < bound {
			r.rng = bound
			p[i] = uint16(prob + (1<<probBits-prob)>>moveBits)
			sym <<= 1
			offset &^= mbit
		} else {
			r.rng -= bound
			r.code -= bound
			p[i] = uint16(prob - prob>>moveBits)
			sym = sym<<1 | 1
			offset &= mbit
		}
	}
	return r, sym - 0x100
}

// reverseTree decodes a bit tree of n bits, the least significant first.
// Its root is p[0]. bit is spelled out as in tree.
func (r rangeDec) reverseTree(p []uint16, n uint) (rangeDec, uint32) {
	sym, v := uint32(1), uint32(0)
	for i := range n {
		prob := uint32(p[sym-1])
		var bound uint32
		r, bound = r.split(prob)
		if r.code < bound {
			r.rng = bound
			p[sym-1] = uint16(prob + (1<<probBits-prob)>>moveBits)
			sym <<= 1
		} else {
			r.rng -= bound
			r.code -= bound
			p[sym-1] = uint16(prob - prob>>moveBits)
			sym = sym<<1 | 1
			v |= 1 << i
		}
	}
	return r, v
}

// direct decodes n bits of probability one half.
func (r rangeDec) direct(n uint) (rangeDec, uint32) {
	v := uint32(0)
	for range n {
		r = r.normalize()
		r.rng >>= 1
		r.code -= r.rng
		mask := 0 - r.code>>31 // all ones if code went below zero: a 0 bit
		r.code += r.rng & mask
		v = v<<1 | (mask + 1)
	}
	return r, v
}

func (r rangeDec) length(l *lenProbs, posState int) (rangeDec, int) {
	var b, v uint32
	if r, b = r.bit(&l.choice); b == 0 {
		r, v = r.tree(l.low[posState][:])
		return r, matchLenMin + int(v)
	}
	if r, b = r.bit(&l.choice2); b == 0 {
		r, v = r.tree(l.mid[posState][:])
		return r, matchLenMin + 1<<lenLowBits + int(v)
	}
	r, v = r.tree(l.high[:])
	return r, matchLenMin + 1<<lenLowBits + 1<<lenMidBits + int(v)
}

// distance decodes the distance (less one) of a match of length n.
func (r rangeDec) distance(p *probs, n int) (rangeDec, uint32) {
	r, slot := r.tree(p.distSlot[min(n-matchLenMin, distStates-1)][:])
	if slot < 4 {
		return r, slot
	}
	bits := uint(slot>>1 - 1)
	dist := (2 | slot&1) << bits
	var v uint32
	if slot < distModelEnd {
		r, v = r.reverseTree(p.distSpecial[dist-slot:], bits)
		return r, dist + v
	}
	r, v = r.direct(bits - alignBits)
	dist += v << alignBits
	r, v = r.reverseTree(p.distAlign[1:], alignBits)
	return r, dist + v
}

// endMarker is the distance of LZMA's end-of-payload marker.
const endMarker = 1<<32 - 1

// decode decodes the range-coded LZMA data in into dst[out:end] and
// returns the new end of the output. An LZMA2 chunk must fill
// dst[out:end] and take in exactly. An lzma alone stream (endMarkerOK) may
// end sooner with an end marker, or carry one after end; bytes after it
// are not its. in may outgrow d.in: it is read in windows.
func (d *decoder) decode(dst []byte, out, end int, in []byte) (int, error) {
	if len(in) < 5 || in[0] != 0 {
		return 0, errRange
	}
	base := 0 // the offset in in of d.in[0]
	copy(d.in[:], in)
	r := rangeDec{rng: 0xffffffff, code: binary.BigEndian.Uint32(in[1:5]), in: &d.in, pos: 5}
	var b uint32
	state, reps := d.state, d.reps
	start, lc, lpMask, pbMask := d.dictStart, d.lc, 1<<d.lp-1, d.pbMask
	ended := false
	dst = dst[:end]
	for out < len(dst) {
		var err error
		if r, base, err = d.window(r, base, in); err != nil {
			return 0, err
		}
		posState := (out - start) & pbMask
		if r, b = r.bit(&d.isMatch[state][posState]); b == 0 {
			prev := uint32(0)
			if out > start {
				prev = uint32(dst[out-1])
			}
			lit := ((out-start)&lpMask)<<lc + int(prev>>(8-lc))
			p := (*[0x300]uint16)(d.literal[0x300*lit:])
			var sym uint32
			if state < litStates {
				r, sym = r.literal(p)
			} else {
				from := out - int(reps[0]) - 1
				if from < start {
					return 0, errDistance
				}
				r, sym = r.matchedLiteral(p, uint32(dst[from]))
			}
			dst[out] = byte(sym)
			out++
			switch {
			case state < 4:
				state = 0
			case state < 10:
				state -= 3
			default:
				state -= 6
			}
			continue
		}
		var n int
		if r, b = r.bit(&d.isRep[state]); b == 0 {
			// A match with a new distance.
			if state < litStates {
				state = 7
			} else {
				state = 10
			}
			reps[3], reps[2], reps[1] = reps[2], reps[1], reps[0]
			r, n = r.length(&d.matchLen, posState)
			r, reps[0] = r.distance(&d.probs, n)
			if reps[0] == endMarker && d.endMarkerOK {
				ended = true
				break
			}
		} else if r, b = r.bit(&d.isRep0[state]); b == 0 {
			if r, b = r.bit(&d.isRep0Long[state][posState]); b == 0 {
				// A single byte from the last distance.
				if state < litStates {
					state = 9
				} else {
					state = 11
				}
				n = 1
			}
		} else {
			var dist uint32
			if r, b = r.bit(&d.isRep1[state]); b == 0 {
				dist = reps[1]
			} else {
				if r, b = r.bit(&d.isRep2[state]); b == 0 {
					dist = reps[2]
				} else {
					dist = reps[3]
					reps[3] = reps[2]
				}
				reps[2] = reps[1]
			}
			reps[1] = reps[0]
			reps[0] = dist
		}
		if n == 0 { // a match with one of the last distances
			if state < litStates {
				state = 8
			} else {
				state = 11
			}
			r, n = r.length(&d.repLen, posState)
		}
		dist := int(reps[0]) + 1
		if dist > out-start || dist > d.dictSize {
			return 0, errDistance
		}
		if n > len(dst)-out {
			return 0, errLength
		}
		copyMatch(dst, out, dist, n)
		out += n
	}
	if base+r.pos > len(in) {
		return 0, errRange
	}
	r = r.normalize() // as before a next bit: the encoder's flush counts on it
	if d.endMarkerOK && !ended && r.code != 0 {
		// Not finished at the declared size: an end marker must follow.
		var err error
		if r, base, err = d.window(r, base, in); err != nil {
			return 0, err
		}
		if r, b = r.bit(&d.isMatch[state][(out-start)&pbMask]); b == 1 {
			if r, b = r.bit(&d.isRep[state]); b == 0 {
				var n int
				var dist uint32
				r, n = r.length(&d.matchLen, (out-start)&pbMask)
				r, dist = r.distance(&d.probs, n)
				ended = dist == endMarker
			}
		}
		if base+r.pos > len(in) {
			return 0, errRange
		}
		if !ended {
			return 0, errNoEnd
		}
		r = r.normalize()
	}
	if r.code != 0 || !d.endMarkerOK && base+r.pos != len(in) {
		return 0, errRange
	}
	d.state, d.reps = state, reps
	return out, nil
}

// window readies r for a symbol, which reads at most maxSymbolBytes: it
// fails once r has read past in, and moves d.in on along in once r is
// past its first maxPacked bytes.
func (d *decoder) window(r rangeDec, base int, in []byte) (rangeDec, int, error) {
	if base+r.pos > len(in) {
		return r, base, errRange
	}
	if r.pos > maxPacked {
		base += r.pos
		copy(d.in[:], in[base:])
		r.pos = 0
	}
	return r, base, nil
}

// copyMatch repeats the n bytes that start dist before out at out; they
// may overlap what they write.
func copyMatch(dst []byte, out, dist, n int) {
	from := out - dist
	if n <= 16 || dist < n && dist < 8 {
		for i := range n {
			dst[out+i] = dst[from+i]
		}
		return
	}
	if dist >= n {
		copy(dst[out:out+n], dst[from:from+n])
		return
	}
	done := copy(dst[out:out+n], dst[from:out])
	for done < n {
		done += copy(dst[out+done:out+n], dst[out:out+done])
	}
}
