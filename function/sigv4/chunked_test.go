package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The worked example of "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks" in the S3 API reference.
const docSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"

var docChunkSigs = []string{
	"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
	"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
	"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
}

func docBody(sigs []string) []byte {
	var b bytes.Buffer
	for i, n := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, sigs[i])
		b.Write(bytes.Repeat([]byte("a"), n))
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func docRequest(body []byte) *http.Request {
	r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
	h := r.Header
	h.Set("X-Amz-Date", "20130524T000000Z")
	h.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	h.Set("Content-Encoding", "aws-chunked")
	h.Set("X-Amz-Decoded-Content-Length", "66560")
	h.Set("Content-Length", "66824")
	h.Set("X-Amz-Content-Sha256", StreamingSigned)
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docAccessKey+"/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
		"Signature="+docSeed)
	return r
}

var docVerifier = docVerifierAt(docTime.Add(5 * time.Minute))

// TestChunkSignature reproduces the chunk signatures of AWS's example.
func TestChunkSignature(t *testing.T) {
	key := SigningKey(docSecretKey, "20130524", "us-east-1", "s3")
	prev := docSeed
	for i, n := range []int{65536, 1024, 0} {
		got := ChunkSignature(key, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", prev, bytes.Repeat([]byte("a"), n))
		if got != docChunkSigs[i] {
			t.Fatalf("chunk %d: %s, AWS says %s", i, got, docChunkSigs[i])
		}
		prev = got
	}
}

// TestChunkedAWSExample checks the seed and chunk signatures of AWS's own
// example, and that any damage to the stream is refused.
func TestChunkedAWSExample(t *testing.T) {
	good := docBody(docChunkSigs)
	if len(good) != 66824 {
		t.Fatalf("example body is %d bytes, the docs say 66824", len(good))
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name     string
		body     []byte
		wantCode string
	}{
		{"as documented", good, ""},
		{"byte changed in chunk 1", flip(good, 200), "SignatureDoesNotMatch"},
		{"byte changed in chunk 2", flip(good, 65536+90+100), "SignatureDoesNotMatch"},
		{"final signature wrong", docBody([]string{docChunkSigs[0], docChunkSigs[1], docChunkSigs[0]}), "SignatureDoesNotMatch"},
		{"chunks swapped", docBody([]string{docChunkSigs[1], docChunkSigs[0], docChunkSigs[2]}), "SignatureDoesNotMatch"},
		{"truncated", good[:40000], "IncompleteBody"},
		{"final chunk missing", good[:len(good)-90], "IncompleteBody"},
		{"huge chunk size", []byte("7fffffff;chunk-signature=" + docChunkSigs[0] + "\r\n"), "IncompleteBody"},
		{"bad size", []byte("zz;chunk-signature=" + docChunkSigs[0] + "\r\n"), "IncompleteBody"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := docRequest(tc.body)
			s, serr := docVerifier.Verify(r, "s3")
			if serr != nil {
				t.Fatalf("seed signature refused: %v", serr)
			}
			body, n, serr := s.Body(r)
			if serr != nil || n != 66560 {
				t.Fatalf("%v %d", serr, n)
			}
			got, err := io.ReadAll(body)
			var se *Error
			switch {
			case tc.wantCode == "" && (err != nil || !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560))):
				t.Fatalf("decoded %d bytes, %v", len(got), err)
			case tc.wantCode != "" && (!errors.As(err, &se) || se.Code != tc.wantCode):
				t.Fatalf("got %v, want %s", err, tc.wantCode)
			}
		})
	}
	r := docRequest(good)
	r.Header.Set("X-Amz-Storage-Class", "STANDARD")
	if _, serr := docVerifier.Verify(r, "s3"); serr == nil || serr.Code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered seed request: %v", serr)
	}
}

// TestBodyHash checks that a signed body hash is compared at the end of
// the body.
func TestBodyHash(t *testing.T) {
	for _, tc := range []struct {
		body, hash, wantCode string
	}{
		{"hello", HexSHA256([]byte("hello")), ""},
		{"hellO", HexSHA256([]byte("hello")), "XAmzContentSHA256Mismatch"},
		{"", EmptySHA256, ""},
	} {
		r := httptest.NewRequest("PUT", "http://h/b/k", bytes.NewReader([]byte(tc.body)))
		body, _, serr := (&Signed{PayloadHash: tc.hash}).Body(r)
		if serr != nil {
			t.Fatal(serr)
		}
		_, err := io.ReadAll(body)
		var se *Error
		if tc.wantCode == "" && err != nil || tc.wantCode != "" && (!errors.As(err, &se) || se.Code != tc.wantCode) {
			t.Errorf("%q with hash %s: %v, want %q", tc.body, tc.hash, err, tc.wantCode)
		}
	}
}

// FuzzChunkedReader feeds arbitrary bodies to the aws-chunked decoder, in
// both modes: it must end with bytes or an error, never panic or hang.
func FuzzChunkedReader(f *testing.F) {
	f.Add(docBody(docChunkSigs), true)
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), false)
	f.Add([]byte("ffffffffffffffff\r\n"), false)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		r := docRequest(body)
		s, serr := docVerifier.Verify(r, "s3")
		if serr != nil {
			t.Fatal(serr)
		}
		if !signed {
			s.PayloadHash = StreamingUnsignedTrail
		}
		out, err := io.ReadAll(io.LimitReader(newChunkedReader(bytes.NewReader(body), s, -1), maxChunk+1))
		if err == nil && len(out) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(out), len(body))
		}
	})
}
