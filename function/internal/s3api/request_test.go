package s3api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestParseRequestKeyTooLong(t *testing.T) {
	for _, op := range []Op{GetObject, HeadObject} {
		_, err := ParseRequest(op, "b", strings.Repeat("k", MaxKeyBytes+1), url.Values{}, http.Header{})
		if e := AsError(err); e == nil || e.Code != "KeyTooLongError" || e.Status != 400 {
			t.Errorf("%s of a 1,025-byte key: %v, want 400 KeyTooLongError", op, err)
		}
		if _, err := ParseRequest(op, "b", strings.Repeat("k", MaxKeyBytes), url.Values{}, http.Header{}); err != nil {
			t.Errorf("%s of a 1,024-byte key: %v", op, err)
		}
	}
}

func TestParseRequestOverrides(t *testing.T) {
	q, _ := url.ParseQuery("response-content-type=text/x-o&response-content-language=fr&response-expires=Thu,%2001%20Dec%202044%2016:00:00%20GMT" +
		"&response-cache-control=no-store&response-content-disposition=attachment&response-content-encoding=identity")
	r, err := ParseRequest(GetObject, "b", "k", q, http.Header{})
	if err != nil {
		t.Fatal(err)
	}
	want := Overrides{ContentType: "text/x-o", ContentLanguage: "fr", Expires: "Thu, 01 Dec 2044 16:00:00 GMT",
		CacheControl: "no-store", ContentDisposition: "attachment", ContentEncoding: "identity"}
	if r.Overrides != want {
		t.Fatalf("overrides %+v, want %+v", r.Overrides, want)
	}
	info := ObjectInfo{Key: "k", Size: 10, ETag: "e", ContentType: "text/plain", CacheControl: "max-age=1"}
	a, _, _ := Select(r, info)
	h := a.Header()
	for name, v := range map[string]string{"Content-Type": "text/x-o", "Content-Language": "fr", "Expires": want.Expires,
		"Cache-Control": "no-store", "Content-Disposition": "attachment", "Content-Encoding": "identity"} {
		if h.Get(name) != v {
			t.Errorf("200: %s = %q, want %q", name, h.Get(name), v)
		}
	}
	// Only a 200 carries them (S3 API reference, GetObject).
	r.Range = "bytes=0-1"
	a, _, _ = Select(r, info)
	if h := a.Header(); h.Get("Content-Type") != "text/plain" || h.Get("Cache-Control") != "max-age=1" {
		t.Errorf("206: overrides applied: %v", h)
	}
}

func TestOpOf(t *testing.T) {
	for _, tt := range []struct {
		method, key, query string
		op                 Op
		code               string
	}{
		{"GET", "k", "", GetObject, ""}, {"HEAD", "k", "", HeadObject, ""},
		{"GET", "", "list-type=2", ListObjectsV2, ""}, {"GET", "", "", ListObjects, ""},
		{"PUT", "k", "", "", "MethodNotAllowed"}, {"DELETE", "", "", "", "MethodNotAllowed"},
	} {
		q, _ := url.ParseQuery(tt.query)
		op, err := OpOf(tt.method, tt.key, q)
		if op != tt.op || (tt.code == "") != (err == nil) || err != nil && AsError(err).Code != tt.code {
			t.Errorf("%s %q %q: %q %v", tt.method, tt.key, tt.query, op, err)
		}
	}
}

// FuzzParseRequest: any query and headers give a request or an S3 error,
// never a panic or another kind of error.
func FuzzParseRequest(f *testing.F) {
	f.Add("partNumber=1", "bytes=0-1", "k")
	f.Add("list-type=2&max-keys=x&continuation-token=zz", "", "")
	f.Add("response-content-type=a&partNumber=99999", "bytes=-0", "data/x")
	f.Fuzz(func(t *testing.T, query, rng, key string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		h := http.Header{}
		h.Set("Range", rng)
		for _, op := range []Op{GetObject, HeadObject, ListObjects, ListObjectsV2} {
			r, err := ParseRequest(op, "b", key, q, h)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%s: %T %v is not an S3 error", op, err, err)
				}
				continue
			}
			if r.PartNumber < 0 || r.PartNumber > maxPartNumber || r.PartNumber > 0 && r.Range != "" {
				t.Fatalf("%s: accepted partNumber %d with Range %q", op, r.PartNumber, r.Range)
			}
			Select(r, ObjectInfo{Key: key, Size: int64(len(key)), ETag: "e"})
		}
	})
}
