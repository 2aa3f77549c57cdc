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

// NoSuchKey is the 404 for a key that names no object.
func NoSuchKey(key string) *Error {
	return &Error{Code: "NoSuchKey", Status: http.StatusNotFound, Message: "The specified key does not exist.", Key: key}
}

// NoSuchBucket is the 404 for a bucket that does not exist.
func NoSuchBucket(bucket string) *Error {
	return &Error{Code: "NoSuchBucket", Status: http.StatusNotFound, Message: "The specified bucket does not exist",
		Details: []Detail{{"BucketName", bucket}}}
}

// AccessDenied is the 403 S3 answers when the caller may not read.
func AccessDenied(cause error) *Error {
	return &Error{Code: "AccessDenied", Status: http.StatusForbidden, Message: "Access Denied", Cause: cause}
}

// InvalidRange is the 416 for a Range no byte of the object satisfies.
func InvalidRange(rangeHeader string, size int64) *Error {
	return &Error{Code: "InvalidRange", Status: http.StatusRequestedRangeNotSatisfiable,
		Message: "The requested range is not satisfiable",
		Details: []Detail{{"RangeRequested", rangeHeader}, {"ActualObjectSize", strconv.FormatInt(size, 10)}}}
}

// InvalidPartNumber is the 416 for a partNumber beyond the object's parts.
func InvalidPartNumber(requested, partCount int) *Error {
	return &Error{Code: "InvalidPartNumber", Status: http.StatusRequestedRangeNotSatisfiable,
		Message: "The requested partnumber is not satisfiable",
		Details: []Detail{{"PartNumberRequested", strconv.Itoa(requested)}, {"ActualPartCount", strconv.Itoa(partCount)}}}
}

// InvalidArgument is the 400 for a malformed request parameter.
func InvalidArgument(message, name, value string) *Error {
	return &Error{Code: "InvalidArgument", Status: http.StatusBadRequest, Message: message,
		Details: []Detail{{"ArgumentName", name}, {"ArgumentValue", value}}}
}

// InvalidRequest is the 400 for a request whose parts contradict.
func InvalidRequest(message string) *Error {
	return &Error{Code: "InvalidRequest", Status: http.StatusBadRequest, Message: message}
}

// PreconditionFailed is the 412 for a failed If-Match or
// If-Unmodified-Since; condition names the header.
func PreconditionFailed(condition string) *Error {
	return &Error{Code: "PreconditionFailed", Status: http.StatusPreconditionFailed,
		Message: "At least one of the pre-conditions you specified did not hold",
		Details: []Detail{{"Condition", condition}}}
}

// NotModified is the 304 for a GET or HEAD whose If-None-Match or
// If-Modified-Since says the client's copy is current. It has no body.
func NotModified() *Error {
	return &Error{Code: "NotModified", Status: http.StatusNotModified, Message: "Not Modified"}
}

// InternalError is the 500 for anything unexpected; cause is logged only.
func InternalError(cause error) *Error {
	return &Error{Code: "InternalError", Status: http.StatusInternalServerError,
		Message: "We encountered an internal error. Please try again.", Cause: cause}
}

// ServiceUnavailable is the 503 for a dependency that did not answer in
// time; clients retry it.
func ServiceUnavailable(cause error) *Error {
	return &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable,
		Message: "Service is unable to handle request.", Cause: cause}
}

// SlowDown is the 503 that asks the client to reduce its request rate.
func SlowDown(cause error) *Error {
	return &Error{Code: "SlowDown", Status: http.StatusServiceUnavailable,
		Message: "Please reduce your request rate.", Cause: cause}
}

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
