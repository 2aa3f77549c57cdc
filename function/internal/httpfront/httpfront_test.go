package httpfront

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		method, url, host string
		want              Address
	}{
		{"GET", "/", "127.0.0.1:9000", Address{Op: ListBuckets}},
		{"GET", "/b", "127.0.0.1:9000", Address{Op: ListObjects, Bucket: "b"}},
		{"GET", "/b/", "127.0.0.1:9000", Address{Op: ListObjects, Bucket: "b"}},
		{"GET", "/b?list-type=2&prefix=x", "h", Address{Op: ListObjectsV2, Bucket: "b"}},
		{"GET", "/b?delimiter=&max-keys=1000&prefix=dir%2F", "h", Address{Op: ListObjects, Bucket: "b"}}, // rclone
		{"GET", "/b?location", "h", Address{Op: GetBucketLocation, Bucket: "b", Subresource: "location"}},
		{"HEAD", "/b", "h", Address{Op: HeadBucket, Bucket: "b"}},
		{"GET", "/b?policy", "h", Address{Op: Unsupported, Bucket: "b", Subresource: "policy"}},
		{"GET", "/b/k/a%20b", "h", Address{Op: GetObject, Bucket: "b", Key: "k/a b"}},
		{"GET", "/b/k//x/", "h", Address{Op: GetObject, Bucket: "b", Key: "k//x/"}},
		{"HEAD", "/b/k", "h", Address{Op: HeadObject, Bucket: "b", Key: "k"}},
		{"GET", "/b/k?attributes", "h", Address{Op: GetObjectAttributes, Bucket: "b", Key: "k", Subresource: "attributes"}},
		{"GET", "/b/k?acl", "h", Address{Op: Unsupported, Bucket: "b", Key: "k", Subresource: "acl"}},
		{"GET", "/b/k?partNumber=1&response-content-type=x&X-Amz-Signature=s", "h", Address{Op: GetObject, Bucket: "b", Key: "k"}},
		{"PUT", "/b/k", "h", Address{Op: Write, Bucket: "b", Key: "k"}},
		{"POST", "/b/k?uploads", "h", Address{Op: Write, Bucket: "b", Key: "k", Subresource: "uploads"}},
		{"DELETE", "/b", "h", Address{Op: Write, Bucket: "b"}},
		{"PUT", "/", "h", Address{Op: Write}},
		// Virtual-hosted: the Host names the bucket.
		{"GET", "/k/x.txt", "archive.s3.example.com", Address{Op: GetObject, Bucket: "archive", Key: "k/x.txt", VirtualHosted: true}},
		{"GET", "/", "archive.localhost:9000", Address{Op: ListObjects, Bucket: "archive", VirtualHosted: true}},
		{"GET", "/?list-type=2", "ARCHIVE.localhost", Address{Op: ListObjectsV2, Bucket: "archive", VirtualHosted: true}},
		// A function URL's own domain is path-style.
		{"GET", "/archive/k", "abcdef.lambda-url.us-east-1.on.aws", Address{Op: GetObject, Bucket: "archive", Key: "k"}},
		{"GET", "/archivex/k", "archivex.example.com", Address{Op: GetObject, Bucket: "archivex", Key: "k"}},
	} {
		r := httptest.NewRequest(tc.method, "http://x"+tc.url, nil)
		r.Host = tc.host
		if got := Locate(r, "archive"); got != tc.want {
			t.Errorf("%s %s (Host %s): %+v, want %+v", tc.method, tc.url, tc.host, got, tc.want)
		}
	}
}

func FuzzLocate(f *testing.F) {
	f.Add("GET", "/b/k?list-type=2", "b.localhost")
	f.Add("HEAD", "/", "1.2.3.4:80")
	f.Add("PUT", "/b/k%2F?uploads&acl", "")
	f.Fuzz(func(t *testing.T, method, target, host string) {
		r, err := http.NewRequest(method, "http://x"+target, nil)
		if err != nil {
			return
		}
		r.Host = host
		a := Locate(r, "b")
		if a.Op == "" || a.Key != "" && a.Bucket == "" {
			t.Fatalf("%+v", a)
		}
	})
}

// fakeKeys: one key allowed everything, one allowed "docs/".
type fakeKeys struct{}

