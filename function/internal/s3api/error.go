// Package s3api holds S3's semantics, free of any transport: error codes
// and documents, Range and partNumber, conditional requests, object
// headers, and the merged, paginated listing with its XML.
//
// Sources for the rules are cited where they are subtle; "S3 API
// reference" means https://docs.aws.amazon.com/AmazonS3/latest/API/.
package s3api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an S3 error response: a code, a message and an HTTP status
// (S3 API reference, "Error responses"). Errors of this type are the
// answers clients see; any other error becomes InternalError at the edge.
type Error struct {
	Code    string
	Message string
	Status  int
	// Key is the object key, rendered as <Key> (as S3 does for NoSuchKey).
	Key string
	// Details are extra elements of the error document, in order, such as
	// RangeRequested and ActualObjectSize for InvalidRange.
	Details []Detail
	// Cause is the internal error behind this one. It is logged, never
	// sent to the client.
	Cause error
}

// Detail is one extra element of an error document.
type Detail struct{ Name, Value string }

func (e *Error) Error() string {
	s := fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &Error{Code: "NoSuchKey"}) works through wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// AsError returns the S3 error that err stands for: the *Error in its
// chain, or InternalError (whose message reveals nothing of the cause).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ServiceUnavailable(err)
	}
	return InternalError(err)
}

