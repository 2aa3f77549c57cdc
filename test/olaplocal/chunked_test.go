package olaplocal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The worked example of "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks" in the S3 API reference.
const (
	docAccessKey = "AKIAIOSFODNN7EXAMPLE"
	docSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docSeed      = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
)

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
	h.Set("X-Amz-Content-Sha256", streamingSigned)
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docAccessKey+"/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
		"Signature="+docSeed)
	return r
}

var docVerifier = &Verifier{Region: "us-east-1", Keys: map[string]string{docAccessKey: docSecretKey},
	Now: func() time.Time { return time.Date(2013, 5, 24, 0, 5, 0, 0, time.UTC) }}

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
			body, n, serr := requestBody(r, s)
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

// chunkSign frames data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD, the test's
// own signer; TestChunkSignMatchesAWS checks it against AWS's example.
func chunkSign(key []byte, amzDate, scope, seed string, data []byte, chunk int) []byte {
	var b bytes.Buffer
	prev := seed
	for off := 0; ; off = min(off+chunk, len(data)) {
		part := data[off:min(off+chunk, len(data))]
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + emptySHA256 + "\n" + hexSHA256(part)
		prev = fmt.Sprintf("%x", hmacSHA256(key, sts))
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(part), prev)
		b.Write(part)
		b.WriteString("\r\n")
		if len(part) == 0 {
			return b.Bytes()
		}
	}
}

func TestChunkSignMatchesAWS(t *testing.T) {
	key := signingKey(docSecretKey, "20130524", "us-east-1", "s3")
	got := chunkSign(key, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", docSeed, bytes.Repeat([]byte("a"), 66560), 65536)
	if !bytes.Equal(got, docBody(docChunkSigs)) {
		t.Fatal("the test's chunk signer does not reproduce AWS's example")
	}
}

// TestStreamingPassthrough puts objects through the endpoint in both
// aws-chunked modes and reads them back from the S3 server directly.
func TestStreamingPassthrough(t *testing.T) {
	var st *stack
	st = newStack(t, stackOpts{handler: inProcess(t, &st)})
	data := bytes.Repeat([]byte("streaming payload 0123456789\n"), 5000)
	now := time.Now().UTC()
	amzDate := now.Format(amzDateFormat)
	scope := now.Format("20060102") + "/us-east-1/s3/aws4_request"

	put := func(t *testing.T, key, mode string, body func(seed string) []byte, extra map[string]string) *http.Response {
		// The seed signature covers the headers; the body needs the seed.
		req, _ := http.NewRequest("PUT", st.url+"/"+DefaultBucket+"/"+key, nil)
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		signReq(t, req, DefaultSecretKey, now, DefaultRegion, "s3", mode)
		auth := req.Header.Get("Authorization")
		seed := auth[strings.LastIndex(auth, "=")+1:]
		b := body(seed)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	check := func(t *testing.T, key string) {
		out, err := s3srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(supportingBucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, data) {
			t.Fatalf("stored %d bytes, want %d", len(got), len(data))
		}
	}
	key := signingKey(DefaultSecretKey, now.Format("20060102"), "us-east-1", "s3")

	t.Run("signed chunks", func(t *testing.T) {
		resp := put(t, "stream/signed.txt", streamingSigned, func(seed string) []byte {
			return chunkSign(key, amzDate, scope, seed, data, 64<<10)
		}, nil)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		check(t, "stream/signed.txt")
	})
	t.Run("signed chunks, one forged", func(t *testing.T) {
		resp := put(t, "stream/forged.txt", streamingSigned, func(seed string) []byte {
			b := chunkSign(key, amzDate, scope, seed, data, 64<<10)
			b[len(b)-500] ^= 1 // in the last data chunk
			return b
		}, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !bytes.Contains(body, []byte("SignatureDoesNotMatch")) {
			t.Fatalf("forged chunk: %d %s", resp.StatusCode, body)
		}
		if _, err := s3srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(supportingBucket), Key: aws.String("stream/forged.txt")}); err == nil {
			t.Fatal("a forged upload was stored")
		}
	})
	trailer := func(t *testing.T, key string, crcDelta uint32) (int, []byte) {
		crc := make([]byte, 4)
		binary.BigEndian.PutUint32(crc, crc32.ChecksumIEEE(data)+crcDelta)
		resp := put(t, key, streamingUnsignedTrail, func(string) []byte {
			var b bytes.Buffer
			for off := 0; off < len(data); off += 50000 {
				part := data[off:min(off+50000, len(data))]
				fmt.Fprintf(&b, "%x\r\n%s\r\n", len(part), part)
			}
			fmt.Fprintf(&b, "0\r\nx-amz-checksum-crc32:%s\r\n\r\n", base64.StdEncoding.EncodeToString(crc))
			return b.Bytes()
		}, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"})
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, body
	}
	t.Run("unsigned chunks with trailer", func(t *testing.T) {
		if status, body := trailer(t, "stream/trailer.txt", 0); status != 200 {
			t.Fatalf("status %d %s", status, body)
		}
		check(t, "stream/trailer.txt")
	})
	t.Run("unsigned chunks, wrong trailer checksum", func(t *testing.T) {
		if status, body := trailer(t, "stream/badcrc.txt", 1); status != 400 || !bytes.Contains(body, []byte("BadDigest")) {
			t.Fatalf("status %d %s", status, body)
		}
	})
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
			s.PayloadHash = streamingUnsignedTrail
		}
		out, err := io.ReadAll(io.LimitReader(newChunkedReader(bytes.NewReader(body), s, -1), maxChunk+1))
		if err == nil && len(out) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(out), len(body))
		}
	})
}

// FuzzVerify feeds arbitrary Authorization headers and queries to the
// verifier: a clean S3 error or success, never a panic.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature=00", "a=b&c")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aa")
	f.Add("AWS4-HMAC-SHA256 Credential=/,SignedHeaders=,Signature=", "%zz&=&X-Amz-Expires=-1")
	f.Fuzz(func(t *testing.T, authz, query string) {
		r := httptest.NewRequest("GET", "http://s3.amazonaws.com/examplebucket/key", nil)
		r.URL.RawQuery = query
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		s, serr := docVerifier.Verify(r, "s3")
		if serr == nil && s == nil || serr != nil && (serr.Code == "" || serr.Status < 400) {
			t.Fatalf("bad outcome %v %v", s, serr)
		}
	})
}
