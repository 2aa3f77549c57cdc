package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Body returns r's payload decoded and checked according to the payload
// mode s was signed with, and its length (-1 if unknown). A signed hash is
// compared at the end of the body, every aws-chunked chunk signature
// before the chunk's bytes are released: a failed check is a read error
// of type *Error.
func (s *Signed) Body(r *http.Request) (io.Reader, int64, *Error) {
	switch s.PayloadHash {
	case UnsignedPayload:
		return r.Body, r.ContentLength, nil
	case StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrail:
		n := int64(-1)
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			var err error
			if n, err = strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				return nil, 0, s3err("InvalidArgument", "x-amz-decoded-content-length is not a number")
			}
		}
		return newChunkedReader(r.Body, s, n), n, nil
	default:
		return newHashCheckReader(r.Body, s.PayloadHash), r.ContentLength, nil
	}
}

// maxChunk bounds one aws-chunked chunk: a signed chunk is held whole until
// its signature checks out, so a hostile size must not allocate much.
const maxChunk = 16 << 20

// chunkedReader decodes an aws-chunked body (the STREAMING-* payload modes)
// and, for the signed modes, checks every chunk signature before releasing
// the chunk's bytes.
type chunkedReader struct {
	br      *bufio.Reader
	signed  *Signed // nil for STREAMING-UNSIGNED-PAYLOAD-TRAILER
	prevSig string
	buf     []byte
	off     int
	total   int64
	want    int64 // x-amz-decoded-content-length, -1 if absent
	done    bool
	err     error
}

func newChunkedReader(body io.Reader, s *Signed, decodedLength int64) *chunkedReader {
	c := &chunkedReader{br: bufio.NewReaderSize(body, 64<<10), want: decodedLength}
	if s.PayloadHash != StreamingUnsignedTrail {
		c.signed, c.prevSig = s, s.signature
	}
	return c
}

var errChunkSig = s3err("SignatureDoesNotMatch",
	"The request signature we calculated does not match the signature you provided. Check your key and signing method.")

func errIncompleteBody(msg string) *Error {
	return s3err("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header: "+msg)
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.off == len(c.buf) {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		c.err = c.next()
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	return n, nil
}

// next reads, checks and buffers the following chunk.
func (c *chunkedReader) next() error {
	line, err := c.line()
	if err != nil {
		return err
	}
	sizeHex, ext, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
	if err != nil || size < 0 || size > maxChunk {
		return errIncompleteBody(fmt.Sprintf("bad aws-chunked chunk size %q", sizeHex))
	}
	if cap(c.buf) < int(size) {
		c.buf = make([]byte, size)
	}
	c.buf, c.off = c.buf[:size], 0
	if _, err := io.ReadFull(c.br, c.buf); err != nil {
		return errIncompleteBody("aws-chunked body ended inside a chunk")
	}
	if c.signed != nil {
		sig, ok := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature=")
		if !ok {
			return errChunkSig
		}
		if want := ChunkSignature(c.signed.key, c.signed.amzDate, c.signed.scope, c.prevSig, c.buf); !hmac.Equal([]byte(want), []byte(sig)) {
			return errChunkSig
		}
		c.prevSig = sig
	}
	c.total += size
	if size > 0 {
		if crlf, err := c.line(); err != nil || crlf != "" {
			return errIncompleteBody("aws-chunked chunk not followed by CRLF")
		}
		return nil
	}
	// Final chunk: trailers (checksums) up to an empty line. Their checksum
	// is not re-checked here; the byte count is.
	for {
		l, err := c.line()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		if l == "" {
			break
		}
	}
	if c.want >= 0 && c.total != c.want {
		return errIncompleteBody(fmt.Sprintf("decoded %d bytes, x-amz-decoded-content-length says %d", c.total, c.want))
	}
	c.done = true
	return nil
}

func (c *chunkedReader) line() (string, error) {
	l, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", errIncompleteBody("aws-chunked line too long")
	}
	if err != nil {
		if err == io.EOF && len(l) == 0 {
			return "", io.EOF
		}
		return "", errIncompleteBody("aws-chunked body truncated")
	}
	return strings.TrimRight(string(l), "\r\n"), nil
}

// ChunkSignature is the signature of one aws-chunked chunk: key is the
// request's signing key, scope its credential scope ("date/region/s3/
// aws4_request"), prev the signature before it (the request's own for the
// first chunk). Clients sign their chunks with it too.
func ChunkSignature(key []byte, amzDate, scope, prev string, chunk []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + EmptySHA256 + "\n" + HexSHA256(chunk)
	return hex.EncodeToString(HMACSHA256(key, sts))
}

// hashCheckReader passes a body through and, at its end, compares its
// SHA-256 with the signed x-amz-content-sha256.
type hashCheckReader struct {
	r    io.Reader
	h    hash.Hash
	want string
}

func newHashCheckReader(r io.Reader, want string) *hashCheckReader {
	return &hashCheckReader{r: r, h: sha256.New(), want: want}
}

func (h *hashCheckReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(h.h.Sum(nil)); got != h.want {
			return n, s3err("XAmzContentSHA256Mismatch",
				"The provided 'x-amz-content-sha256' header does not match what was computed.",
				[2]string{"ClientComputedContentSHA256", h.want}, [2]string{"S3ComputedContentSHA256", got})
		}
	}
	return n, err
}
