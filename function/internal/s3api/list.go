package s3api

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ListEntry is one object of a listing.
type ListEntry struct {
	Key          string
	Size         int64
	ETag         string // quoted or not; rendered quoted
	LastModified time.Time
	StorageClass string // "" renders as STANDARD
	Owner        *Owner
}

// Owner is an object's owner as listings show it.
type Owner struct {
	ID, DisplayName string
}

// Source is one part of the namespace: the real objects of a bucket, or
// the files of one archive under its virtual prefix.
type Source interface {
	// Objects yields the source's objects whose keys start with prefix and
	// are >= from, in byte order.
	// It stops when yield returns false. Cost must be proportional to what
	// is consumed, not to the source's size.
	Objects(ctx context.Context, prefix, from string) iter.Seq2[ListEntry, error]
}

// ListRequest is a ListObjects (V1) or ListObjectsV2 request.
type ListRequest struct {
	V2                bool
	Bucket            string // rendered as <Name>; the caller sets it
	Prefix, Delimiter string
	StartAfter        string // V2
	ContinuationToken string // V2
	// HasContinuationToken is true when continuation-token was in the
	// query, even empty: S3 then echoes it.
	HasContinuationToken bool
	Marker               string // V1
	MaxKeys              int    // -1: unset, 1000
	EncodingType         string // "" or "url"
	FetchOwner           bool   // V2; V1 always shows owners
}

// DefaultMaxKeys is both the default and the cap of max-keys.
const DefaultMaxKeys = 1000

func (r ListRequest) maxKeys() int {
	if r.MaxKeys < 0 || r.MaxKeys > DefaultMaxKeys {
		return DefaultMaxKeys
	}
	return r.MaxKeys
}

// ParseListRequest reads a list request's query parameters (S3 API
// reference, ListObjectsV2 and ListObjects). max-keys defaults to 1000
// and is capped there; a max-keys that is not a non-negative integer, an
// encoding-type other than "url", and a continuation token this package
// did not issue are 400 InvalidArgument.
func ParseListRequest(query url.Values, v2 bool) (ListRequest, error) {
	r := ListRequest{
		V2:           v2,
		Prefix:       query.Get("prefix"),
		Delimiter:    query.Get("delimiter"),
		MaxKeys:      -1,
		EncodingType: query.Get("encoding-type"),
	}
	if v, has := query["max-keys"]; has {
		s := ""
		if len(v) > 0 {
			s = v[0]
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		if err != nil || n < 0 {
			return ListRequest{}, InvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", s)
		}
		r.MaxKeys = int(min(n, DefaultMaxKeys))
	}
	if r.EncodingType != "" && r.EncodingType != "url" {
		return ListRequest{}, InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", r.EncodingType)
	}
	if v2 {
		r.StartAfter = query.Get("start-after")
		_, r.HasContinuationToken = query["continuation-token"]
		r.ContinuationToken = query.Get("continuation-token")
		r.FetchOwner = strings.EqualFold(query.Get("fetch-owner"), "true")
		if r.ContinuationToken != "" {
			if _, err := DecodeToken(r.ContinuationToken); err != nil {
				return ListRequest{}, invalidToken(r.ContinuationToken)
			}
		}
	} else {
		r.Marker = query.Get("marker")
	}
	return r, nil
}

// after is the position the listing resumes strictly after: the
// continuation token's (which wins over start-after), start-after, or
// the marker.
func (r ListRequest) after() (string, error) {
	if !r.V2 {
		return r.Marker, nil
	}
	if r.ContinuationToken != "" {
		after, err := DecodeToken(r.ContinuationToken)
		if err != nil {
			return "", invalidToken(r.ContinuationToken)
		}
		return after, nil
	}
	return r.StartAfter, nil
}

// ListResult is one page of a listing.
type ListResult struct {
	Request        ListRequest
	Objects        []ListEntry
	CommonPrefixes []string
	IsTruncated    bool
	// NextContinuationToken (V2) resumes after this page.
	NextContinuationToken string
	// NextMarker (V1) is the last key or common prefix of a truncated page,
	// set only when the request has a delimiter, as S3 does.
	NextMarker string
}

// List builds one page of the namespace that the sources make up
// together, in UTF-8 byte order, as S3 lists a bucket.
//
// The sources are merged k-way. When two sources hold the same key, the
// one earlier in sources wins and the others' object is dropped. With a
// delimiter, a key that has the delimiter after the prefix is rolled up
// into its common prefix, and every source restarts at the successor of
// that prefix, so a common prefix costs one step however many keys it
// holds. Entries (keys and common prefixes alike) count toward max-keys
// and are returned only when they sort after the marker, start-after or
// continuation token: a page that ends on a common prefix resumes after
// all of it.
func List(ctx context.Context, req ListRequest, sources []Source) (*ListResult, error) {
	after, err := req.after()
	if err != nil {
		return nil, err
	}
	res := &ListResult{Request: req}
	limit := req.maxKeys()
	if limit == 0 {
		// S3 answers max-keys=0 with an empty, untruncated page.
		return res, nil
	}
	from := req.Prefix
	if next := after + "\x00"; after != "" && next > from {
		from = next
	}
	m := &merger{ctx: ctx, prefix: req.Prefix}
	for _, s := range sources {
		m.cursors = append(m.cursors, &cursor{src: s})
	}
	defer m.close()
	if err := m.seek(from); err != nil {
		return nil, err
	}
	var last string
	count := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		obj, ok, err := m.peek()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if req.Delimiter != "" {
			if i := strings.Index(obj.Key[len(req.Prefix):], req.Delimiter); i >= 0 {
				cp := obj.Key[:len(req.Prefix)+i+len(req.Delimiter)]
				if cp > after {
					if count == limit {
						res.IsTruncated = true
						break
					}
					res.CommonPrefixes = append(res.CommonPrefixes, cp)
					last, count = cp, count+1
				}
				next, ok := successor(cp)
				if !ok {
					break
				}
				if err := m.seek(next); err != nil {
					return nil, err
				}
				continue
			}
		}
		if obj.Key > after {
			if count == limit {
				res.IsTruncated = true
				break
			}
			res.Objects = append(res.Objects, obj)
			last, count = obj.Key, count+1
		}
		if err := m.advance(obj.Key); err != nil {
			return nil, err
		}
	}
	if res.IsTruncated {
		if req.V2 {
			res.NextContinuationToken = EncodeToken(last)
		} else if req.Delimiter != "" {
			res.NextMarker = last
		}
	}
	return res, nil
}

