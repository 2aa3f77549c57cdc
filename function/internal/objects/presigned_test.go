package objects

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// origin serves one object as S3 would through a presigned URL: Range,
// If-Match, HEAD; it records what each request asked.
type origin struct {
	mu    sync.Mutex
	body  string
	etag  string
	asked []string // "METHOD range if-match"
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.asked = append(o.asked, strings.TrimSpace(r.Method+" "+r.Header.Get("Range")+" "+r.Header.Get("If-Match")))
	body, etag := o.body, o.etag
	o.mu.Unlock()
	if m := r.Header.Get("If-Match"); m != "" && m != etag {
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", "Wed, 01 May 2024 10:00:00 GMT")
	w.Header().Set("x-amz-meta-color", "blue")
	var a, b int
	if rng := r.Header.Get("Range"); rng != "" {
		if _, err := fmt.Sscanf(rng, "bytes=%d-%d", &a, &b); err != nil || a >= len(body) {
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			fmt.Fprint(w, "<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>")
			return
		}
		b = min(b, len(body)-1)
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, b, len(body)))
		w.Header().Set("Content-Length", fmt.Sprint(b-a+1))
		w.WriteHeader(http.StatusPartialContent)
		if r.Method == http.MethodGet {
			io.WriteString(w, body[a:b+1])
		}
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodGet {
		io.WriteString(w, body)
	}
}

func TestPresigned(t *testing.T) {
	o := &origin{body: "0123456789", etag: `"v1"`}
	srv := httptest.NewServer(o)
	defer srv.Close()
	p := Presigned{HTTP: srv.Client(), URL: srv.URL + "/bucket/key?X-Amz-Signature=secret"}
	ctx := context.Background()
	read := func(obj Object, off, n int64) string {
		t.Helper()
		rc, err := obj.Open(ctx, off, n)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// The span the hint asked for comes from the same answer.
	obj, err := p.Object(ctx, "key", Hint{Range: "bytes=2-4"})
	if err != nil {
		t.Fatal(err)
	}
	if i := obj.Info(); i.Size != 10 || i.ETag != `"v1"` || i.Metadata["color"] != "blue" {
		t.Fatalf("info %+v", i)
	}
	if got := read(obj, 2, 3); got != "234" || len(o.asked) != 1 {
		t.Fatalf("read %q with %q", got, o.asked)
	}

	// Another span is a second GET, pinned to the ETag.
	o.asked = nil
	obj, _ = p.Object(ctx, "key", Hint{Range: "bytes=2-4"})
	if got := read(obj, 0, 10); got != "0123456789" || len(o.asked) != 2 || o.asked[1] != `GET bytes=0-9 "v1"` {
		t.Fatalf("read %q with %q", got, o.asked)
	}

	// A Range past the end: the metadata comes from the first byte.
	o.asked = nil
	obj, err = p.Object(ctx, "key", Hint{Range: "bytes=50-60"})
	if err != nil || obj.Info().Size != 10 || len(o.asked) != 2 || o.asked[1] != "GET bytes=0-0" {
		t.Fatalf("%v, %+v, asked %q", err, obj, o.asked)
	}
	obj.Close()

	// Replaced between the two reads: never two versions mixed.
	obj, _ = p.Object(ctx, "key", Hint{Range: "bytes=0-0"})
	o.mu.Lock()
	o.etag = `"v2"`
	o.mu.Unlock()
	if _, err := obj.Open(ctx, 5, 5); err == nil || !strings.Contains(err.Error(), "SlowDown") {
		t.Fatalf("read across a replacement: %v, want SlowDown", err)
	}

	// HEAD asks with HEAD.
	o.asked = nil
	if _, err := p.Object(ctx, "key", Hint{Head: true}); err != nil || o.asked[0] != "HEAD" {
		t.Fatalf("%v, asked %q", err, o.asked)
	}

	// The presigned URL never appears in an error.
	bad := Presigned{HTTP: srv.Client(), URL: "http://127.0.0.1:1/bucket/key?X-Amz-Signature=secret"}
	if _, err := bad.Object(ctx, "key", Hint{}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("unreachable origin: %v", err)
	}
}
