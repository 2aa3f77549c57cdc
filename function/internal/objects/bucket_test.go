package objects

import (
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

func TestStartAfter(t *testing.T) {
	keys := []string{"", "a", "a/", "a/x", "a/\U0010FFFF", "a0", "a.txt", "b", "日本/x", "a\x00", "a/\x00"}
	for _, from := range []string{"", "a", "a/", "a0", "a\x00", "b", "日本", "a/x\x00"} {
		after := startAfter(from)
		for _, k := range keys {
			// Every key >= from must be listed (k > after).
			if k >= from && !(k > after) && from != "" {
				t.Errorf("from %q: StartAfter %q would skip key %q", from, after, k)
			}
		}
		if len(after) > s3api.MaxKeyBytes {
			t.Errorf("from %q: StartAfter is %d bytes, over S3's key limit", from, len(after))
		}
	}
	if got := startAfter("dir0"); got <= "dir/zzz" {
		t.Errorf("startAfter(dir0) = %q does not skip the keys under dir/", got[:8])
	}
}
