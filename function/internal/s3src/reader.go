package s3src

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
)

var errClosed = errors.New("s3src: read after Close")

// rangeReader yields exactly n bytes at off, reopening the range where a
// body broke off. All its GETs share one attempt budget.
type rangeReader struct {
	o    *Reader
	ctx  context.Context
	off  int64
	n    int64
	etag string // pinned with If-Match; set from the first response if ""
	done int64
	used int // attempts made
	body io.ReadCloser
	err  error // sticky
}

// open issues one GET for the bytes not yet read. A well-formed answer
// that covers less than asked (a short 206) is accepted: its bytes are
// read, and the rest is fetched by the next attempt as for a broken body.
func (r *rangeReader) open() error {
	start, want := r.off+r.done, r.n-r.done
	in := &s3.GetObjectInput{
		Bucket: &r.o.bucket,
		Key:    &r.o.key,
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", start, start+want-1)),
	}
	if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	reqstats.From(r.ctx).S3Requests.Add(1)
	w := newWatchdog(r.ctx, r.o.stall)
	out, err := r.o.client.GetObject(w.ctx, in, sdkOptions)
	if err != nil {
		w.stop()
		return w.explain(err)
	}
	body := watchedBody{body: out.Body, w: w}
	cr, err := contentRange(out.ContentRange, aws.ToInt64(out.ContentLength))
	switch {
	case err != nil:
	case cr.start != start:
		err = fmt.Errorf("%w: asked for bytes from %d, got from %d", errBadResponse, start, cr.start)
	case cr.n > want:
		err = fmt.Errorf("%w: asked for %d bytes, got %d", errBadResponse, want, cr.n)
	case cr.n < want && cr.start+cr.n == cr.size:
		err = fmt.Errorf("range [%d, %d) past the end of the %d-byte object: %w", r.off, r.off+r.n, cr.size, ErrInvalidRange)
	case cr.n == 0:
		err = errShortBody{got: r.done, want: r.n, err: errShortRange}
	}
	if err != nil {
		body.Close()
		return err
	}
	if r.etag == "" {
		r.etag = aws.ToString(out.ETag)
	}
	r.body = body
	return nil
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.done == r.n {
		return 0, io.EOF
	}
	if r.body == nil {
		// The last body broke off: back off, then reopen for the rest.
		if err := r.o.backoff(r.ctx, r.used); err != nil {
			r.err = r.o.wrap(r.ctx, "GET", r.used, err)
			return 0, r.err
		}
		if err := r.o.retry(r.ctx, "GET", &r.used, r.open); err != nil {
			r.err = err
			return 0, err
		}
	}
	if rest := r.n - r.done; int64(len(p)) > rest {
		p = p[:rest]
	}
	m, err := r.body.Read(p)
	r.done += int64(m)
	reqstats.From(r.ctx).S3BytesIn.Add(int64(m))
	if r.done == r.n {
		r.body.Close()
		r.body = nil
		return m, nil
	}
	if err != nil {
		r.body.Close()
		r.body = nil
		short := errShortBody{got: r.done, want: r.n, err: err}
		if r.ctx.Err() != nil || !retryable(short) || r.used >= r.o.attempts {
			r.err = r.o.wrap(r.ctx, "GET", r.used, short)
		}
	}
	if m == 0 && r.err != nil {
		return 0, r.err
	}
	return m, nil
}

func (r *rangeReader) Close() error {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	if r.err == nil {
		r.err = errClosed
	}
	return nil
}
