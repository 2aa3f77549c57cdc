package main

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Timing is one GET as the client saw it.
type Timing struct {
	TTFB, Total time.Duration
	Bytes       int64
}

// Span is a byte range of a file; N < 0 means to the end.
type Span struct{ Off, N int64 }

func (s Span) header() *string {
	if s.Off == 0 && s.N < 0 {
		return nil
	}
	if s.N < 0 {
		return aws.String(fmt.Sprintf("bytes=%d-", s.Off))
	}
	return aws.String(fmt.Sprintf("bytes=%d-%d", s.Off, s.Off+s.N-1))
}

// get GETs bucket/key (the range sp) and checks the body against want, the
// CRC-32C of the expected bytes and their length.
func get(ctx context.Context, c *s3.Client, bucket, key string, sp Span, want Truth) (Timing, error) {
	start := time.Now()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: sp.header()})
	if err != nil {
		return Timing{}, fmt.Errorf("GET %s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	var t Timing
	buf := make([]byte, 256<<10)
	crc := uint32(0)
	for {
		n, err := out.Body.Read(buf)
		if n > 0 && t.TTFB == 0 {
			t.TTFB = time.Since(start)
		}
		crc = crc32.Update(crc, castagnoli, buf[:n])
		t.Bytes += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return t, fmt.Errorf("GET %s/%s: body after %d bytes: %w", bucket, key, t.Bytes, err)
		}
	}
	t.Total = time.Since(start)
	if t.Bytes != want.Len || crc != want.CRC {
		return t, fmt.Errorf("GET %s/%s %+v: got %d bytes crc %08x, want %d bytes crc %08x", bucket, key, sp, t.Bytes, crc, want.Len, want.CRC)
	}
	return t, nil
}

// Truth is the expected body of a GET.
type Truth struct {
	Len int64
	CRC uint32
}

// truthOf reads the expected bytes from the generated source file.
func truthOf(path string, sp Span) (Truth, error) {
	f, err := os.Open(path)
	if err != nil {
		return Truth{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Truth{}, err
	}
	n := sp.N
	if n < 0 || sp.Off+n > fi.Size() {
		n = fi.Size() - sp.Off
	}
	h := crc32.New(castagnoli)
	m, err := io.Copy(h, io.NewSectionReader(f, sp.Off, n))
	if err != nil {
		return Truth{}, err
	}
	return Truth{Len: m, CRC: h.Sum32()}, nil
}
