package s3api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"testing"
)

func TestErrorConstructors(t *testing.T) {
	tests := []struct {
		err    *Error
		code   string
		status int
	}{
		{NoSuchKey("k"), "NoSuchKey", 404},
		{NoSuchBucket("b"), "NoSuchBucket", 404},
		{AccessDenied(nil), "AccessDenied", 403},
		{InvalidRange("bytes=9-", 3), "InvalidRange", 416},
		{InvalidPartNumber(2, 1), "InvalidPartNumber", 416},
		{InvalidArgument("m", "max-keys", "x"), "InvalidArgument", 400},
		{InvalidRequest("m"), "InvalidRequest", 400},
		{PreconditionFailed("If-Match"), "PreconditionFailed", 412},
		{NotModified(), "NotModified", 304},
		{InternalError(nil), "InternalError", 500},
		{ServiceUnavailable(nil), "ServiceUnavailable", 503},
		{SlowDown(nil), "SlowDown", 503},
	}
	for _, tt := range tests {
		if tt.err.Code != tt.code || tt.err.Status != tt.status || tt.err.Message == "" {
			t.Errorf("%+v: want %s %d", tt.err, tt.code, tt.status)
		}
	}
}

func TestErrorXML(t *testing.T) {
	got := string(NoSuchKey("dir/a&b.txt").XML("/archive-ap/dir/a&b.txt", "4442587FB7D0A2F9"))
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>dir/a&amp;b.txt</Key>` +
		`<Resource>/archive-ap/dir/a&amp;b.txt</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>`
	if got != want {
		t.Errorf("NoSuchKey XML:\n got %s\nwant %s", got, want)
	}
	got = string(InvalidRange("bytes=40-50", 11).XML("", ""))
	want = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message>` +
		`<RangeRequested>bytes=40-50</RangeRequested><ActualObjectSize>11</ActualObjectSize></Error>`
	if got != want {
		t.Errorf("InvalidRange XML:\n got %s\nwant %s", got, want)
	}
	if NotModified().XML("/x", "id") != nil {
		t.Error("304 has a body")
	}
}

func TestAsError(t *testing.T) {
	cause := errors.New("disk on fire")
	wrapped := fmt.Errorf("open archive: %w", AccessDenied(fs.ErrPermission))
	tests := []struct {
		in   error
		code string
	}{
		{NoSuchKey("k"), "NoSuchKey"},
		{wrapped, "AccessDenied"},
		{cause, "InternalError"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "ServiceUnavailable"},
	}
	for _, tt := range tests {
		if got := AsError(tt.in); got.Code != tt.code {
			t.Errorf("AsError(%v) = %s, want %s", tt.in, got.Code, tt.code)
		}
	}
	if AsError(nil) != nil {
		t.Error("AsError(nil) is not nil")
	}
	ie := AsError(cause)
	if ie.Message == cause.Error() || !errors.Is(ie, cause) || ie.Status != http.StatusInternalServerError {
		t.Errorf("internal error leaks or loses its cause: %+v", ie)
	}
	if !errors.Is(wrapped, &Error{Code: "AccessDenied"}) || errors.Is(wrapped, &Error{Code: "NoSuchKey"}) || !errors.Is(wrapped, fs.ErrPermission) {
		t.Error("errors.Is does not see through the wrapping")
	}
}
