// Package vmap is the virtual prefix map: it says which archive object
// answers for which part of the S3 key space.
//
// An entry reads "virtual/prefix|s3://bucket/path/to/archive.sqfs". Keys
// under virtual/prefix/ are files inside that archive; "/" alone maps the
// whole namespace. Prefixes match whole path segments and the longest
// match wins.
package vmap

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Entry maps one virtual prefix to one archive object.
type Entry struct {
	// Prefix is the virtual prefix without leading or trailing "/";
	// "" is the root of the namespace.
	Prefix string
	// Bucket and Key name the archive object.
	Bucket, Key string
	// Source says where the entry was defined, for messages:
	// "S3ARCHIVEFS_PREFIX_VMAP3" or "/path/file:12".
	Source string
}

// Line is one entry's text and where it came from.
type Line struct {
	Text, Source string
}

// Map is a parsed virtual prefix map. The zero value and nil are empty
// maps. A Map is immutable and safe for concurrent use.
type Map struct {
	byPrefix map[string]Entry
	sorted   []Entry
}

// maxKeyBytes is the longest object key S3 accepts.
const maxKeyBytes = 1024

// Parse parses entries. Errors name the line's source and quote its text.
func Parse(lines []Line) (*Map, error) {
	m := &Map{byPrefix: make(map[string]Entry, len(lines))}
	for _, l := range lines {
		e, err := parseLine(l)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", l.Source, l.Text, err)
		}
		if prev, dup := m.byPrefix[e.Prefix]; dup {
			return nil, fmt.Errorf("%s: %q: virtual prefix %q is already mapped by %s", l.Source, l.Text, displayPrefix(e.Prefix), prev.Source)
		}
		m.byPrefix[e.Prefix] = e
		m.sorted = append(m.sorted, e)
	}
	sort.Slice(m.sorted, func(i, j int) bool { return m.sorted[i].Prefix < m.sorted[j].Prefix })
	return m, nil
}

func displayPrefix(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func parseLine(l Line) (Entry, error) {
	text := strings.TrimSpace(l.Text)
	if n := strings.Count(text, "|"); n != 1 {
		return Entry{}, fmt.Errorf("want exactly one '|' between the virtual prefix and the s3:// URL, found %d", n)
	}
	rawPrefix, rawURL, _ := strings.Cut(text, "|")
	prefix, err := parsePrefix(strings.TrimSpace(rawPrefix))
	if err != nil {
		return Entry{}, err
	}
	bucket, key, err := parseURL(strings.TrimSpace(rawURL))
	if err != nil {
		return Entry{}, err
	}
	return Entry{Prefix: prefix, Bucket: bucket, Key: key, Source: l.Source}, nil
}

// parsePrefix trims one leading and one trailing "/" and checks that what
// is left can match keys segment by segment.
func parsePrefix(p string) (string, error) {
	switch p {
	case "":
		return "", fmt.Errorf("the virtual prefix is empty (write / to map the root of the namespace)")
	case "/":
		return "", nil
	}
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("the virtual prefix is not valid UTF-8")
	}
	if len(p)+1 > maxKeyBytes {
		return "", fmt.Errorf("the virtual prefix is longer than %d bytes", maxKeyBytes-1)
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return "", fmt.Errorf("the virtual prefix has an empty path segment")
		case ".", "..":
			return "", fmt.Errorf("the virtual prefix has a %q path segment", seg)
		}
	}
	return p, nil
}

// parseURL splits s3://bucket/key. The key is taken literally, as the AWS
// CLI does: no percent-decoding, "?" and "#" are part of the key.
func parseURL(u string) (bucket, key string, err error) {
	const scheme = "s3://"
	if len(u) < len(scheme) || !strings.EqualFold(u[:len(scheme)], scheme) {
		return "", "", fmt.Errorf("the archive URL must start with s3://")
	}
	rest := u[len(scheme):]
	bucket, key, found := strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return "", "", err
	}
	switch {
	case !found || key == "":
		return "", "", fmt.Errorf("the archive URL names no object (want s3://%s/path/to/archive.sqfs)", bucket)
	case strings.HasSuffix(key, "/"):
		return "", "", fmt.Errorf("the archive URL ends in '/': it names a prefix, not an object")
	case len(key) > maxKeyBytes:
		return "", "", fmt.Errorf("the archive object key is longer than %d bytes", maxKeyBytes)
	case !utf8.ValidString(key):
		return "", "", fmt.Errorf("the archive object key is not valid UTF-8")
	}
	return bucket, key, nil
}

// checkBucket applies S3's naming rules for general purpose buckets
// (docs: "General purpose bucket naming rules"): 3-63 characters of
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit, no two adjacent dots, not shaped like an IP address,
// and none of the reserved prefixes. Names with the reserved suffixes
// "-s3alias" (access point aliases) and "--x-s3" (directory buckets) are
// accepted: both are valid wherever a bucket name is.
func checkBucket(b string) error {
	bad := func(why string) error { return fmt.Errorf("bucket name %q is not valid: %s", b, why) }
	if len(b) < 3 || len(b) > 63 {
		return bad("it must be 3 to 63 characters long")
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("only lowercase letters, digits, '.' and '-' are allowed")
		}
	}
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return bad("it must begin and end with a letter or digit")
	}
	if strings.Contains(b, "..") {
		return bad("it must not contain two adjacent periods")
	}
	if a, err := netip.ParseAddr(b); err == nil && a.Is4() {
		return bad("it must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return bad("the prefix " + strconv.Quote(p) + " is reserved")
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// Resolve finds the entry whose prefix is the longest whole-segment
// prefix of key. inner is the path inside the archive ("" when key is
// the prefix itself, with or without a trailing "/").
func (m *Map) Resolve(key string) (e Entry, inner string, ok bool) {
	if m == nil || len(m.byPrefix) == 0 {
		return Entry{}, "", false
	}
	// Try key itself, then each shorter prefix ending before a "/".
	for cand := key; ; {
		if e, ok := m.byPrefix[cand]; ok && cand != "" {
			rest := key[len(cand):]
			return e, strings.TrimPrefix(rest, "/"), true
		}
		i := strings.LastIndexByte(cand, '/')
		if i < 0 {
			break
		}
		cand = cand[:i]
	}
	if e, ok := m.byPrefix[""]; ok {
		return e, key, true
	}
	return Entry{}, "", false
}

// Entries returns the entries sorted by Prefix in byte order.
func (m *Map) Entries() []Entry {
	if m == nil {
		return nil
	}
	return append([]Entry(nil), m.sorted...)
}

// Len is the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.sorted)
}
