package e2e

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// testLogs checks the function's JSON log: one "request" line per request
// that says what was answered, and nothing secret anywhere.
func (s *stack) testLogs(t *testing.T) {
	readme := prefix + "README.md"
	size := s.tree.Objects[readme].Size
	// call makes one request and returns its request id (the endpoint's
	// x-amz-request-id, which is the event's xAmzRequestId).
	type call func(t *testing.T) (string, error)
	getCall := func(in s3.GetObjectInput) call {
		return func(t *testing.T) (string, error) {
			in.Bucket = aws.String(bucket)
			out, err := s.client.GetObject(ctxTimeout(t, time.Minute), &in)
			if err != nil {
				return asAPIError(err).requestID, err
			}
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
			return requestID(out.ResultMetadata), err
		}
	}
	for _, c := range []struct {
		name     string
		call     call
		op, key  string
		status   int
		bytesOut int64 // -1: not checked
		errCode  string
	}{
		{"GetObject", getCall(s3.GetObjectInput{Key: aws.String(readme)}), "GetObject", readme, 200, size, ""},
		{"GetObject Range", getCall(s3.GetObjectInput{Key: aws.String(readme), Range: aws.String("bytes=10-19")}), "GetObject", readme, 206, 10, ""},
		{"GetObject missing", getCall(s3.GetObjectInput{Key: aws.String(prefix + "nope")}), "GetObject", prefix + "nope", 404, -1, "NoSuchKey"},
		{"GetObject bad range", getCall(s3.GetObjectInput{Key: aws.String(readme), Range: aws.String("bytes=99999-")}), "GetObject", readme, 416, -1, "InvalidRange"},
		{"GetObject passthrough", getCall(s3.GetObjectInput{Key: aws.String("hello.txt")}), "GetObject", "hello.txt", 200, int64(len(passthroughObjects["hello.txt"])), ""},
		{"HeadObject", func(t *testing.T) (string, error) {
			out, err := s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(readme)})
			if err != nil {
				return "", err
			}
			return requestID(out.ResultMetadata), nil
		}, "HeadObject", readme, 200, 0, ""},
		{"ListObjectsV2", func(t *testing.T) (string, error) {
			out, err := s.client.ListObjectsV2(ctxTimeout(t, time.Minute), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
			if err != nil {
				return "", err
			}
			return requestID(out.ResultMetadata), nil
		}, "ListObjectsV2", "", 200, -1, ""},
		{"ListObjects", func(t *testing.T) (string, error) {
			out, err := s.client.ListObjects(ctxTimeout(t, time.Minute), &s3.ListObjectsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
			if err != nil {
				return "", err
			}
			return requestID(out.ResultMetadata), nil
		}, "ListObjects", "", 200, -1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := c.call(t)
			if err != nil && c.status < 400 {
				t.Fatal(err)
			}
			if id == "" {
				t.Fatalf("no x-amz-request-id in the answer (%v)", err)
			}
			lines := s.requestLines(t, id)
			if len(lines) != 1 {
				t.Fatalf("%d request lines for request %s, want 1: %v", len(lines), id, lines)
			}
			l := lines[0]
			if l.Op != c.op || l.Status != c.status || l.ErrorCode != c.errCode || (c.key != "" && l.Key != c.key) {
				t.Errorf("logged op %q key %q status %d error_code %q; want %q %q %d %q\n%s", l.Op, l.Key, l.Status, l.ErrorCode, c.op, c.key, c.status, c.errCode, l.raw)
			}
			if c.bytesOut >= 0 && l.BytesOut != c.bytesOut {
				t.Errorf("logged bytes_out %d, want %d\n%s", l.BytesOut, c.bytesOut, l.raw)
			}
			if l.Level != "INFO" || l.DurationMS <= 0 {
				t.Errorf("level %q duration_ms %v\n%s", l.Level, l.DurationMS, l.raw)
			}
		})
	}

	// Over everything logged so far (the CLI tests' requests included):
	// no request logged twice, and no credential or signature anywhere.
	t.Run("whole log", func(t *testing.T) {
		seen := map[string]int{}
		requests := 0
		for _, l := range s.logs(t) {
			for _, secret := range []string{olaplocal.DefaultSecretKey, "X-Amz-Signature", "x-amz-signature",
				"X-Amz-Credential", "x-amz-credential", "Signature=", "AWS4-HMAC-SHA256", "X-Amz-Security-Token"} {
				if strings.Contains(l.raw, secret) {
					t.Errorf("log line contains %q: %s", secret, l.raw)
				}
			}
			if l.Msg != "request" {
				continue
			}
			requests++
			if seen[l.RequestID]++; seen[l.RequestID] == 2 {
				t.Errorf("request %s logged more than once", l.RequestID)
			}
			if l.Op == "" || l.Status < 100 || l.RequestID == "" {
				t.Errorf("request line without op, status or request_id: %s", l.raw)
			}
		}
		if requests < 100 {
			t.Errorf("only %d request lines in the whole run", requests)
		}
		t.Logf("%d request lines", requests)
	})
}

func requestID(md middleware.Metadata) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	return id
}
