package olap_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/olap"
)

// captured records WriteGetObjectResponse calls in place of AWS's endpoint.
type captured struct {
	mu    sync.Mutex
	calls []*s3.WriteGetObjectResponseInput
	body  []byte
}

func (c *captured) WriteGetObjectResponse(ctx context.Context, in *s3.WriteGetObjectResponseInput, _ ...func(*s3.Options)) (*s3.WriteGetObjectResponseOutput, error) {
	var body []byte
	if in.Body != nil {
		var err error
		if body, err = io.ReadAll(in.Body); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, in)
	c.body = body
	return &s3.WriteGetObjectResponseOutput{}, nil
}

func loadEvent(t *testing.T, name string) events.S3ObjectLambdaEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.S3ObjectLambdaEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// TestDocumentedEvents feeds the handler events in the shapes the S3 user
// guide documents (virtual-hosted access point URLs, the user's headers in
// userRequest) and checks each answer: exactly one WriteGetObjectResponse
// for GetObject, JSON for the others.
func TestDocumentedEvents(t *testing.T) {
	s := newStackWith(t, listable)
	logs := &logBuffer{}
	h := newHandler(t, s.s3, "http://127.0.0.1:1", logs, listable)
	w := &captured{}
	h.Writer = w
	ctx := context.Background()
	small := s.source(t, s.special, "text/small.txt")

	out, err := h.Handle(ctx, loadEvent(t, "get.json"))
	if err != nil || out != nil {
		t.Fatalf("GetObject: %v, %v", out, err)
	}
	if len(w.calls) != 1 {
		t.Fatalf("%d WriteGetObjectResponse calls, want exactly 1", len(w.calls))
	}
	c := w.calls[0]
	if aws.ToString(c.RequestRoute) != "io-use1-001" || aws.ToString(c.RequestToken) != "OutputToken" ||
		aws.ToInt32(c.StatusCode) != 206 || string(w.body) != string(small[:10]) ||
		aws.ToString(c.ContentRange) != "bytes 0-9/900" || aws.ToInt64(c.ContentLength) != 10 {
		t.Errorf("WriteGetObjectResponse: route %q token %q status %d range %q length %d body %q",
			aws.ToString(c.RequestRoute), aws.ToString(c.RequestToken), aws.ToInt32(c.StatusCode),
			aws.ToString(c.ContentRange), aws.ToInt64(c.ContentLength), w.body)
	}
	if c.Metadata["mode"] == "" || c.Metadata["mtime"] == "" {
		t.Errorf("metadata %v", c.Metadata)
	}

	out, err = h.Handle(ctx, loadEvent(t, "head.json"))
	if err != nil {
		t.Fatal(err)
	}
	head := out.(*olap.HeadResponse)
	if head.StatusCode != 200 || head.Headers["Content-Length"] != "900" || head.Headers["Etag"] == "" && head.Headers["ETag"] == "" || head.Metadata["mode"] == "" {
		t.Errorf("HeadObject answer: %+v", head)
	}

	for _, tc := range []struct {
		file     string
		wantKeys int
	}{{"list-v2.json", 2}, {"list-v1.json", 1}} {
		out, err = h.Handle(ctx, loadEvent(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		list := out.(*olap.ListResponse)
		var doc struct {
			Name     string
			Contents []struct{ Key string }
		}
		if list.StatusCode != 200 || xml.Unmarshal([]byte(list.ListResultXML), &doc) != nil {
			t.Fatalf("%s: %+v", tc.file, list)
		}
		if doc.Name != "s3archivefs-111122223333" || len(doc.Contents) != tc.wantKeys || !strings.HasPrefix(doc.Contents[0].Key, "data/text/") {
			t.Errorf("%s: %s", tc.file, list.ListResultXML)
		}
	}
	if len(w.calls) != 1 {
		t.Errorf("HEAD and LIST must not call WriteGetObjectResponse")
	}
}

// TestGetObjectErrorsStillRespond: every GetObject event gets exactly one
// WriteGetObjectResponse, errors included.
func TestGetObjectErrorsStillRespond(t *testing.T) {
	s := newStack(t)
	h := newHandler(t, s.s3, "http://127.0.0.1:1", &logBuffer{}, vmapLines)
	for _, key := range []string{"data/missing", "junk/x", "broken/y", "data/text/"} {
		w := &captured{}
		h.Writer = w
		ev := loadEvent(t, "get.json")
		ev.UserRequest.URL = "https://s3archivefs-111122223333.s3-object-lambda.us-east-1.amazonaws.com/" + key
		if _, err := h.Handle(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if len(w.calls) != 1 || aws.ToString(w.calls[0].ErrorCode) == "" || aws.ToInt32(w.calls[0].StatusCode) < 400 {
			t.Errorf("%s: %d calls %+v", key, len(w.calls), w.calls)
		}
	}
	// An event this function cannot have been configured for.
	if _, err := h.Handle(context.Background(), events.S3ObjectLambdaEvent{}); err == nil {
		t.Error("an event without a context must fail the invocation")
	}
}
