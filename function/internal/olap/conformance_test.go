package olap_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// answer is what a client saw.
type answer struct {
	status int
	header http.Header
	body   []byte
	code   string // S3 error code
}

func (s *stack) get(t *testing.T, in *s3.GetObjectInput) answer {
	t.Helper()
	in.Bucket = aws.String("s3archivefs")
	out, err := s.client.GetObject(context.Background(), in)
	if err != nil {
		return errAnswer(t, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	raw := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	return answer{status: raw.StatusCode, header: raw.Header, body: body}
}

func (s *stack) head(t *testing.T, in *s3.HeadObjectInput) answer {
	t.Helper()
	in.Bucket = aws.String("s3archivefs")
	out, err := s.client.HeadObject(context.Background(), in)
	if err != nil {
		return errAnswer(t, err)
	}
	raw := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	return answer{status: raw.StatusCode, header: raw.Header}
}

func errAnswer(t *testing.T, err error) answer {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("not an HTTP answer: %v", err)
	}
	a := answer{status: re.HTTPStatusCode(), header: re.Response.Header}
	var api smithy.APIError
	if errors.As(err, &api) {
		a.code = api.ErrorCode()
	}
	return a
}

func (s *stack) source(t *testing.T, tree, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tree, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGetObjectConformance is the table of statuses, headers and error
// codes a client of the access point sees for keys inside archives and for
// keys that pass through.
func TestGetObjectConformance(t *testing.T) {
	s := newStack(t)
	small := s.source(t, s.special, "text/small.txt")
	medium := s.source(t, s.special, "text/medium.txt")
	hello := []byte(realObjects["hello.txt"])
	etag := s.get(t, &s3.GetObjectInput{Key: aws.String("data/text/small.txt")}).header.Get("ETag")
	lastMod := s.get(t, &s3.GetObjectInput{Key: aws.String("data/text/small.txt")}).header.Get("Last-Modified")
	lm, err := http.ParseTime(lastMod)
	if err != nil {
		t.Fatalf("Last-Modified %q: %v", lastMod, err)
	}
	realETag := s.get(t, &s3.GetObjectInput{Key: aws.String("hello.txt")}).header.Get("ETag")
	past, future := lm.Add(-time.Hour), lm.Add(time.Hour)
	n := int64(len(small))

	type want struct {
		status       int
		code         string
		body         []byte
		contentRange string
		header       map[string]string
	}
	cases := []struct {
		name string
		in   s3.GetObjectInput
		want want
	}{
		{"whole file", s3.GetObjectInput{Key: aws.String("data/text/small.txt")},
			want{status: 200, body: small, header: map[string]string{"Content-Type": "text/plain", "Accept-Ranges": "bytes", "Content-Length": fmt.Sprint(n)}}},
		{"range a-b", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=0-9")},
			want{status: 206, body: small[:10], contentRange: fmt.Sprintf("bytes 0-9/%d", n)}},
		{"range a-", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=100-")},
			want{status: 206, body: small[100:], contentRange: fmt.Sprintf("bytes 100-%d/%d", n-1, n)}},
		{"range -n", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=-50")},
			want{status: 206, body: small[n-50:], contentRange: fmt.Sprintf("bytes %d-%d/%d", n-50, n-1, n)}},
		{"range end clamped", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=890-99999")},
			want{status: 206, body: small[890:], contentRange: fmt.Sprintf("bytes 890-%d/%d", n-1, n)}},
		{"range across blocks", s3.GetObjectInput{Key: aws.String("data/text/medium.txt"), Range: aws.String("bytes=131000-262200")},
			want{status: 206, body: medium[131000:262201]}},
		{"range start past end", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String(fmt.Sprintf("bytes=%d-", n))},
			want{status: 416, code: "InvalidRange"}},
		{"range -0", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=-0")},
			want{status: 416, code: "InvalidRange"}},
		{"range syntax ignored", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=abc")},
			want{status: 200, body: small}},
		{"multiple ranges ignored", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=0-1,5-6")},
			want{status: 200, body: small}},
		{"partNumber 1", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), PartNumber: aws.Int32(1)},
			want{status: 206, body: small, contentRange: fmt.Sprintf("bytes 0-%d/%d", n-1, n)}},
		{"partNumber 2", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), PartNumber: aws.Int32(2)},
			want{status: 416, code: "InvalidPartNumber"}},
		{"partNumber with Range", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), PartNumber: aws.Int32(1), Range: aws.String("bytes=0-1")},
			want{status: 400, code: "InvalidRequest"}},
		{"If-None-Match same", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfNoneMatch: aws.String(etag)},
			want{status: 304, code: "NotModified"}},
		{"If-None-Match other", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfNoneMatch: aws.String(`"other"`)},
			want{status: 200, body: small}},
		{"If-Match other", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfMatch: aws.String(`"other"`)},
			want{status: 412, code: "PreconditionFailed"}},
		{"If-Match same", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfMatch: aws.String(etag)},
			want{status: 200, body: small}},
		{"If-Modified-Since later", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfModifiedSince: aws.Time(future)},
			want{status: 304, code: "NotModified"}},
		{"If-Modified-Since earlier", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfModifiedSince: aws.Time(past)},
			want{status: 200, body: small}},
		{"If-Unmodified-Since earlier", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfUnmodifiedSince: aws.Time(past)},
			want{status: 412, code: "PreconditionFailed"}},
		{"If-Match wins over If-Unmodified-Since", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(past)},
			want{status: 200, body: small}},
		{"If-None-Match decides over If-Modified-Since", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfNoneMatch: aws.String(etag), IfModifiedSince: aws.Time(past)},
			want{status: 304, code: "NotModified"}},
		{"412 before 416", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfMatch: aws.String(`"other"`), Range: aws.String("bytes=99999-")},
			want{status: 412, code: "PreconditionFailed"}},
		{"missing key", s3.GetObjectInput{Key: aws.String("data/no/such/file")},
			want{status: 404, code: "NoSuchKey"}},
		{"directory", s3.GetObjectInput{Key: aws.String("data/text")},
			want{status: 404, code: "NoSuchKey"}},
		{"directory with slash", s3.GetObjectInput{Key: aws.String("data/text/")},
			want{status: 404, code: "NoSuchKey"}},
		{"virtual prefix itself", s3.GetObjectInput{Key: aws.String("data")},
			want{status: 404, code: "NoSuchKey"}},
		{"double slash", s3.GetObjectInput{Key: aws.String("data//text/small.txt")},
			want{status: 404, code: "NoSuchKey"}},
		{"dot segment", s3.GetObjectInput{Key: aws.String("data/./text/small.txt")},
			want{status: 404, code: "NoSuchKey"}},
		{"symlink followed", s3.GetObjectInput{Key: aws.String("data/links/rel")},
			want{status: 200, body: small}},
		{"absolute symlink stays inside", s3.GetObjectInput{Key: aws.String("data/links/abs")},
			want{status: 200, body: medium}},
		{"dangling symlink", s3.GetObjectInput{Key: aws.String("data/links/dangling")},
			want{status: 404, code: "NoSuchKey"}},
		{"symlink loop", s3.GetObjectInput{Key: aws.String("data/links/loop-a")},
			want{status: 404, code: "NoSuchKey"}},
		{"fifo", s3.GetObjectInput{Key: aws.String("data/dev/fifo")},
			want{status: 404, code: "NoSuchKey"}},
		{"device", s3.GetObjectInput{Key: aws.String("data/dev/null")},
			want{status: 404, code: "NoSuchKey"}},
		{"empty file", s3.GetObjectInput{Key: aws.String("data/empty-file")},
			want{status: 200, body: []byte{}, header: map[string]string{"Content-Length": "0"}}},
		{"unicode name", s3.GetObjectInput{Key: aws.String("data/names/ünïcødé-ファイル")},
			want{status: 200, body: s.source(t, s.special, "names/ünïcødé-ファイル")}},
		{"reserved characters", s3.GetObjectInput{Key: aws.String("data/names/per%cent+plus#hash?q")},
			want{status: 200, body: s.source(t, s.special, "names/per%cent+plus#hash?q")}},
		{"nested prefix, longest wins", s3.GetObjectInput{Key: aws.String("data/nested/hello.txt")},
			want{status: 200, body: s.source(t, s.small, "hello.txt")}},
		{"shadowed real object", s3.GetObjectInput{Key: aws.String("data/shadowed.txt")},
			want{status: 404, code: "NoSuchKey"}},
		{"archive missing", s3.GetObjectInput{Key: aws.String("broken/x.txt")},
			want{status: 404, code: "NoSuchKey"}},
		{"archive not squashfs", s3.GetObjectInput{Key: aws.String("junk/x.txt")},
			want{status: 500, code: "InternalError"}},
		{"passthrough", s3.GetObjectInput{Key: aws.String("hello.txt")},
			want{status: 200, body: hello}},
		{"passthrough whole segments", s3.GetObjectInput{Key: aws.String("datab/real.txt")},
			want{status: 200, body: []byte(realObjects["datab/real.txt"])}},
		{"passthrough range", s3.GetObjectInput{Key: aws.String("hello.txt"), Range: aws.String("bytes=0-4")},
			want{status: 206, body: hello[:5], contentRange: fmt.Sprintf("bytes 0-4/%d", len(hello))}},
		{"passthrough If-None-Match", s3.GetObjectInput{Key: aws.String("hello.txt"), IfNoneMatch: aws.String(realETag)},
			want{status: 304, code: "NotModified"}},
		{"passthrough partNumber 1", s3.GetObjectInput{Key: aws.String("hello.txt"), PartNumber: aws.Int32(1)},
			want{status: 206, body: hello, contentRange: fmt.Sprintf("bytes 0-%d/%d", len(hello)-1, len(hello))}},
		{"passthrough partNumber 2", s3.GetObjectInput{Key: aws.String("hello.txt"), PartNumber: aws.Int32(2)},
			want{status: 416, code: "InvalidPartNumber"}},
		{"passthrough partNumber with Range", s3.GetObjectInput{Key: aws.String("hello.txt"), PartNumber: aws.Int32(1), Range: aws.String("bytes=0-1")},
			want{status: 400, code: "InvalidRequest"}},
		{"passthrough missing", s3.GetObjectInput{Key: aws.String("no-such-object")},
			want{status: 404, code: "NoSuchKey"}},
		// Defects of issue 12, each checked against the S3 API reference.
		{"response-* overrides", withOverrides(s3.GetObjectInput{Key: aws.String("data/text/small.txt")}),
			want{status: 200, body: small, header: overridden}},
		{"passthrough response-* overrides", withOverrides(s3.GetObjectInput{Key: aws.String("hello.txt")}),
			want{status: 200, body: hello, header: overridden}},
		{"overrides only on 200", withOverrides(s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=0-1")}),
			want{status: 206, body: small[:2], header: map[string]string{"Content-Type": "text/plain", "Cache-Control": ""}}},
		{"If-Modified-Since in the future is ignored", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), IfModifiedSince: aws.Time(time.Now().Add(48 * time.Hour))},
			want{status: 200, body: small}},
		{"passthrough If-Modified-Since in the future is ignored", s3.GetObjectInput{Key: aws.String("hello.txt"), IfModifiedSince: aws.Time(time.Now().Add(48 * time.Hour))},
			want{status: 200, body: hello}},
		{"key too long", s3.GetObjectInput{Key: aws.String("data/" + strings.Repeat("k", 1020))},
			want{status: 400, code: "KeyTooLongError"}},
		{"passthrough key too long", s3.GetObjectInput{Key: aws.String(strings.Repeat("k", 1025))},
			want{status: 400, code: "KeyTooLongError"}},
		{"partNumber 1 has the parts count of its -1 ETag", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), PartNumber: aws.Int32(1)},
			want{status: 206, body: small, header: map[string]string{"x-amz-mp-parts-count": "1"}}},
		{"passthrough partNumber 1 of a single-part object has no parts count", s3.GetObjectInput{Key: aws.String("hello.txt"), PartNumber: aws.Int32(1)},
			want{status: 206, body: hello, header: map[string]string{"x-amz-mp-parts-count": ""}}},
		{"416 carries Content-Range", s3.GetObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String(fmt.Sprintf("bytes=%d-", n))},
			want{status: 416, code: "InvalidRange", contentRange: fmt.Sprintf("bytes */%d", n)}},
		{"passthrough multiple ranges ignored", s3.GetObjectInput{Key: aws.String("hello.txt"), Range: aws.String("bytes=0-1,5-6")},
			want{status: 200, body: hello}},
		{"passthrough range -0", s3.GetObjectInput{Key: aws.String("hello.txt"), Range: aws.String("bytes=-0")},
			want{status: 416, code: "InvalidRange", contentRange: fmt.Sprintf("bytes */%d", len(hello))}},
		{"passthrough If-Match other before 416", s3.GetObjectInput{Key: aws.String("hello.txt"), IfMatch: aws.String(`"other"`), Range: aws.String("bytes=1000-")},
			want{status: 412, code: "PreconditionFailed"}},
		{"passthrough 416 carries Content-Range", s3.GetObjectInput{Key: aws.String("hello.txt"), Range: aws.String("bytes=1000-")},
			want{status: 416, code: "InvalidRange", contentRange: fmt.Sprintf("bytes */%d", len(hello))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			got := s.get(t, &in)
			if got.status != c.want.status || got.code != c.want.code {
				t.Fatalf("status %d code %q, want %d %q", got.status, got.code, c.want.status, c.want.code)
			}
			if c.want.body != nil && string(got.body) != string(c.want.body) {
				t.Errorf("body: %d bytes, want %d (%q...)", len(got.body), len(c.want.body), trim(got.body))
			}
			if c.want.contentRange != "" && got.header.Get("Content-Range") != c.want.contentRange {
				t.Errorf("Content-Range %q, want %q", got.header.Get("Content-Range"), c.want.contentRange)
			}
			for k, v := range c.want.header {
				if got.header.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, got.header.Get(k), v)
				}
			}
			if got.status < 300 && strings.HasPrefix(aws.ToString(c.in.Key), "data/") {
				for _, h := range []string{"ETag", "Last-Modified", "x-amz-meta-mode", "x-amz-meta-uid", "x-amz-meta-gid", "x-amz-meta-mtime"} {
					if got.header.Get(h) == "" {
						t.Errorf("missing header %s", h)
					}
				}
				if got.header.Get("ETag") != etag && aws.ToString(c.in.Key) == "data/text/small.txt" {
					t.Errorf("ETag %q is not stable (%q)", got.header.Get("ETag"), etag)
				}
			}
			// S3 sends ETag with a 304; passthrough forwards whatever the
			// server sent (versitygw sends none).
			if got.status == 304 && strings.HasPrefix(aws.ToString(c.in.Key), "data/") && got.header.Get("ETag") == "" {
				t.Errorf("304 without ETag")
			}
		})
	}
	t.Logf("GetObject conformance: %d cases", len(cases))
}

