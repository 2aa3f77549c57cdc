package lzmadec

import "encoding/binary"

// aloneHeader is the size of an lzma alone stream's header: properties,
// dictionary size and uncompressed size (all ones when unknown).
const aloneHeader = 13

// Alone decodes the lzma alone stream src into dst and returns the number
// of bytes it wrote. The stream ends at its declared size, with or without
// an end marker after it, or at its end marker when the size is unknown.
// Bytes after the stream are ignored.
func Alone(dst, src []byte) (int, error) {
	if len(src) < aloneHeader {
		return 0, errTruncated
	}
	lc, lp, pb, err := parseProps(src[0])
	if err != nil {
		return 0, err
	}
	if lc+lp > 4 {
		return 0, ErrUnsupported
	}
	size := binary.LittleEndian.Uint64(src[5:])
	known := size != 1<<64-1
	end := len(dst)
	if known {
		if size > uint64(len(dst)) {
			return 0, ErrTooLarge
		}
		end = int(size)
	}
	d := pool.Get().(*decoder)
	defer pool.Put(d)
	d.lc, d.lp, d.pbMask = lc, lp, 1<<pb-1
	d.resetState()
	d.dictStart, d.endMarkerOK = 0, true
	d.dictSize = max(int(binary.LittleEndian.Uint32(src[1:])), 4096) // liblzma's floor
	n, err := d.decode(dst, 0, end, src[aloneHeader:])
	switch {
	case !known && (err == errNoEnd || err == errLength):
		return 0, ErrTooLarge // more output than dst holds
	case err != nil:
		return 0, err
	case known && n != end:
		return 0, errEarlyEnd
	}
	return n, nil
}
