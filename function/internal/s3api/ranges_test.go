package s3api

import (
	"errors"
	"math"
	"net/http"
	"testing"
)

func TestParseRange(t *testing.T) {
	const none, bad = -1, -2 // want markers: ignored (whole object), 416
	tests := []struct {
		header        string
		size          int64
		start, length int64
	}{
		{"", 10, none, 0},
		{"bytes=0-0", 10, 0, 1},
		{"bytes=0-9", 10, 0, 10},
		{"bytes=2-5", 10, 2, 4},
		{"bytes=9-9", 10, 9, 1},
		{"bytes=5-", 10, 5, 5},
		{"bytes=0-", 10, 0, 10},
		{"bytes=-3", 10, 7, 3},
		{"bytes=-10", 10, 0, 10},
		{"bytes=-11", 10, 0, 10},                    // suffix longer than the object: all of it
		{"bytes=3-100", 10, 3, 7},                   // end clamped
		{"bytes=3-99999999999999999999", 10, 3, 7},  // end past int64 clamped
		{"bytes=-99999999999999999999", 10, 0, 10},  // suffix past int64 clamped
		{"bytes=10-", 10, bad, 0},                   // starts at the end
		{"bytes=10-20", 10, bad, 0},                 // starts past the end
		{"bytes=40-50", 11, bad, 0},                 // s3-tests test_ranged_request_invalid_range
		{"bytes=99999999999999999999-", 10, bad, 0}, // start past int64
		{"bytes=-0", 10, bad, 0},
		{"bytes=0-0", 0, bad, 0}, // empty object: s3-tests test_ranged_request_empty_object
		{"bytes=0-", 0, bad, 0},
		{"bytes=40-50", 0, bad, 0},
		{"bytes=-1", 0, none, 0}, // suffix of an empty object: the whole (empty) object
		{"bytes=-0", 0, bad, 0},
		{"BYTES=1-2", 10, 1, 2}, // the unit is case-insensitive
		{" bytes = 1 - 2 ", 10, 1, 2},
		{"bytes=5-3", 10, none, 0}, // last < first: invalid, ignored
		{"bytes=0-1,3-4", 10, none, 0},
		{"bytes=0-1, 3-4", 10, none, 0},
		{"bytes=", 10, none, 0},
		{"bytes=-", 10, none, 0},
		{"bytes=a-b", 10, none, 0},
		{"bytes=1", 10, none, 0},
		{"bytes=+1-2", 10, none, 0},
		{"bytes=1--2", 10, none, 0},
		{"bytes=0x1-2", 10, none, 0},
		{"items=0-1", 10, none, 0},
		{"0-1", 10, none, 0},
		{"bytes 0-1", 10, none, 0},
	}
	for _, tt := range tests {
		r, ok, err := ParseRange(tt.header, tt.size)
		switch tt.start {
		case none:
			if ok || err != nil {
				t.Errorf("%q size %d: got %+v ok=%v err=%v, want the whole object", tt.header, tt.size, r, ok, err)
			}
		case bad:
			var e *Error
			if !errors.As(err, &e) || e.Code != "InvalidRange" || e.Status != http.StatusRequestedRangeNotSatisfiable || ok {
				t.Errorf("%q size %d: got %+v ok=%v err=%v, want 416 InvalidRange", tt.header, tt.size, r, ok, err)
			}
		default:
			if !ok || err != nil || r.Start != tt.start || r.Length != tt.length {
				t.Errorf("%q size %d: got %+v ok=%v err=%v, want start %d length %d", tt.header, tt.size, r, ok, err, tt.start, tt.length)
			}
		}
	}
}

func TestContentRange(t *testing.T) {
	for _, tt := range []struct {
		r    Range
		size int64
		want string
	}{
		{Range{0, 1}, 10, "bytes 0-0/10"},
		{Range{2, 4}, 10, "bytes 2-5/10"},
		{Range{0, 10}, 10, "bytes 0-9/10"},
	} {
		if got := tt.r.ContentRange(tt.size); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.r, got, tt.want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	f.Add("bytes=0-9", int64(10))
	f.Add("bytes=-5", int64(3))
	f.Add("bytes=5-", int64(0))
	f.Add("bytes=1-2,3-4", int64(100))
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		r, ok, err := ParseRange(header, size)
		if err != nil {
			if ok || AsError(err).Status != http.StatusRequestedRangeNotSatisfiable {
				t.Fatalf("%q size %d: bad error %v ok=%v", header, size, err, ok)
			}
			return
		}
		if !ok {
			return
		}
		if r.Start < 0 || r.Length <= 0 || r.Start > size-r.Length || r.Length > math.MaxInt64-r.Start {
			t.Fatalf("%q size %d: range %+v outside the object", header, size, r)
		}
	})
}