// overridden is what withOverrides asks for: S3 sets these headers of a 200
// answer to the response-* values (S3 API reference, GetObject).
var overridden = map[string]string{
	"Content-Type": "application/x-override", "Content-Language": "fr", "Cache-Control": "no-store",
	"Content-Disposition": `attachment; filename="x.bin"`, "Content-Encoding": "identity", "Expires": "Thu, 01 Dec 2044 16:00:00 GMT",
}

func withOverrides(in s3.GetObjectInput) s3.GetObjectInput {
	in.ResponseContentType = aws.String(overridden["Content-Type"])
	in.ResponseContentLanguage = aws.String(overridden["Content-Language"])
	in.ResponseCacheControl = aws.String(overridden["Cache-Control"])
	in.ResponseContentDisposition = aws.String(overridden["Content-Disposition"])
	in.ResponseContentEncoding = aws.String(overridden["Content-Encoding"])
	expires, _ := http.ParseTime(overridden["Expires"])
	in.ResponseExpires = aws.Time(expires)
	return in
}

func trim(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// TestHeadObjectConformance: HEAD answers as GET would, without a body.
func TestHeadObjectConformance(t *testing.T) {
	s := newStack(t)
	small := s.source(t, s.special, "text/small.txt")
	getAns := s.get(t, &s3.GetObjectInput{Key: aws.String("data/text/small.txt")})
	cases := []struct {
		name   string
		in     s3.HeadObjectInput
		status int
		check  func(t *testing.T, a answer)
	}{
		{"whole", s3.HeadObjectInput{Key: aws.String("data/text/small.txt")}, 200, func(t *testing.T, a answer) {
			for _, h := range []string{"ETag", "Last-Modified", "Content-Type", "Content-Length", "x-amz-meta-mode"} {
				if a.header.Get(h) != getAns.header.Get(h) {
					t.Errorf("%s: HEAD %q, GET %q", h, a.header.Get(h), getAns.header.Get(h))
				}
			}
			if a.header.Get("Content-Length") != fmt.Sprint(len(small)) {
				t.Errorf("Content-Length %q", a.header.Get("Content-Length"))
			}
		}},
		{"range", s3.HeadObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=0-9")}, 206, func(t *testing.T, a answer) {
			if a.header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(small)) || a.header.Get("Content-Length") != "10" {
				t.Errorf("Content-Range %q Content-Length %q", a.header.Get("Content-Range"), a.header.Get("Content-Length"))
			}
		}},
		{"If-None-Match", s3.HeadObjectInput{Key: aws.String("data/text/small.txt"), IfNoneMatch: aws.String(getAns.header.Get("ETag"))}, 304, nil},
		{"If-Match other", s3.HeadObjectInput{Key: aws.String("data/text/small.txt"), IfMatch: aws.String(`"x"`)}, 412, nil},
		{"missing", s3.HeadObjectInput{Key: aws.String("data/nope")}, 404, nil},
		{"directory", s3.HeadObjectInput{Key: aws.String("data/text")}, 404, nil},
		{"passthrough", s3.HeadObjectInput{Key: aws.String("hello.txt")}, 200, func(t *testing.T, a answer) {
			if a.header.Get("Content-Length") != fmt.Sprint(len(realObjects["hello.txt"])) {
				t.Errorf("Content-Length %q", a.header.Get("Content-Length"))
			}
		}},
		{"passthrough missing", s3.HeadObjectInput{Key: aws.String("nope.txt")}, 404, nil},
		{"passthrough partNumber 1", s3.HeadObjectInput{Key: aws.String("hello.txt"), PartNumber: aws.Int32(1)}, 206, func(t *testing.T, a answer) {
			n := len(realObjects["hello.txt"])
			if a.header.Get("Content-Range") != fmt.Sprintf("bytes 0-%d/%d", n-1, n) {
				t.Errorf("Content-Range %q", a.header.Get("Content-Range"))
			}
		}},
		{"passthrough partNumber 2", s3.HeadObjectInput{Key: aws.String("hello.txt"), PartNumber: aws.Int32(2)}, 416, nil},
		{"response-content-type", s3.HeadObjectInput{Key: aws.String("data/text/small.txt"), ResponseContentType: aws.String("application/x-o"), ResponseCacheControl: aws.String("no-cache")}, 200, func(t *testing.T, a answer) {
			if a.header.Get("Content-Type") != "application/x-o" || a.header.Get("Cache-Control") != "no-cache" {
				t.Errorf("Content-Type %q Cache-Control %q: the overrides apply to HEAD too", a.header.Get("Content-Type"), a.header.Get("Cache-Control"))
			}
		}},
		{"passthrough response-content-type", s3.HeadObjectInput{Key: aws.String("hello.txt"), ResponseContentType: aws.String("application/x-o")}, 200, func(t *testing.T, a answer) {
			if a.header.Get("Content-Type") != "application/x-o" {
				t.Errorf("Content-Type %q", a.header.Get("Content-Type"))
			}
		}},
		{"416 carries Content-Range", s3.HeadObjectInput{Key: aws.String("data/text/small.txt"), Range: aws.String("bytes=5000-")}, 416, func(t *testing.T, a answer) {
			if a.header.Get("Content-Range") != fmt.Sprintf("bytes */%d", len(small)) {
				t.Errorf("Content-Range %q", a.header.Get("Content-Range"))
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			a := s.head(t, &in)
			if a.status != c.status {
				t.Fatalf("status %d, want %d", a.status, c.status)
			}
			if c.check != nil {
				c.check(t, a)
			}
		})
	}
	t.Logf("HeadObject conformance: %d cases", len(cases))
}

