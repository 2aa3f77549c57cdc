package olap_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/olap"
)

// TestWriteGetObjectResponseFailsAtOnce: when the upload of a streamed
// body breaks (the client went away), the call is not retried (a
// streamed body cannot be replayed: the SDK would sleep its backoff and
// fail with "failed to rewind transport stream for retry"), the
// invocation fails at once, and the request log says why (issue 15,
// items 6 and 7).
func TestWriteGetObjectResponseFailsAtOnce(t *testing.T) {
	s := newStack(t)
	var attempts atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		// Read a little of the body, then drop the connection, as the
		// Object Lambda endpoint does when the client disconnects.
		buf := make([]byte, 1024)
		r.Body.Read(buf)
		panic(http.ErrAbortHandler)
	}))
	defer endpoint.Close()
	logs := &logBuffer{}
	h := newHandler(t, s.s3, endpoint.URL, logs, vmapLines)
	h.Writer = olap.ResponseClient(s.s3.Client(), endpoint.URL)
	ev := loadEvent(t, "get.json")
	ev.UserRequest.URL = "https://s3archivefs-111122223333.s3-object-lambda.us-east-1.amazonaws.com/data/random/large.bin"
	start := time.Now()
	_, err := h.Handle(context.Background(), ev)
	took := time.Since(start)
	if err == nil {
		t.Fatal("a broken upload must fail the invocation")
	}
	if n := attempts.Load(); n != 1 {
		t.Errorf("%d WriteGetObjectResponse attempts, want 1: a streamed body is never retried", n)
	}
	if strings.Contains(err.Error(), "rewind") {
		t.Errorf("the SDK tried to retry: %v", err)
	}
	if took > 2*time.Second {
		t.Errorf("the failed upload took %v: no backoff may be slept", took)
	}
	lines := logs.requests()
	if len(lines) != 1 || lines[0]["error_code"] != "WriteGetObjectResponseFailed" || !strings.Contains(lines[0]["err"].(string), "upload failed") {
		t.Errorf("request log %v: must name the cause", lines)
	}
}
