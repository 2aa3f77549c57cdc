package inflate

import "encoding/binary"

// adler32 is RFC 1950's checksum of p. hash/adler32 adds a byte at a time,
// each sum waiting for the one before. Here the bytes of 8 words (64
// bytes) add into 16-bit lanes, their running sums into a second set, and
// a few multiplies then fold the lanes into the two sums.
func adler32(p []byte) uint32 {
	const (
		mod   = 65521
		lanes = 0x00ff00ff00ff00ff // a word's even bytes (0, 2, 4, 6), or its odd ones
		ones  = 0x0001000100010001
		// A multiply's top lane gathers every lane times its weight (by a
		// byte's place in its word, 8 down to 1); with 8 words a lane holds
		// at most 2,040 and no lower lane carries into the top one.
		evenWeight = 8<<48 | 6<<32 | 4<<16 | 2
		oddWeight  = 7<<48 | 5<<32 | 3<<16 | 1
		block      = 64
		// nmax: the most bytes before s2 could overflow 32 bits, whole blocks.
		nmax = 5552 / block * block
	)
	s1, s2 := uint64(1), uint64(0)
	for len(p) > 0 {
		chunk := p[:min(len(p), nmax)]
		p = p[len(chunk):]
		for len(chunk) >= block {
			// even, odd: the lanes summed over the block's words; before:
			// the sums of even and odd over the words before each word.
			var even, odd, evenBefore, oddBefore uint64
			for w := 0; w < block; w += 8 {
				x := binary.LittleEndian.Uint64(chunk[w:])
				evenBefore += even
				oddBefore += odd
				even += x & lanes
				odd += x >> 8 & lanes
			}
			// A byte of word k adds to s2 (8 - k) × 8 for the words after
			// it, plus its weight within its word.
			s2 += s1*block + ((evenBefore+oddBefore)*ones>>48)*8 +
				(even*evenWeight)>>48 + (odd*oddWeight)>>48
			s1 += (even + odd) * ones >> 48
			chunk = chunk[block:]
		}
		for _, c := range chunk {
			s1 += uint64(c)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return uint32(s2<<16 | s1)
}
