package olaplocal

import (
	"bufio"
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
	if s.PayloadHash != streamingUnsignedTrail {
		c.signed, c.prevSig = s, s.signature
	}
	return c
}

var errChunkSig = s3err(http.StatusForbidden, "SignatureDoesNotMatch",
	"The request signature we calculated does not match the signature you provided. Check your key and signing method.")

func errIncompleteBody(msg string) *Error {
	return s3err(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header: "+msg)
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
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.signed.amzDate + "\n" + c.signed.scope + "\n" +
			c.prevSig + "\n" + emptySHA256 + "\n" + hexSHA256(c.buf)
		if want := hex.EncodeToString(hmacSHA256(c.signed.key, sts)); want != sig {
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
			return n, s3err(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
				"The provided 'x-amz-content-sha256' header does not match what was computed.",
				[2]string{"ClientComputedContentSHA256", h.want}, [2]string{"S3ComputedContentSHA256", got})
		}
	}
	return n, err
}
