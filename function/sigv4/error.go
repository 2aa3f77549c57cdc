package sigv4

import (
	"fmt"
	"net/http"
)

// Error is an S3 error answer: the HTTP status, the code and message of
// S3's error document, and the extra elements S3 adds for some codes
// (StringToSign, Region, HeadersNotSigned...), in order.
type Error struct {
	Status  int
	Code    string
	Message string
	Extra   [][2]string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func s3err(status int, code, msg string, extra ...[2]string) *Error {
	return &Error{Status: status, Code: code, Message: msg, Extra: extra}
}

func errAccessDenied(msg string) *Error { return s3err(http.StatusForbidden, "AccessDenied", msg) }
