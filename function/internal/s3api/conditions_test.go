package s3api

import (
	"net/http"
	"testing"
	"time"
)

func TestEvalConditions(t *testing.T) {
	const etag = `"abc123-1"`
	mod := time.Date(2024, 5, 1, 10, 0, 0, 700_000_000, time.UTC) // sub-second part is ignored
	before := "Wed, 01 May 2024 09:59:59 GMT"
	same := "Wed, 01 May 2024 10:00:00 GMT"
	after := "Wed, 01 May 2024 10:00:01 GMT"
	tests := []struct {
		name string
		c    Conditions
		want int // 0: no error
	}{
		{"none", Conditions{}, 0},
		// A date later than now is invalid (RFC 9110 §13.1.3); S3 answers 200.
		{"if-modified-since in the future ignored", Conditions{IfModifiedSince: time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat)}, 0},
		{"if-match hit", Conditions{IfMatch: etag}, 0},
		{"if-match unquoted", Conditions{IfMatch: "abc123-1"}, 0},
		{"if-match miss", Conditions{IfMatch: `"other"`}, 412},
		{"if-match star", Conditions{IfMatch: "*"}, 0},
		{"if-match list", Conditions{IfMatch: `"x", "abc123-1"`}, 0},
		{"if-match list miss", Conditions{IfMatch: `"x", "y"`}, 412},
		{"if-match weak never matches", Conditions{IfMatch: `W/"abc123-1"`}, 412},
		{"if-match comma inside quotes", Conditions{IfMatch: `"abc123-1,x"`}, 412},
		{"if-none-match hit", Conditions{IfNoneMatch: etag}, 304},
		{"if-none-match weak hit", Conditions{IfNoneMatch: `W/"abc123-1"`}, 304},
		{"if-none-match star", Conditions{IfNoneMatch: "*"}, 304},
		{"if-none-match miss", Conditions{IfNoneMatch: `"other"`}, 0},
		{"if-none-match list hit", Conditions{IfNoneMatch: `"a",W/"abc123-1"`}, 304},
		{"if-modified-since before", Conditions{IfModifiedSince: before}, 0},
		{"if-modified-since same second", Conditions{IfModifiedSince: same}, 304},
		{"if-modified-since after", Conditions{IfModifiedSince: after}, 304},
		{"if-modified-since rfc850", Conditions{IfModifiedSince: "Wednesday, 01-May-24 10:00:00 GMT"}, 304},
		{"if-modified-since asctime", Conditions{IfModifiedSince: "Wed May  1 10:00:00 2024"}, 304},
		{"if-modified-since invalid ignored", Conditions{IfModifiedSince: "yesterday"}, 0},
		{"if-unmodified-since before", Conditions{IfUnmodifiedSince: before}, 412},
		{"if-unmodified-since same", Conditions{IfUnmodifiedSince: same}, 0},
		{"if-unmodified-since after", Conditions{IfUnmodifiedSince: after}, 0},
		{"if-unmodified-since invalid ignored", Conditions{IfUnmodifiedSince: "2024-05-01"}, 0},
		// S3: If-Match true and If-Unmodified-Since false → 200.
		{"if-match wins over if-unmodified-since", Conditions{IfMatch: etag, IfUnmodifiedSince: before}, 0},
		{"if-match miss with if-unmodified-since true", Conditions{IfMatch: `"x"`, IfUnmodifiedSince: after}, 412},
		// S3: If-None-Match false and If-Modified-Since true → 304.
		{"if-none-match hit wins over if-modified-since", Conditions{IfNoneMatch: etag, IfModifiedSince: before}, 304},
		{"if-none-match miss ignores if-modified-since", Conditions{IfNoneMatch: `"x"`, IfModifiedSince: after}, 0},
		// 412 is decided before 304.
		{"412 before 304", Conditions{IfMatch: `"x"`, IfNoneMatch: etag}, 412},
		{"if-unmodified-since 412 before if-none-match", Conditions{IfUnmodifiedSince: before, IfNoneMatch: etag}, 412},
		{"if-match hit then if-none-match hit", Conditions{IfMatch: etag, IfNoneMatch: etag}, 304},
	}
	for _, tt := range tests {
		err := EvalConditions(tt.c, etag, mod)
		got := 0
		if err != nil {
			got = err.Status
		}
		if got != tt.want {
			t.Errorf("%s: got %v, want %d", tt.name, err, tt.want)
			continue
		}
		switch got {
		case 412:
			if err.Code != "PreconditionFailed" {
				t.Errorf("%s: code %s", tt.name, err.Code)
			}
		case 304:
			if err.Code != "NotModified" || err.XML("/k", "r") != nil {
				t.Errorf("%s: 304 must have no body", tt.name)
			}
		}
	}
}

func TestConditionsFrom(t *testing.T) {
	h := http.Header{}
	h.Set("if-match", "a")
	h.Set("IF-NONE-MATCH", "b")
	h.Set("If-Modified-Since", "c")
	h.Set("if-unmodified-since", "d")
	if c := ConditionsFrom(h); c != (Conditions{"a", "b", "c", "d"}) {
		t.Errorf("%+v", c)
	}
}
