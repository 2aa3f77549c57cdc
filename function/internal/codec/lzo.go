package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// LZO1X decoding is our own: rasky/go-lzo grows its output without a limit
// (a run of zero bytes encodes a match of 255 bytes per input byte) and
// turns only some out-of-range accesses into errors. This decoder writes
// into dst only, checks every input and output bound, and consumes at least
// one input byte per step, so garbage costs O(len(src)+len(dst)).

func checkLZOOptions(o []byte) error {
	if o == nil {
		return nil
	}
	if len(o) != 8 {
		return fmt.Errorf("codec: lzo options: want 8 bytes, got %d", len(o))
	}
	// Algorithms 0-4 are lzo1x_1, _1_11, _1_12, _1_15 and _999: all
	// produce the LZO1X format decoded here.
	if a := binary.LittleEndian.Uint32(o); a > 4 {
		return fmt.Errorf("%w: lzo algorithm %d", ErrUnsupported, a)
	}
	return nil
}

type lzoDecoder struct{}

var (
	errLZOInput    = errors.New("lzo: input overrun")
	errLZOOutput   = errors.New("lzo: output overrun")
	errLZOBehind   = errors.New("lzo: match before start of output")
	errLZOTrailing = errors.New("lzo: input not consumed")
)

func (lzoDecoder) Decode(dst, src []byte) (int, error) {
	n, err := lzo1xDecode(dst, src)
	if err != nil {
		return 0, corrupt(LZO, err)
	}
	return n, nil
}

func lzo1xDecode(dst, src []byte) (int, error) {
	ip, op := 0, 0
	state := 0 // literals copied after the last match (4 = a long run)

	// lenExt reads the zero-byte extended length that follows a zero
	// length field: 255 per zero byte, then the final byte, plus base.
	lenExt := func(base int) (int, error) {
		zeros := 0
		for {
			if ip >= len(src) {
				return 0, errLZOInput
			}
			if src[ip] != 0 {
				break
			}
			zeros++
			ip++
		}
		if zeros > len(dst)/255+1 {
			return 0, errLZOOutput
		}
		t := zeros*255 + base + int(src[ip])
		ip++
		return t, nil
	}
	literals := func(t int) error {
		if t > len(src)-ip {
			return errLZOInput
		}
		if t > len(dst)-op {
			return errLZOOutput
		}
		copy(dst[op:], src[ip:ip+t])
		ip += t
		op += t
		return nil
	}
	match := func(back, t int) error {
		if back < 1 || back > op {
			return errLZOBehind
		}
		if t > len(dst)-op {
			return errLZOOutput
		}
		from := op - back
		for i := range t { // byte by byte: the source may overlap the output
			dst[op+i] = dst[from+i]
		}
		op += t
		return nil
	}

	if len(src) == 0 {
		return 0, errLZOInput
	}
	if src[0] > 17 {
		t := int(src[0]) - 17
		ip++
		if err := literals(t); err != nil {
			return 0, err
		}
		if t < 4 {
			state = t
		} else {
			state = 4
		}
	}
	for {
		if ip >= len(src) {
			return 0, errLZOInput
		}
		t := int(src[ip])
		ip++
		var back, length, next int
		switch {
		case t < 16 && state == 0:
			// A literal run of 4 or more bytes.
			if t == 0 {
				var err error
				if t, err = lenExt(15); err != nil {
					return 0, err
				}
			}
			if err := literals(t + 3); err != nil {
				return 0, err
			}
			state = 4
			continue
		case t < 16:
			if ip >= len(src) {
				return 0, errLZOInput
			}
			next = t & 3
			back = 1 + t>>2 + int(src[ip])<<2
			ip++
			if state == 4 {
				back += 0x800
				length = 3
			} else {
				length = 2
			}
		case t >= 64:
			if ip >= len(src) {
				return 0, errLZOInput
			}
			next = t & 3
			back = 1 + (t>>2)&7 + int(src[ip])<<3
			ip++
			length = t>>5 + 1
		case t >= 32:
			length = t & 31
			if length == 0 {
				var err error
				if length, err = lenExt(31); err != nil {
					return 0, err
				}
			}
			length += 2
			if len(src)-ip < 2 {
				return 0, errLZOInput
			}
			v := int(binary.LittleEndian.Uint16(src[ip:]))
			ip += 2
			back = 1 + v>>2
			next = v & 3
		default: // 16..31
			far := (t & 8) << 11
			length = t & 7
			if length == 0 {
				var err error
				if length, err = lenExt(7); err != nil {
					return 0, err
				}
			}
			length += 2
			if len(src)-ip < 2 {
				return 0, errLZOInput
			}
			v := int(binary.LittleEndian.Uint16(src[ip:]))
			ip += 2
			back = far + v>>2
			next = v & 3
			if back == 0 {
				// End of stream marker.
				if length != 3 {
					return 0, errLZOInput
				}
				if ip != len(src) {
					return 0, errLZOTrailing
				}
				return op, nil
			}
			back += 0x4000
		}
		if err := match(back, length); err != nil {
			return 0, err
		}
		if err := literals(next); err != nil {
			return 0, err
		}
		state = next
	}
}
