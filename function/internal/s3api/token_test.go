package s3api

import (
	"net/url"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	for _, after := range []string{"", "a", "dir/", "ümlaut/ß", "\x00\xff", strings.Repeat("k", 1024)} {
		tok := EncodeToken(after)
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not unpadded base64url", tok)
		}
		got, err := DecodeToken(tok)
		if err != nil || got != after {
			t.Errorf("round trip of %q: %q, %v", after, got, err)
		}
	}
}

func TestTokenGarbage(t *testing.T) {
	good := EncodeToken("dir/file")
	flipped := []byte(good)
	flipped[3] ^= 1
	for _, tok := range []string{
		"garbage", "!!!", "AAAA", good[:len(good)-1], string(flipped), good + "A",
		"1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", // an S3 token
		strings.Repeat("A", maxTokenLen+1),
	} {
		if _, err := DecodeToken(tok); err == nil {
			t.Errorf("DecodeToken(%q) accepted garbage", tok)
		}
		_, err := ParseListRequest(url.Values{"continuation-token": {tok}}, true)
		e := AsError(err)
		if e.Code != "InvalidArgument" || e.Status != 400 || e.Message != "The continuation token provided is incorrect" {
			t.Errorf("ParseListRequest with token %q: %v", tok, err)
		}
	}
	// A version this package does not know is refused.
	b := []byte{2, 'a'}
	if _, err := DecodeToken(string(b)); err == nil {
		t.Error("raw bytes accepted")
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(EncodeToken("dir/file"))
	f.Add(EncodeToken(""))
	f.Add("garbage")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, tok string) {
		after, err := DecodeToken(tok)
		if err != nil {
			return
		}
		if len(after) > maxTokenLen {
			t.Fatalf("decoded %d bytes from a bounded token", len(after))
		}
		if again, err := DecodeToken(EncodeToken(after)); err != nil || again != after {
			t.Fatalf("re-encoding %q does not round trip", after)
		}
	})
}
