package s3src

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Errors a read can be tested for with errors.Is.
var (
	ErrNotFound     = errors.New("object or bucket not found")
	ErrAccessDenied = errors.New("access denied")
	// ErrChanged is a failed If-Match: the object was replaced.
	ErrChanged      = errors.New("object changed (ETag no longer matches)")
	ErrInvalidRange = errors.New("invalid range")
)

var errBadResponse = errors.New("malformed S3 response")

// errShortBody is a body that ended, or broke, before its length.
type errShortBody struct {
	got, want int64
	err       error
}

func (e errShortBody) Error() string {
	return fmt.Sprintf("short body: %d of %d bytes: %v", e.got, e.want, e.err)
}

func (e errShortBody) Unwrap() error { return e.err }

// Error is a failed S3 read. It keeps S3's status, error code and request
// id for the log, and unwraps to one of the Err* values when one applies
// and to the underlying SDK or network error.
type Error struct {
	Op         string // HEAD or GET
	Object     string // s3://bucket/key
	Attempts   int
	StatusCode int    // 0 when no response arrived
	Code       string // S3 error code, e.g. NoSuchKey, SlowDown
	RequestID  string
	Err        error
	kind       error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "s3src: %s %s", e.Op, e.Object)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	fmt.Fprintf(&b, " after %d attempt(s): %v", e.Attempts, e.Err)
	return b.String()
}

// Transient reports whether the last attempt failed for a reason that may
// pass (5xx, throttling, a broken connection, a stall), so that the same
// read may succeed later.
func (e *Error) Transient() bool { return retryable(e.Err) }

func (e *Error) Unwrap() []error {
	if e.kind == nil {
		return []error{e.Err}
	}
	return []error{e.kind, e.Err}
}

func (o *Reader) wrap(ctx context.Context, op string, attempts int, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (last error: %v)", context.Cause(ctx), err)
	}
	e := &Error{Op: op, Object: o.String(), Attempts: attempts, Err: err}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		e.StatusCode = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code = ae.ErrorCode()
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) {
		e.RequestID = rid.ServiceRequestID()
	}
	e.kind = kind(e.StatusCode, e.Code)
	if e.kind == nil && errors.Is(err, ErrInvalidRange) {
		e.kind = ErrInvalidRange
	}
	return e
}

func kind(status int, code string) error {
	switch {
	case status == http.StatusNotFound, code == "NoSuchKey", code == "NoSuchBucket", code == "NotFound":
		return ErrNotFound
	case status == http.StatusForbidden, code == "AccessDenied":
		return ErrAccessDenied
	case status == http.StatusPreconditionFailed, code == "PreconditionFailed":
		return ErrChanged
	case status == http.StatusRequestedRangeNotSatisfiable, code == "InvalidRange":
		return ErrInvalidRange
	}
	return nil
}

// Error codes S3 uses for throttling and transient failures that may come
// with a 4xx status.
var transientCodes = map[string]bool{
	"SlowDown":                 true,
	"Throttling":               true,
	"ThrottlingException":      true,
	"ThrottledException":       true,
	"RequestThrottled":         true,
	"RequestLimitExceeded":     true,
	"TooManyRequestsException": true,
	"BandwidthLimitExceeded":   true,
	"RequestTimeout":           true,
	"RequestTimeoutException":  true,
	"InternalError":            true,
	"ServiceUnavailable":       true,
}

// retryable reports whether another attempt may succeed: 5xx, 429 and
// throttling codes, connection failures, timeouts, stalls and short bodies
// (short 206s included); not
// other 4xx, not a malformed response, not cancellation.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBadResponse) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && transientCodes[ae.ErrorCode()] {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		s := re.HTTPStatusCode()
		return s >= 500 || s == http.StatusTooManyRequests
	}
	var short errShortBody
	var send *smithyhttp.RequestSendError
	var ne net.Error
	return errors.As(err, &short) || errors.As(err, &send) || errors.As(err, &ne) || errors.Is(err, errStalled) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}
