package olap

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
)

// forwardedHeaders are the user's request headers a passthrough read
// forwards to the supporting access point, so S3 itself evaluates them.
var forwardedHeaders = []string{
	"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
}

// fetchOriginal reads the original object through the event's presigned
// inputS3Url. The presigned URL is never logged: its query holds a signature.
func fetchOriginal(ctx context.Context, client *http.Client, method, inputS3URL string, user http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, inputS3URL, nil)
	if err != nil {
		return nil, fmt.Errorf("olap: inputS3Url is not a valid URL")
	}
	for _, name := range forwardedHeaders {
		if v := user.Get(name); v != "" {
			req.Header.Set(name, v)
		}
	}
	reqstats.From(ctx).S3Requests.Add(1)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("olap: reading the original object: %w", redactURLError(err))
	}
	return resp, nil
}

// s3ErrorBody is S3's XML error document.
type s3ErrorBody struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// readS3Error extracts S3's error code and message from a failed response.
// A HEAD answer has no body: its code is what S3 reports for the status.
func readS3Error(resp *http.Response) (code, message string) {
	var e s3ErrorBody
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if xml.Unmarshal(body, &e) == nil && e.Code != "" {
		return e.Code, e.Message
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return "NoSuchKey", "The specified key does not exist."
	case http.StatusForbidden:
		return "AccessDenied", "Access Denied"
	case http.StatusPreconditionFailed:
		return "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
	case http.StatusRequestedRangeNotSatisfiable:
		return "InvalidRange", "The requested range is not satisfiable"
	case http.StatusBadRequest:
		return "InvalidRequest", "Bad Request"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable", "Please reduce your request rate."
	}
	return "InternalError", "We encountered an internal error. Please try again."
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