// successor returns the smallest string greater than every string that
// starts with p; ok is false when there is none (p is empty or all 0xff).
func successor(p string) (string, bool) {
	b := []byte(p)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}

// cursor is one source being read.
type cursor struct {
	src  Source
	next func() (ListEntry, error, bool)
	stop func()
	head ListEntry
	ok   bool // head is valid
	from string
}

type merger struct {
	ctx     context.Context
	prefix  string
	cursors []*cursor
}

// seek positions every source at the first key >= from. Sources already
// there keep their place; the others restart.
func (m *merger) seek(from string) error {
	for _, c := range m.cursors {
		if c.next != nil && (!c.ok || c.head.Key >= from) {
			continue
		}
		if c.stop != nil {
			c.stop()
		}
		c.next, c.stop = iter.Pull2(c.src.Objects(m.ctx, m.prefix, from))
		c.ok, c.from = false, from
		if err := m.pull(c); err != nil {
			return err
		}
	}
	return nil
}

// pull reads the source's next usable object into head.
func (m *merger) pull(c *cursor) error {
	prev, hadPrev := c.head.Key, c.ok
	for {
		obj, err, ok := c.next()
		if !ok {
			c.ok = false
			return nil
		}
		if err != nil {
			c.ok = false
			return fmt.Errorf("s3api: listing: %w", err)
		}
		if obj.Key < c.from {
			continue
		}
		if !strings.HasPrefix(obj.Key, m.prefix) {
			// Keys with the prefix are contiguous in byte order: past them,
			// nothing more can match.
			c.ok = false
			return nil
		}
		if hadPrev && obj.Key <= prev {
			c.ok = false
			return InternalError(fmt.Errorf("s3api: a listing source yielded %q after %q: keys out of order", obj.Key, prev))
		}
		c.head, c.ok = obj, true
		return nil
	}
}

// peek returns the smallest head; on a tie the earliest source's.
func (m *merger) peek() (ListEntry, bool, error) {
	var best *cursor
	for _, c := range m.cursors {
		if c.ok && (best == nil || c.head.Key < best.head.Key) {
			best = c
		}
	}
	if best == nil {
		return ListEntry{}, false, nil
	}
	return best.head, true, nil
}

// advance moves every source whose head is key past it.
func (m *merger) advance(key string) error {
	for _, c := range m.cursors {
		if c.ok && c.head.Key == key {
			if err := m.pull(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *merger) close() {
	for _, c := range m.cursors {
		if c.stop != nil {
			c.stop()
		}
	}
}
