package s3api

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Range is a satisfiable byte range of an object: Length bytes from Start.
type Range struct {
	Start, Length int64
}

// ContentRange is the Content-Range header value for r in an object of
// size bytes: "bytes first-last/size".
func (r Range) ContentRange(size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", r.Start, r.Start+r.Length-1, size)
}

// ParseRange interprets a Range header for an object of size bytes, as S3
// does for a single-part object (S3 API reference, GetObject "Range";
// RFC 9110 §14.1-14.2):
//
//   - "bytes=a-b", "bytes=a-", "bytes=-n" select one range; b beyond the
//     end is clamped, so is n. ok is true.
//   - A range that starts at or after the end, "bytes=-0", and any range
//     of an empty object except a suffix range are unsatisfiable: err is
//     an InvalidRange *Error (416).
//   - A suffix range "bytes=-n" (n > 0) of an empty object selects the
//     whole, empty object (RFC 9110 §14.1.1 counts it satisfiable; S3
//     answers 200, which clients that read a file's tail rely on, e.g.
//     Trino's S3 file system tests against AWS).
//   - Anything else — no header, another unit, bad syntax, b < a, or
//     several ranges ("Amazon S3 doesn't support retrieving multiple
//     ranges of data per GET request") — is ignored, as RFC 9110 §14.2
//     lets a server do: ok is false and the whole object is served.
func ParseRange(header string, size int64) (r Range, ok bool, err error) {
	unit, spec, found := strings.Cut(strings.TrimSpace(header), "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return Range{}, false, nil
	}
	spec = strings.TrimSpace(spec)
	if strings.Contains(spec, ",") {
		return Range{}, false, nil
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return Range{}, false, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		// Suffix range: the last n bytes.
		n, valid := parseDigits(last)
		if !valid {
			return Range{}, false, nil
		}
		switch {
		case n == 0:
			return Range{}, false, InvalidRange(header, size)
		case size == 0:
			return Range{}, false, nil
		}
		n = min(n, size)
		return Range{Start: size - n, Length: n}, true, nil
	}
	a, valid := parseDigits(first)
	if !valid {
		return Range{}, false, nil
	}
	end := int64(math.MaxInt64)
	if last != "" {
		b, valid := parseDigits(last)
		if !valid || b < a {
			return Range{}, false, nil
		}
		end = b
	}
	if a >= size {
		return Range{}, false, InvalidRange(header, size)
	}
	end = min(end, size-1)
	return Range{Start: a, Length: end - a + 1}, true, nil
}

// parseDigits parses a non-empty run of ASCII digits. Values past
// MaxInt64 saturate: they are still positions, just beyond any object.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return math.MaxInt64, true
	}
	return n, true
}
