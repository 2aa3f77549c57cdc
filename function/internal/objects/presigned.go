package objects

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// Presigned is the Namespace of the real objects as an S3 Object Lambda
// event gives them: the one object the event's presigned inputS3Url reads
// (signed for the event's method: GET for GetObject, HEAD for HeadObject),
// and a listing of the supporting access point. It lives for one event.
type Presigned struct {
	HTTP *http.Client
	// URL is the event's inputS3Url. It is never logged: its query holds
	// a signature.
	URL string
	// Lister lists the supporting access point; nil: no real objects are
	// listed.
	Lister s3api.Source
}

// Sources is the supporting access point's listing.
func (p Presigned) Sources(string) []s3api.Source {
	if p.Lister == nil {
		return nil
	}
	return []s3api.Source{p.Lister}
}

// Object reads the object's metadata, and for a GET the bytes the request
// asks for in the same request: the conditionals are not forwarded (the
// core evaluates them), the Range is. Later reads pin the ETag with
// If-Match, so they never mix two versions of the object.
func (p Presigned) Object(ctx context.Context, key string, hint Hint) (Object, error) {
	method := http.MethodGet
	if hint.Head {
		method = http.MethodHead
	}
	resp, err := p.fetch(ctx, method, hint.Range, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && !hint.Head {
		// The Range lies past the end (or the object is empty): learn the
		// metadata from its first byte, or from all of an empty object.
		resp.Body.Close()
		if resp, err = p.fetch(ctx, method, "bytes=0-0", ""); err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			resp.Body.Close()
			if resp, err = p.fetch(ctx, method, "", ""); err != nil {
				return nil, err
			}
		}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, s3Error(resp, key)
	}
	o := &presignedObject{p: p, info: infoFrom(key, resp.Header)}
	start, size, err := span(resp)
	if err != nil {
		resp.Body.Close()
		return nil, s3api.InternalError(err)
	}
	o.info.Size = size
	if hint.Head {
		resp.Body.Close()
	} else {
		o.resp, o.start = resp, start
	}
	return o, nil
}

func (p Presigned) fetch(ctx context.Context, method, rng, ifMatch string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.URL, nil)
	if err != nil {
		return nil, s3api.InternalError(errors.New("objects: inputS3Url is not a valid URL"))
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	reqstats.From(ctx).S3Requests.Add(1)
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return nil, ReadError(fmt.Errorf("objects: reading the original object: %w", redactURLError(err)))
	}
	return resp, nil
}

// span reads where the answer's body starts and the object's size.
func span(resp *http.Response) (start, size int64, err error) {
	if resp.StatusCode != http.StatusPartialContent {
		return 0, max(resp.ContentLength, 0), nil
	}
	cr := resp.Header.Get("Content-Range")
	var end int64
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &size); err != nil {
		return 0, 0, fmt.Errorf("objects: the original object's answer has Content-Range %q", cr)
	}
	return start, size, nil
}

// presignedObject is a real object, with the answer read for it, if any.
type presignedObject struct {
	p     Presigned
	info  s3api.ObjectInfo
	resp  *http.Response // body from start, or nil
	start int64
}

func (o *presignedObject) Info() s3api.ObjectInfo { return o.info }
func (o *presignedObject) Archive() string        { return "" }

func (o *presignedObject) Close() error {
	if o.resp != nil {
		o.resp.Body.Close()
		o.resp = nil
	}
	return nil
}

// Open serves the span from the answer already read when it starts there
// and covers it, and otherwise with a ranged GET pinned to the ETag.
func (o *presignedObject) Open(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	if r := o.resp; r != nil && o.start == off && (r.ContentLength < 0 || r.ContentLength >= n) {
		o.resp = nil
		return readCloser{io.LimitReader(r.Body, n), r.Body}, nil
	}
	o.Close()
	resp, err := o.p.fetch(ctx, http.MethodGet, fmt.Sprintf("bytes=%d-%d", off, off+n-1), o.info.ETag)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusPartialContent && !(resp.StatusCode == http.StatusOK && off == 0) {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusPreconditionFailed {
			return nil, s3api.SlowDown(errors.New("objects: the original object changed during the read"))
		}
		return nil, s3Error(resp, o.info.Key)
	}
	return readCloser{io.LimitReader(resp.Body, n), resp.Body}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// infoFrom reads a real object's metadata from S3's answer.
func infoFrom(key string, h http.Header) s3api.ObjectInfo {
	lastModified, _ := http.ParseTime(h.Get("Last-Modified"))
	i := s3api.ObjectInfo{
		Key:                  key,
		ETag:                 h.Get("ETag"),
		LastModified:         lastModified,
		ContentType:          h.Get("Content-Type"),
		ContentEncoding:      h.Get("Content-Encoding"),
		ContentLanguage:      h.Get("Content-Language"),
		ContentDisposition:   h.Get("Content-Disposition"),
		CacheControl:         h.Get("Cache-Control"),
		Expires:              h.Get("Expires"),
		PartsCount:           s3api.PartsCountOf(h.Get("ETag")),
		StorageClass:         h.Get("x-amz-storage-class"),
		VersionID:            h.Get("x-amz-version-id"),
		ServerSideEncryption: h.Get("x-amz-server-side-encryption"),
		Expiration:           h.Get("x-amz-expiration"),
		Restore:              h.Get("x-amz-restore"),
	}
	for k, vs := range h {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(vs) > 0 {
			if i.Metadata == nil {
				i.Metadata = map[string]string{}
			}
			i.Metadata[name] = vs[0]
		}
	}
	return i
}

// s3Error is the error S3 answered with: its code, status and message, or
// for an answer without an error document (HEAD), the error for its status.
func s3Error(resp *http.Response, key string) error {
	var doc struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e *s3api.Error
	if xml.Unmarshal(body, &doc) == nil && doc.Code != "" {
		// S3's own answer goes to the client as S3 gave it.
		e = &s3api.Error{Code: doc.Code, Status: resp.StatusCode, Message: doc.Message}
	} else {
		e = s3api.ForStatus(resp.StatusCode)
	}
	if e.Code == "NoSuchKey" {
		e.Key = key
	}
	e.Cause = fmt.Errorf("objects: the original object: HTTP %d %s", resp.StatusCode, doc.Code)
	return e
}

// redactURLError drops the URL (and so the presigned signature) from a
// transport error.
func redactURLError(err error) error {
	if ue, ok := err.(interface{ Unwrap() error }); ok {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
