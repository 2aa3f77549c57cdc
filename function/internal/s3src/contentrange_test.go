package s3src

import (
	"errors"
	"testing"
)

func TestContentRange(t *testing.T) {
	tests := []struct {
		header string
		n      int64
		want   byteRange
		ok     bool
	}{
		{"", 10, byteRange{0, 10, 10}, true},
		{"", 0, byteRange{0, 0, 0}, true},
		{"", -1, byteRange{}, false},
		{"bytes 0-9/10", 10, byteRange{0, 10, 10}, true},
		{"bytes 100-199/1000", 100, byteRange{100, 100, 1000}, true},
		{"bytes 999-999/1000", 1, byteRange{999, 1, 1000}, true},
		{"bytes 0-9/10", 9, byteRange{}, false},   // length disagrees
		{"bytes 0-10/10", 11, byteRange{}, false}, // past the end
		{"bytes 5-4/10", 0, byteRange{}, false},
		{"bytes */10", 0, byteRange{}, false},
		{"items 0-9/10", 10, byteRange{}, false},
		{"bytes 0-9/*", 10, byteRange{}, false},
		{"bytes -1-9/10", 11, byteRange{}, false},
	}
	for _, tt := range tests {
		h := tt.header
		got, err := contentRange(&h, tt.n)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("contentRange(%q, %d) = %+v, %v", tt.header, tt.n, got, err)
		}
		if err != nil && !errors.Is(err, errBadResponse) {
			t.Errorf("contentRange(%q): error %v is not errBadResponse", tt.header, err)
		}
	}
}

func FuzzContentRange(f *testing.F) {
	f.Add("bytes 0-9/10", int64(10))
	f.Add("bytes 100-199/1000", int64(100))
	f.Add("bytes 9223372036854775806-9223372036854775806/9223372036854775807", int64(1))
	f.Fuzz(func(t *testing.T, h string, n int64) {
		r, err := contentRange(&h, n)
		if err != nil {
			return
		}
		if r.start < 0 || r.n < 0 || r.n != n || r.start+r.n > r.size {
			t.Fatalf("contentRange(%q, %d) = %+v: inconsistent", h, n, r)
		}
	})
}

func FuzzDecodeSuperblock(f *testing.F) {
	f.Add("aHNxcwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		if b := decodeSuperblock(s); b != nil && (len(b) != 96 || string(b[:4]) != "hsqs") {
			t.Fatalf("decodeSuperblock(%q) = %x", s, b)
		}
	})
}
