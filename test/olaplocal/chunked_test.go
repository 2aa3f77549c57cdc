package olaplocal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// chunkSign frames data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD, as a client
// does (sigv4's tests check ChunkSignature against AWS's example).
func chunkSign(key []byte, amzDate, scope, seed string, data []byte, chunk int) []byte {
	var b bytes.Buffer
	prev := seed
	for off := 0; ; off = min(off+chunk, len(data)) {
		part := data[off:min(off+chunk, len(data))]
		prev = sigv4.ChunkSignature(key, amzDate, scope, prev, part)
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(part), prev)
		b.Write(part)
		b.WriteString("\r\n")
		if len(part) == 0 {
			return b.Bytes()
		}
	}
}

// TestStreamingPassthrough puts objects through the endpoint in both
// aws-chunked modes and reads them back from the S3 server directly.
func TestStreamingPassthrough(t *testing.T) {
	var st *stack
	st = newStack(t, stackOpts{handler: inProcess(t, &st)})
	data := bytes.Repeat([]byte("streaming payload 0123456789\n"), 5000)
	now := time.Now().UTC()
	amzDate := now.Format(sigv4.AmzDateFormat)
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
	key := sigv4.SigningKey(DefaultSecretKey, now.Format("20060102"), "us-east-1", "s3")

	t.Run("signed chunks", func(t *testing.T) {
		resp := put(t, "stream/signed.txt", sigv4.StreamingSigned, func(seed string) []byte {
			return chunkSign(key, amzDate, scope, seed, data, 64<<10)
		}, nil)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		check(t, "stream/signed.txt")
	})
	t.Run("signed chunks, one forged", func(t *testing.T) {
		resp := put(t, "stream/forged.txt", sigv4.StreamingSigned, func(seed string) []byte {
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
		resp := put(t, key, sigv4.StreamingUnsignedTrail, func(string) []byte {
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