// codes is the one table of the S3 error codes this service answers with:
// HTTP status and S3's default message (S3 API reference, "Error
// responses", "List of error codes"). Nothing else spells a code.
var codes = map[string]struct {
	status  int
	message string
}{
	"AccessDenied":                 {http.StatusForbidden, "Access Denied"},
	"InternalError":                {http.StatusInternalServerError, "We encountered an internal error. Please try again."},
	"InvalidArgument":              {http.StatusBadRequest, "Invalid Argument"},
	"InvalidPartNumber":            {http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable"},
	"InvalidRange":                 {http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"},
	"InvalidRequest":               {http.StatusBadRequest, "Invalid Request"},
	"KeyTooLongError":              {http.StatusBadRequest, "Your key is too long"},
	"MethodNotAllowed":             {http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."},
	"NoSuchBucket":                 {http.StatusNotFound, "The specified bucket does not exist"},
	"NoSuchKey":                    {http.StatusNotFound, "The specified key does not exist."},
	"NotImplemented":               {http.StatusNotImplemented, "A header you provided implies functionality that is not implemented."},
	"NotModified":                  {http.StatusNotModified, "Not Modified"},
	"PreconditionFailed":           {http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold"},
	"ServiceUnavailable":           {http.StatusServiceUnavailable, "Service is unable to handle request."},
	"SlowDown":                     {http.StatusServiceUnavailable, "Please reduce your request rate."},
	"BadRequest":                   {http.StatusBadRequest, "Bad Request"},
	"SignatureDoesNotMatch":        {http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	"InvalidAccessKeyId":           {http.StatusForbidden, "The AWS access key Id you provided does not exist in our records."},
	"RequestTimeTooSkewed":         {http.StatusForbidden, "The difference between the request time and the server's time is too large."},
	"AuthorizationHeaderMalformed": {http.StatusBadRequest, "The authorization header is malformed."},
	"MissingSecurityHeader":        {http.StatusBadRequest, "Your request is missing a required header."},
	"ExpiredToken":                 {http.StatusBadRequest, "The provided token has expired."},
	"InvalidBucketName":            {http.StatusBadRequest, "The specified bucket is not valid."},
	"RequestTimeout":               {http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period."},
	// SigV4 as function/sigv4 checks it (the function URL front).
	"AuthorizationQueryParametersError": {http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter."},
	"InvalidToken":                      {http.StatusBadRequest, "The provided token is malformed or otherwise invalid."},
	"IncompleteBody":                    {http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	"XAmzContentSHA256Mismatch":         {http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."},
	// Bucket configuration the function URL front honestly has none of.
	"NoSuchBucketPolicy":      {http.StatusNotFound, "The bucket policy does not exist"},
	"NoSuchCORSConfiguration": {http.StatusNotFound, "The CORS configuration does not exist"},
}

// NewError is the error of code with S3's status and default message; an
// unknown code is a programming error and becomes InternalError.
func NewError(code string) *Error {
	c, ok := codes[code]
	if !ok {
		e := NewError("InternalError")
		e.Cause = fmt.Errorf("s3api: unknown error code %q", code)
		return e
	}
	return &Error{Code: code, Status: c.status, Message: c.message}
}

// Known reports whether code is in the table.
func Known(code string) bool { _, ok := codes[code]; return ok }

// ForStatus is the error a client is given for an S3 answer of this status
// that names no code (a HEAD has no error document).
func ForStatus(status int) *Error {
	switch status {
	case http.StatusNotFound:
		return NewError("NoSuchKey")
	case http.StatusForbidden:
		return NewError("AccessDenied")
	case http.StatusPreconditionFailed:
		return NewError("PreconditionFailed")
	case http.StatusRequestedRangeNotSatisfiable:
		return NewError("InvalidRange")
	case http.StatusBadRequest:
		return NewError("BadRequest")
	case http.StatusNotModified:
		return NewError("NotModified")
	case http.StatusServiceUnavailable:
		return NewError("SlowDown")
	case http.StatusNotImplemented:
		return NewError("NotImplemented")
	}
	return NewError("InternalError")
}

func (e *Error) with(message string) *Error { e.Message = message; return e }

func (e *Error) withCause(cause error) *Error { e.Cause = cause; return e }

func (e *Error) withDetails(d ...Detail) *Error { e.Details = d; return e }

// NoSuchKey is the 404 for a key that names no object.
func NoSuchKey(key string) *Error {
	e := NewError("NoSuchKey")
	e.Key = key
	return e
}

// KeyTooLong is the 400 for a key longer than S3 stores (1,024 bytes).
func KeyTooLong(key string) *Error {
	return NewError("KeyTooLongError").withDetails(Detail{"Size", strconv.Itoa(len(key))}, Detail{"MaxSizeAllowed", strconv.Itoa(MaxKeyBytes)})
}

// NoSuchBucket is the 404 for a bucket that does not exist.
func NoSuchBucket(bucket string) *Error {
	return NewError("NoSuchBucket").withDetails(Detail{"BucketName", bucket})
}

// AccessDenied is the 403 S3 answers when the caller may not read.
func AccessDenied(cause error) *Error { return NewError("AccessDenied").withCause(cause) }

// InvalidRange is the 416 for a Range no byte of the object satisfies.
func InvalidRange(rangeHeader string, size int64) *Error {
	return NewError("InvalidRange").withDetails(Detail{"RangeRequested", rangeHeader}, Detail{"ActualObjectSize", strconv.FormatInt(size, 10)})
}

// InvalidPartNumber is the 416 for a partNumber beyond the object's parts.
func InvalidPartNumber(requested, partCount int) *Error {
	return NewError("InvalidPartNumber").withDetails(Detail{"PartNumberRequested", strconv.Itoa(requested)}, Detail{"ActualPartCount", strconv.Itoa(partCount)})
}

// InvalidArgument is the 400 for a malformed request parameter.
func InvalidArgument(message, name, value string) *Error {
	return NewError("InvalidArgument").with(message).withDetails(Detail{"ArgumentName", name}, Detail{"ArgumentValue", value})
}

// InvalidRequest is the 400 for a request whose parts contradict.
func InvalidRequest(message string) *Error { return NewError("InvalidRequest").with(message) }

// NotImplemented is the 501 for a feature this service does not offer.
func NotImplemented(message string) *Error { return NewError("NotImplemented").with(message) }

// PreconditionFailed is the 412 for a failed If-Match or
// If-Unmodified-Since; condition names the header.
func PreconditionFailed(condition string) *Error {
	return NewError("PreconditionFailed").withDetails(Detail{"Condition", condition})
}

// NotModified is the 304 for a GET or HEAD whose If-None-Match or
// If-Modified-Since says the client's copy is current. It has no body.
func NotModified() *Error { return NewError("NotModified") }

// InternalError is the 500 for anything unexpected; cause is logged only.
func InternalError(cause error) *Error { return NewError("InternalError").withCause(cause) }

// ServiceUnavailable is the 503 for a dependency that did not answer in
// time; clients retry it.
func ServiceUnavailable(cause error) *Error { return NewError("ServiceUnavailable").withCause(cause) }

// SlowDown is the 503 that asks the client to reduce its request rate.
func SlowDown(cause error) *Error { return NewError("SlowDown").withCause(cause) }

// XML renders S3's error document. resource and requestID are omitted
// when empty. A 304 has no body: XML returns nil for it.
func (e *Error) XML(resource, requestID string) []byte {
	if e.Status == http.StatusNotModified {
		return nil
	}
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("<Error>")
	element(&b, "Code", e.Code)
	element(&b, "Message", e.Message)
	if e.Key != "" {
		element(&b, "Key", e.Key)
	}
	for _, d := range e.Details {
		element(&b, d.Name, d.Value)
	}
	if resource != "" {
		element(&b, "Resource", resource)
	}
	if requestID != "" {
		element(&b, "RequestId", requestID)
	}
	b.WriteString("</Error>")
	return b.Bytes()
}