func (fakeKeys) SecretKey(id string) (string, bool) {
	switch id {
	case "AKIDALL":
		return "all-secret", true
	case "AKIDDOCS":
		return "docs-secret", true
	}
	return "", false
}

func (fakeKeys) MayRead(id, key string) bool {
	return id == "AKIDALL" || id == "AKIDDOCS" && strings.HasPrefix(key, "docs/")
}

func (fakeKeys) Refresh(context.Context) {}

// fakeObjects serves "docs/a.txt" and "big.bin" of size bytes, and
// counts the calls that reach it.
type fakeObjects struct {
	calls int
	size  int
}

type fakeObject struct{ info s3api.ObjectInfo }

func (o fakeObject) Info() s3api.ObjectInfo { return o.info }
func (o fakeObject) Open(_ context.Context, off, n int64) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("x"), int(n)))), nil
}
func (o fakeObject) Close() error    { return nil }
func (o fakeObject) Archive() string { return "s3://archives/a.sqfs" }

func (f *fakeObjects) Object(_ context.Context, key string, _ objects.Hint) (objects.Object, error) {
	f.calls++
	if key != "docs/a.txt" && key != "big.bin" {
		return nil, s3api.NoSuchKey(key)
	}
	return fakeObject{s3api.ObjectInfo{Key: key, Size: int64(f.size), ETag: `"abc"`,
		LastModified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}}, nil
}

func (f *fakeObjects) Sources(string) []s3api.Source {
	f.calls++
	return nil
}