// TestRequestLogLine: one JSON line per request with the fields operators
// read, and nothing secret.
func TestRequestLogLine(t *testing.T) {
	s := newStack(t)
	s.get(t, &s3.GetObjectInput{Key: aws.String("data/text/small.txt")})
	s.get(t, &s3.GetObjectInput{Key: aws.String("hello.txt")})
	// The function logs after WriteGetObjectResponse returns, which can be
	// after the client has its answer.
	lines := s.logs.requests()
	for deadline := time.Now().Add(5 * time.Second); len(lines) < 2 && time.Now().Before(deadline); lines = s.logs.requests() {
		time.Sleep(10 * time.Millisecond)
	}
	if len(lines) != 2 {
		t.Fatalf("%d request lines, want 2", len(lines))
	}
	byKey := map[string]map[string]any{}
	for _, l := range lines {
		byKey[l["key"].(string)] = l
	}
	line := byKey["data/text/small.txt"]
	for _, field := range []string{"request_id", "op", "key", "status", "bytes_out", "s3_requests", "s3_bytes_in", "cache_hits", "cache_misses", "cache_corrupt", "duration_ms"} {
		if _, ok := line[field]; !ok {
			t.Errorf("log line lacks %q: %v", field, line)
		}
	}
	if line["archive"] != "s3://archives/special.sqfs" || line["op"] != "GetObject" || line["status"] != float64(200) {
		t.Errorf("archive GET line: %v", line)
	}
	if line["s3_requests"].(float64) < 1 || line["bytes_out"].(float64) != 900 {
		t.Errorf("counters: %v", line)
	}
	if pass := byKey["hello.txt"]; pass == nil || pass["archive"] != nil || pass["bytes_out"] != float64(len(realObjects["hello.txt"])) {
		t.Errorf("passthrough line: %v", pass)
	}
	s.logs.mu.Lock()
	all := s.logs.buf.String()
	s.logs.mu.Unlock()
	for _, secret := range []string{"X-Amz-Signature", "X-Amz-Credential", "s3archivefs-local"} {
		if strings.Contains(all, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}
