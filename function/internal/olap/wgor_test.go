package olap_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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

// TestAnswerAfterIdleTakesNewConnection: a WriteGetObjectResponse
// connection idle for more than a second is not reused. Lambda freezes an
// instance between invocations, and a server that closed the connection
// meanwhile would be noticed only with the next answer on it, whose
// streamed body cannot be sent again. (Through test/olaplocal with an
// endpoint closing idle connections after 1 s, Go's default reuse failed
// 2 of 15 and 1 of 30 GETs that followed a freeze of more than that.)
func TestAnswerAfterIdleTakesNewConnection(t *testing.T) {
	s := newStack(t)
	var conns atomic.Int32
	endpoint := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	endpoint.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	endpoint.Start()
	defer endpoint.Close()
	w := olap.ResponseClient(s.s3.Client(), endpoint.URL)
	answer := func() {
		t.Helper()
		_, err := w.WriteGetObjectResponse(t.Context(), &s3.WriteGetObjectResponseInput{
			RequestRoute: aws.String("route"), RequestToken: aws.String("token"),
			Body: io.MultiReader(strings.NewReader("streamed")), ContentLength: aws.Int64(8)})
		if err != nil {
			t.Fatal(err)
		}
	}
	answer()
	answer() // at once: the same connection
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for two answers in a row, want 1", n)
	}
	time.Sleep(1200 * time.Millisecond)
	answer()
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after an idle 1.2 s, want a new one (2)", n)
	}
}