func newTestHandler(t *testing.T, objs *fakeObjects, logs io.Writer) *Handler {
	t.Helper()
	h, err := New(Config{Bucket: "archive", Region: "us-east-1", Keys: fakeKeys{}, Objects: objs, MaxResponseBytes: 5,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func signed(t *testing.T, method, target, id, secret string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1:9000"+target, nil)
	r.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, r, sigv4.EmptySHA256, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHandler(t *testing.T) {
	var logs bytes.Buffer
	objs := &fakeObjects{size: 3}
	h := newTestHandler(t, objs, &logs)
	for _, tc := range []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
		wantCalls  bool // reaches the core
	}{
		{"get", signed(t, "GET", "/archive/docs/a.txt", "AKIDALL", "all-secret"), 200, "xxx", true},
		{"head", signed(t, "HEAD", "/archive/docs/a.txt", "AKIDDOCS", "docs-secret"), 200, "", true},
		{"missing", signed(t, "GET", "/archive/docs/b.txt", "AKIDALL", "all-secret"), 404, "<Code>NoSuchKey</Code>", true},
		{"missing HEAD has no body", signed(t, "HEAD", "/archive/docs/b.txt", "AKIDALL", "all-secret"), 404, "", true},
		{"unsigned", httptest.NewRequest("GET", "http://h/archive/docs/a.txt", nil), 403, "<Code>AccessDenied</Code>", false},
		{"wrong secret", signed(t, "GET", "/archive/docs/a.txt", "AKIDALL", "wrong"), 403, "<Code>SignatureDoesNotMatch</Code>", false},
		{"unknown key", signed(t, "GET", "/archive/docs/a.txt", "AKIDNOBODY", "x"), 403, "<Code>InvalidAccessKeyId</Code>", false},
		{"outside prefixes", signed(t, "GET", "/archive/big.bin", "AKIDDOCS", "docs-secret"), 403, "<Code>AccessDenied</Code>", false},
		{"list outside prefixes", signed(t, "GET", "/archive?list-type=2&prefix=doc", "AKIDDOCS", "docs-secret"), 403, "<Code>AccessDenied</Code>", false},
		{"list inside", signed(t, "GET", "/archive?list-type=2&prefix=docs/", "AKIDDOCS", "docs-secret"), 200, "<ListBucketResult", true},
		{"put", signed(t, "PUT", "/archive/docs/a.txt", "AKIDALL", "all-secret"), 403, "read-only", false},
		{"unsigned put", httptest.NewRequest("PUT", "http://h/archive/x", strings.NewReader("data")), 403, "<Code>AccessDenied</Code>", false},
		{"other bucket", signed(t, "GET", "/other/docs/a.txt", "AKIDALL", "all-secret"), 404, "<Code>NoSuchBucket</Code>", false},
		{"list buckets", signed(t, "GET", "/", "AKIDDOCS", "docs-secret"), 200, "<Name>archive</Name>", false},
		{"location", signed(t, "GET", "/archive?location", "AKIDDOCS", "docs-secret"), 200, "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>", false},
		{"head bucket", signed(t, "HEAD", "/archive", "AKIDDOCS", "docs-secret"), 200, "", false},
		{"acl", signed(t, "GET", "/archive/docs/a.txt?acl", "AKIDALL", "all-secret"), 501, "<Code>NotImplemented</Code>", false},
		{"policy", signed(t, "GET", "/archive?policy", "AKIDALL", "all-secret"), 404, "<Code>NoSuchBucketPolicy</Code>", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs.calls = 0
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req)
			body := w.Body.String()
			if w.Code != tc.wantStatus || !strings.Contains(body, tc.wantBody) || tc.wantBody == "" && body != "" {
				t.Fatalf("%d %q, want %d %q", w.Code, body, tc.wantStatus, tc.wantBody)
			}
			if tc.wantCalls != (objs.calls > 0) {
				t.Fatalf("core called %d times", objs.calls)
			}
			if w.Header().Get("x-amz-request-id") == "" {
				t.Fatal("no request id")
			}
		})
	}
	for _, secret := range []string{"all-secret", "docs-secret", "Signature=", "X-Amz-Signature"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the log holds %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"access_key_id":"AKIDDOCS"`) || !strings.Contains(logs.String(), `"op":"GetObject"`) {
		t.Fatalf("log lines lack the op or the access key id:\n%s", logs.String())
	}
}

// TestResponseLimit: a GET over the streaming limit is refused with a
// message that asks for a Range, and a ranged or HEAD request is not.
func TestResponseLimit(t *testing.T) {
	h := newTestHandler(t, &fakeObjects{size: 9}, io.Discard)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signed(t, "GET", "/archive/big.bin", "AKIDALL", "all-secret"))
	if w.Code != 400 || !strings.Contains(w.Body.String(), "<Code>InvalidRequest</Code>") || !strings.Contains(w.Body.String(), "Range") {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, signed(t, "HEAD", "/archive/big.bin", "AKIDALL", "all-secret"))
	if w.Code != 200 || w.Header().Get("Content-Length") != "9" {
		t.Fatalf("HEAD: %d %v", w.Code, w.Header())
	}
}

func TestAttributes(t *testing.T) {
	h := newTestHandler(t, &fakeObjects{size: 3}, io.Discard)
	r := signed(t, "GET", "/archive/docs/a.txt?attributes", "AKIDALL", "all-secret")
	r.Header.Set("X-Amz-Object-Attributes", "ETag,ObjectSize")
	// x-amz-* headers must be signed: sign again with the header in place.
	r = resign(t, r)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	want := `<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>abc</ETag><ObjectSize>3</ObjectSize></GetObjectAttributesResponse>`
	if w.Code != 200 || !strings.Contains(w.Body.String(), want) || w.Header().Get("Last-Modified") == "" {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	r = resign(t, signed(t, "GET", "/archive/docs/a.txt?attributes", "AKIDALL", "all-secret"))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "<Code>InvalidArgument</Code>") {
		t.Fatalf("no attributes named: %d %s", w.Code, w.Body.String())
	}
}

func resign(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	r.Header.Del("Authorization")
	r.Header.Del("X-Amz-Date")
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: "AKIDALL", SecretAccessKey: "all-secret"}, r, sigv4.EmptySHA256, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAuthCodesKnown: every code the verifier answers is in s3api's one
// table of error codes (an unknown one would become InternalError).
func TestAuthCodesKnown(t *testing.T) {
	for _, code := range []string{"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "RequestTimeTooSkewed",
		"AuthorizationHeaderMalformed", "AuthorizationQueryParametersError", "InvalidArgument", "InvalidRequest",
		"InvalidToken", "IncompleteBody", "XAmzContentSHA256Mismatch"} {
		if !s3api.Known(code) {
			t.Errorf("%s is not in s3api's error table", code)
		}
		if got := authError(&sigv4.Error{Code: code, Status: 403, Message: "m"}); got.Code != code {
			t.Errorf("%s became %s", code, got.Code)
		}
	}
}
