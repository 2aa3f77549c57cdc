package s3api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Op is the S3 operation a request asks for.
type Op string

// The operations the service answers.
const (
	GetObject     Op = "GetObject"
	HeadObject    Op = "HeadObject"
	ListObjects   Op = "ListObjects"
	ListObjectsV2 Op = "ListObjectsV2"
)

// MaxKeyBytes is the longest key S3 stores.
const MaxKeyBytes = 1024

// maxPartNumber is the highest part number S3 accepts.
const maxPartNumber = 10000

// Request is an S3 request, parsed once at the edge: what a front decodes
// its transport into (an Object Lambda event, an HTTP request) before it
// calls the core.
type Request struct {
	Op          Op
	Bucket, Key string
	// Range is the Range header as sent (or the "Range" query parameter,
	// which Object Lambda passes on); "" when absent. ParseRange reads it
	// against the object's size.
	Range string
	// PartNumber is 1..10000, or 0 when the request names no part.
	PartNumber int
	Conditions Conditions
	// Overrides are the response-* query parameters.
	Overrides Overrides
	// ChecksumMode is x-amz-checksum-mode ("" or "ENABLED"). Files inside
	// archives have no stored checksum, so it changes nothing for them.
	ChecksumMode string
	// List holds the parameters of ListObjects and ListObjectsV2.
	List ListRequest
}

// Overrides are the response-* query parameters of a GET or HEAD: S3 sets
// these headers of a 200 answer to the values given (S3 API reference,
// GetObject, "Overriding response header values").
type Overrides struct {
	ContentType, ContentLanguage, Expires, CacheControl, ContentDisposition, ContentEncoding string
}

// ParseRequest reads a request's parameters from its query and headers,
// as S3 does, and answers a malformed value with S3's error: a key past
// 1,024 bytes is KeyTooLongError, a partNumber that is not an integer in
// [1, 10000] is InvalidArgument, a partNumber with a Range is
// InvalidRequest, bad list parameters are InvalidArgument.
func ParseRequest(op Op, bucket, key string, query url.Values, h http.Header) (Request, error) {
	r := Request{Op: op, Bucket: bucket, Key: key}
	switch op {
	case ListObjects, ListObjectsV2:
		lr, err := ParseListRequest(query, op == ListObjectsV2)
		if err != nil {
			return r, err
		}
		lr.Bucket = bucket
		r.List = lr
		return r, nil
	}
	if len(key) > MaxKeyBytes {
		return r, KeyTooLong(key)
	}
	r.Range = h.Get("Range")
	if r.Range == "" {
		r.Range = query.Get("Range")
	}
	if pv, has := query["partNumber"]; has {
		v := ""
		if len(pv) > 0 {
			v = pv[0]
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPartNumber {
			return r, InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
		}
		if r.Range != "" {
			return r, InvalidRequest("Cannot specify both Range header and partNumber query parameter")
		}
		r.PartNumber = n
	}
	r.Conditions = ConditionsFrom(h)
	r.Overrides = Overrides{
		ContentType:        query.Get("response-content-type"),
		ContentLanguage:    query.Get("response-content-language"),
		Expires:            query.Get("response-expires"),
		CacheControl:       query.Get("response-cache-control"),
		ContentDisposition: query.Get("response-content-disposition"),
		ContentEncoding:    query.Get("response-content-encoding"),
	}
	r.ChecksumMode = strings.ToUpper(h.Get("x-amz-checksum-mode"))
	return r, nil
}

// OpOf is the operation of a REST request: GET or HEAD of a key is
// GetObject or HeadObject; GET of the bucket is ListObjectsV2 with
// list-type=2, else ListObjects. This service is read-only: any other
// method is 405 MethodNotAllowed, and HEAD of a bucket is answered by the
// front itself (HeadBucket is not an object operation).
func OpOf(method, key string, query url.Values) (Op, error) {
	switch {
	case method == http.MethodGet && key != "":
		return GetObject, nil
	case method == http.MethodHead && key != "":
		return HeadObject, nil
	case method == http.MethodGet && query.Get("list-type") == "2":
		return ListObjectsV2, nil
	case method == http.MethodGet:
		return ListObjects, nil
	}
	return "", NewError("MethodNotAllowed")
}
