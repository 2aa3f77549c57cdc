package inflate

// A table entry is a uint32:
//
//	bits 0-3    the code's length: the bits it consumes (a link: the root's bits)
//	bits 4-7    the extra bits that follow the code (a link: its subtable's bits)
//	bits 8-10   its kind
//	bits 16-31  its value: the literal byte, the length or distance base, or
//	            the offset of a link's subtable in the table
const (
	kindLiteral = 0 << 8
	kindBase    = 1 << 8 // a length, or a distance
	kindEnd     = 2 << 8
	kindSub     = 3 << 8 // a link to the subtable of the codes longer than the root
	kindInvalid = 4 << 8
	kindMask    = 7 << 8
)

// Table sizes: a root of litRoot (distRoot) bits and, after it, the
// subtables of longer codes. A complete code needs at most 1334 (402)
// entries with these roots (zlib's enough program counts them); the
// tables are powers of two so that an index can be masked into range.
const (
	litRoot  = 10
	litSize  = 2048
	distRoot = 8
	distSize = 1024
	clRoot   = 7 // the code-length code's lengths are at most 7 bits: no subtables
)

var (
	litEntries  [288]uint32
	distEntries [32]uint32
	clEntries   [19]uint32

	fixedLit  [litSize]uint32
	fixedDist [distSize]uint32
)

func init() {
	lengthBase := [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra := [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase := [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	for sym := range litEntries {
		switch {
		case sym < 256:
			litEntries[sym] = kindLiteral | uint32(sym)<<16
		case sym == 256:
			litEntries[sym] = kindEnd
		case sym < 286:
			litEntries[sym] = kindBase | lengthBase[sym-257]<<16 | lengthExtra[sym-257]<<4
		default:
			litEntries[sym] = kindInvalid
		}
	}
	for sym := range distEntries {
		if sym < 30 {
			distEntries[sym] = kindBase | distBase[sym]<<16 | uint32(max(sym/2-1, 0))<<4
		} else {
			distEntries[sym] = kindInvalid
		}
	}
	for sym := range clEntries {
		clEntries[sym] = kindLiteral | uint32(sym)<<16
	}

	var lens [288]uint8
	for sym := range lens {
		switch {
		case sym < 144:
			lens[sym] = 8
		case sym < 256:
			lens[sym] = 9
		case sym < 280:
			lens[sym] = 7
		default:
			lens[sym] = 8
		}
	}
	build(fixedLit[:], litRoot, lens[:], litEntries[:])
	for sym := range 32 {
		lens[sym] = 5
	}
	build(fixedDist[:], distRoot, lens[:32], distEntries[:])
}

// build fills table with the entries that decode the canonical Huffman code
// of lengths (0: the symbol is not in the code): the code's first root bits
// index the table, and a longer code goes on in a subtable after the root.
// entries[sym] is a symbol's entry without its code length. build reports
// false for a code that is over-subscribed or incomplete, except (as
// compress/flate and zlib allow) a code of a single 1-bit symbol, whose
// other code is invalid. A code of no symbol at all gives a table of
// invalid entries.
func build(table []uint32, root int, lengths []uint8, entries []uint32) bool {
	var count [16]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	maxLen := 15
	for maxLen > 0 && count[maxLen] == 0 {
		maxLen--
	}
	rootSize := 1 << root
	left := 1
	for l := 1; l <= 15; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false
		}
	}
	if maxLen == 0 || left > 0 {
		if maxLen > 1 {
			return false
		}
		for i := range rootSize {
			table[i] = kindInvalid
		}
	}

	// Symbols in canonical order (by length, then value), and their codes
	// bit-reversed, as the stream delivers them lowest bit first.
	var offs [16]int
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted, codes [288]uint16
	total := 0
	for sym, l := range lengths {
		if l != 0 {
			sorted[offs[l]] = uint16(sym)
			offs[l]++
			total++
		}
	}
	code, i := 0, 0
	for l := 1; l <= maxLen; l++ {
		for range count[l] {
			codes[i] = reverse(code, l)
			i++
			code++
		}
		code <<= 1
	}

	next := rootSize
	prefix, base, subBits := -1, 0, 0
	for i := range total {
		sym := sorted[i]
		l, r, e := int(lengths[sym]), int(codes[i]), entries[sym]
		if l <= root {
			for j := r; j < rootSize; j += 1 << l {
				table[j] = e | uint32(l)
			}
			continue
		}
		if p := r & (rootSize - 1); p != prefix {
			// Codes sharing a root prefix come one after another in
			// canonical order, the longest last: it sets the subtable's size.
			last := i
			for last+1 < total && int(codes[last+1])&(rootSize-1) == p {
				last++
			}
			prefix, base, subBits = p, next, int(lengths[sorted[last]])-root
			next += 1 << subBits
			if next > len(table) {
				return false
			}
			table[p] = kindSub | uint32(base)<<16 | uint32(subBits)<<4 | uint32(root)
		}
		sl := l - root
		for j := r >> root; j < 1<<subBits; j += 1 << sl {
			table[base+j] = e | uint32(sl)
		}
	}
	return true
}

// reverse returns the low n bits of code in reverse order.
func reverse(code, n int) uint16 {
	r := 0
	for range n {
		r = r<<1 | code&1
		code >>= 1
	}
	return uint16(r)
}
