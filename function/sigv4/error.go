package sigv4

import (
	"fmt"

	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
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

// s3err builds the error of one of S3's codes; its HTTP status comes from
// s3api's table, the one place that maps codes to statuses.
func s3err(code, msg string, extra ...[2]string) *Error {
	return &Error{Status: s3api.NewError(code).Status, Code: code, Message: msg, Extra: extra}
}

func errAccessDenied(msg string) *Error { return s3err("AccessDenied", msg) }
