package s3api

import (
	"net/http"
	"strings"
	"time"
)

// Conditions are the conditional request headers of a GET or HEAD, as the
// client sent them.
type Conditions struct {
	IfMatch, IfNoneMatch, IfModifiedSince, IfUnmodifiedSince string
}

// ConditionsFrom reads the conditional headers (names are matched without
// regard to case).
func ConditionsFrom(h http.Header) Conditions {
	return Conditions{
		IfMatch:           h.Get("If-Match"),
		IfNoneMatch:       h.Get("If-None-Match"),
		IfModifiedSince:   h.Get("If-Modified-Since"),
		IfUnmodifiedSince: h.Get("If-Unmodified-Since"),
	}
}

// EvalConditions evaluates c against an object with this ETag (quoted or
// not) and modification time, in the order of RFC 9110 §13.2.2, which is
// S3's (S3 API reference, GetObject "If-Match"/"If-None-Match"):
//
//  1. If-Match, when present, decides alone: no match is 412, and
//     If-Unmodified-Since is then not looked at.
//  2. Otherwise If-Unmodified-Since: modified after the date is 412.
//  3. If-None-Match, when present, decides alone: a match is 304, and
//     If-Modified-Since is then not looked at.
//  4. Otherwise If-Modified-Since: not modified after the date is 304.
//
// If-Match compares strongly (a W/ tag never matches), If-None-Match
// weakly; both take lists and "*". S3 also accepts tags without quotes.
// Dates are HTTP-dates in any of the three formats; an invalid date is
// ignored (RFC 9110 §13.1.3-4), and so is an If-Modified-Since later than
// now (RFC 9110 §13.1.3: such a date is invalid; S3 answers 200). Times compare at one-second granularity,
// the resolution of Last-Modified.
func EvalConditions(c Conditions, etag string, lastModified time.Time) *Error {
	opaque := unquote(etag)
	mod := lastModified.Truncate(time.Second)
	if strings.TrimSpace(c.IfMatch) != "" {
		if !matchETag(c.IfMatch, opaque, false) {
			return PreconditionFailed("If-Match")
		}
	} else if t, ok := parseHTTPDate(c.IfUnmodifiedSince); ok && mod.After(t) {
		return PreconditionFailed("If-Unmodified-Since")
	}
	if strings.TrimSpace(c.IfNoneMatch) != "" {
		if matchETag(c.IfNoneMatch, opaque, true) {
			return NotModified()
		}
	} else if t, ok := parseHTTPDate(c.IfModifiedSince); ok && !t.After(time.Now()) && !mod.After(t) {
		return NotModified()
	}
	return nil
}

func parseHTTPDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(s)
	return t, err == nil
}

// matchETag reports whether the header's list of entity tags (or "*")
// matches the opaque tag. weak selects weak comparison.
func matchETag(header, opaque string, weak bool) bool {
	for _, tag := range splitETags(header) {
		if tag == "*" {
			return true
		}
		isWeak := strings.HasPrefix(tag, "W/")
		if isWeak {
			if !weak {
				continue
			}
			tag = tag[2:]
		}
		if unquote(tag) == opaque {
			return true
		}
	}
	return false
}

// splitETags splits a comma-separated list of entity tags; a comma inside
// quotes belongs to the tag.
func splitETags(s string) []string {
	var tags []string
	start, quoted := 0, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '"' {
			quoted = !quoted
			continue
		}
		if i == len(s) || s[i] == ',' && !quoted {
			if tag := strings.TrimSpace(s[start:i]); tag != "" {
				tags = append(tags, tag)
			}
			start = i + 1
		}
	}
	return tags
}

func unquote(tag string) string {
	if len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
		return tag[1 : len(tag)-1]
	}
	return tag
}

// quoteETag returns tag in its quoted wire form.
func quoteETag(tag string) string {
	return `"` + unquote(tag) + `"`
}
