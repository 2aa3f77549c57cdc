package codec

import (
	"fmt"
	"strings"
	"testing"
)

// TestWarmFrame checks what Warm decodes, and that every zstd decoder is
// the process's one.
func TestWarmFrame(t *testing.T) {
	var want strings.Builder
	for i := range 40 {
		fmt.Fprintf(&want, "d%03d/f%06d.txt ", i%7, i*37)
	}
	d, err := sharedZstd()
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.DecodeAll(warmFrame, nil)
	if err != nil || string(got) != want.String() {
		t.Fatalf("warm frame: %v, %q", err, got)
	}
	Warm()
	a, err := Go.NewDecoder(ZSTD, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Go.NewDecoder(ZSTD, nil)
	if a.(zstdDecoder).d != d || b.(zstdDecoder).d != d {
		t.Error("a zstd decoder of its own: not the process's")
	}
}
