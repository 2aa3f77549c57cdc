package s3api

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ObjectInfo is an object's metadata, as a GET of the whole object answers
// it: the same for a file inside an archive and for a real object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // quoted or not; rendered quoted
	LastModified time.Time
	// The content headers; ContentType "" renders as DefaultContentType.
	ContentType, ContentEncoding, ContentLanguage, ContentDisposition, CacheControl string
	Expires                                                                         string // as stored (an HTTP-date)
	// PartsCount is the number of parts of an object uploaded in parts (its
	// ETag ends in "-N"), 0 for a single-part object.
	PartsCount int
	// Metadata is the user metadata, names without "x-amz-meta-".
	Metadata map[string]string
	// Headers S3 sends for some real objects; "" when absent.
	StorageClass, VersionID, ServerSideEncryption, Expiration, Restore string
}

// Answer is the core's typed answer to a Request; each front encodes it in
// its own way (Header gives the S3 response headers). Exactly one of these
// holds: Err is set (an S3 error, Status is its status); Status is 304
// (not modified: a status, not an error; Info has the ETag and
// Last-Modified); Status is 200 or 206 for an object (Info, the content
// length and range, and for a GET the Body); List is set for a listing.
type Answer struct {
	Status int
	Err    *Error
	Info   ObjectInfo
	// ContentLength is the length of the body sent (of the range, for 206).
	ContentLength int64
	// ContentRange is "bytes a-b/size" for 206, "bytes */size" for 416.
	ContentRange string
	// PartsCount is x-amz-mp-parts-count: sent when a partNumber request
	// reads an object uploaded in parts.
	PartsCount int
	// Body streams the selected bytes of a GET; the front closes it.
	Body io.ReadCloser
	List *ListResult
	// Archive names the archive that served the key, for the request log
	// only (never sent to the client).
	Archive string
}

// ErrorAnswer is the answer for err: its S3 error (InternalError for
// anything that is not one).
func ErrorAnswer(err error) *Answer {
	e := AsError(err)
	return &Answer{Status: e.Status, Err: e}
}

// Header renders the answer's S3 response headers (none for a listing,
// whose body is the XML).
func (a *Answer) Header() http.Header {
	h := http.Header{}
	set := func(name, v string) {
		if v != "" {
			h.Set(name, v)
		}
	}
	switch {
	case a.Err != nil:
		set("Content-Range", a.ContentRange)
		return h
	case a.List != nil:
		return h
	case a.Status == http.StatusNotModified:
		set("ETag", quoteETag(a.Info.ETag))
		set("Last-Modified", httpDate(a.Info.LastModified))
		return h
	}
	i := a.Info
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(a.ContentLength, 10))
	set("Content-Range", a.ContentRange)
	ct := i.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	h.Set("Content-Type", ct)
	set("Content-Encoding", i.ContentEncoding)
	set("Content-Language", i.ContentLanguage)
	set("Content-Disposition", i.ContentDisposition)
	set("Cache-Control", i.CacheControl)
	set("Expires", i.Expires)
	h.Set("ETag", quoteETag(i.ETag))
	set("Last-Modified", httpDate(i.LastModified))
	if a.PartsCount > 0 {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(a.PartsCount))
	}
	set("x-amz-storage-class", i.StorageClass)
	set("x-amz-version-id", i.VersionID)
	set("x-amz-server-side-encryption", i.ServerSideEncryption)
	set("x-amz-expiration", i.Expiration)
	set("x-amz-restore", i.Restore)
	for k, v := range i.Metadata {
		h.Set("x-amz-meta-"+k, v)
	}
	return h
}

func httpDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(http.TimeFormat)
}

// Select applies a GET or HEAD request's conditionals, partNumber and
// Range to an object, in S3's order, and returns the answer without its
// body, and the span [off, off+n) of the object the body must carry:
//
//  1. Conditional headers (412 PreconditionFailed, 304 Not Modified).
//  2. partNumber: part 1 of a single-part object (or of an object whose
//     one part is all of it) is the whole object as a 206 with
//     Content-Range (200 when the object is empty: no range can describe
//     it); a part past the object's parts is 416 InvalidPartNumber. An
//     object uploaded in several parts is 501 NotImplemented: its part
//     boundaries are not known here. x-amz-mp-parts-count goes out when
//     the object was uploaded in parts (S3 sends it only for those).
//  3. Range (see ParseRange): 206 with Content-Range, or 416 InvalidRange
//     with "Content-Range: bytes */size", as S3 sends it.
//  4. The response-* overrides apply to a 200 answer (S3 API reference,
//     GetObject: "only on a successful request, that is, when status code
//     200 OK is returned").
func Select(req Request, info ObjectInfo) (a *Answer, off, n int64) {
	a = &Answer{Info: info}
	if err := EvalConditions(req.Conditions, info.ETag, info.LastModified); err != nil {
		if err.Status == http.StatusNotModified {
			a.Status = http.StatusNotModified
			return a, 0, 0
		}
		return ErrorAnswer(err), 0, 0
	}
	size := info.Size
	if req.PartNumber > 0 {
		parts := max(info.PartsCount, 1)
		switch {
		case parts > 1:
			return ErrorAnswer(NotImplemented("partNumber is not supported for objects uploaded in several parts; use a Range.")), 0, 0
		case req.PartNumber > parts:
			return ErrorAnswer(InvalidPartNumber(req.PartNumber, parts)), 0, 0
		}
		a.PartsCount = info.PartsCount
		if size == 0 {
			a.Status = http.StatusOK
			a.applyOverrides(req.Overrides)
			return a, 0, 0
		}
		r := Range{Start: 0, Length: size}
		a.Status, a.ContentLength, a.ContentRange = http.StatusPartialContent, size, r.ContentRange(size)
		return a, 0, size
	}
	r, ok, err := ParseRange(req.Range, size)
	switch {
	case err != nil:
		e := ErrorAnswer(err)
		e.ContentRange = "bytes */" + strconv.FormatInt(size, 10)
		return e, 0, 0
	case ok:
		a.Status, a.ContentLength, a.ContentRange = http.StatusPartialContent, r.Length, r.ContentRange(size)
		return a, r.Start, r.Length
	}
	a.Status, a.ContentLength = http.StatusOK, size
	a.applyOverrides(req.Overrides)
	return a, 0, size
}

func (a *Answer) applyOverrides(o Overrides) {
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&a.Info.ContentType, o.ContentType}, {&a.Info.ContentLanguage, o.ContentLanguage},
		{&a.Info.Expires, o.Expires}, {&a.Info.CacheControl, o.CacheControl},
		{&a.Info.ContentDisposition, o.ContentDisposition}, {&a.Info.ContentEncoding, o.ContentEncoding},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
}

// PartsCountOf reads the part count from an ETag of the multipart form
// ("…-N"); 0 for any other ETag.
func PartsCountOf(etag string) int {
	_, suffix, ok := strings.Cut(unquote(etag), "-")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(suffix)
	if err != nil || n < 1 {
		return 0
	}
	return n
}
