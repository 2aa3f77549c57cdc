// Package s3src reads one S3 object by byte ranges, with retries.
//
// Every HTTP attempt is counted in reqstats.S3Requests and every body byte
// read in reqstats.S3BytesIn. The SDK's own retryer is switched off for the
// calls made here: this package retries itself (exponential backoff with
// full jitter) so it can count attempts, resume a body that ends early,
// and return as soon as the context is cancelled, also while backing off.
package s3src

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
)

// SuperblockMetadata is the user metadata key that holds the base64 of an
// archive's 96-byte squashfs superblock, written at upload.
const SuperblockMetadata = "s3archivefs-superblock"

// MaxSmallRead bounds GetRange and GetSuffix, which read into memory.
const MaxSmallRead = 64 << 20

const (
	superblockSize  = 96
	squashfsMagic   = 0x73717368 // "hsqs" little-endian
	defaultAttempts = 5
	defaultBase     = 50 * time.Millisecond
	defaultMax      = 2 * time.Second
)

// NewClient builds an S3 client from the standard SDK configuration
// (environment, shared config and credentials files, AWS_REGION,
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3), with path-style addressing when
// an endpoint override is configured: see NewClientPathStyle.
func NewClient(ctx context.Context) (*s3.Client, error) { return NewClientPathStyle(ctx, true) }

// NewClientPathStyle is NewClient with the addressing rule given: when an
// endpoint override is configured and pathStyle is set, the client uses
// path-style URLs (http://host/bucket/key), which local S3 servers need.
// Without an override (real AWS) addressing stays virtual-hosted. The
// setting is config.PathStyle (S3ARCHIVEFS_S3_PATH_STYLE), read there.
func NewClientPathStyle(ctx context.Context, pathStyle bool) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3src: load AWS config: %w", err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.BaseEndpoint != nil && *o.BaseEndpoint != "" && pathStyle {
			o.UsePathStyle = true
		}
	}), nil
}

// Reader reads one S3 object by ranges. It is safe for concurrent use.
type Reader struct {
	client   *s3.Client
	bucket   string
	key      string
	attempts int
	base     time.Duration
	max      time.Duration
	stall    time.Duration
}

// Option configures a Reader.
type Option func(*Reader)

// WithRetry sets the number of attempts per read (at least 1) and the
// backoff: attempt i waits a random time in [0, min(max, base*2^(i-1))).
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(o *Reader) {
		o.attempts, o.base, o.max = attempts, base, max
	}
}

// WithStallTimeout sets how long an attempt may wait without progress (no
// response headers, or no body bytes while a Read waits) before it is
// abandoned and retried; at most 0 means the default of 2 s.
func WithStallTimeout(d time.Duration) Option {
	return func(o *Reader) { o.stall = d }
}

// New returns the object bucket/key read through client. By default a read
// makes up to 5 attempts with backoff from 50 ms up to 2 s, and an attempt
// that makes no progress for 2 s is abandoned and retried.
func New(client *s3.Client, bucket, key string, opts ...Option) *Reader {
	o := &Reader{client: client, bucket: bucket, key: key, attempts: defaultAttempts, base: defaultBase, max: defaultMax}
	for _, opt := range opts {
		opt(o)
	}
	o.attempts = max(1, o.attempts)
	if o.stall <= 0 {
		o.stall = defaultStall
	}
	return o
}

// Info describes the object.
type Info struct {
	Size         int64
	ETag         string // as S3 returns it, quoted
	LastModified time.Time
	Metadata     map[string]string
	// Superblock is decoded from the user metadata s3archivefs-superblock
	// when present and a valid 96-byte squashfs superblock, else nil.
	Superblock []byte
}

// Head returns the object's Info with one HEAD request (retried).
func (o *Reader) Head(ctx context.Context) (Info, error) {
	var info Info
	var used int
	err := o.retry(ctx, "HEAD", &used, func() error {
		reqstats.From(ctx).S3Requests.Add(1)
		w := newWatchdog(ctx, o.stall)
		defer w.stop()
		out, err := o.client.HeadObject(w.ctx, &s3.HeadObjectInput{Bucket: &o.bucket, Key: &o.key}, sdkOptions)
		if err != nil {
			return w.explain(err)
		}
		info = newInfo(aws.ToInt64(out.ContentLength), out.ETag, out.LastModified, out.Metadata)
		return nil
	})
	return info, err
}

// ReadRange returns a reader of exactly n bytes at off; it fails rather
// than return fewer. When etag is not "", the read is pinned to it with
// If-Match and fails with ErrChanged if the object was replaced. A body
// that ends early is resumed with a new ranged GET for the rest, pinned to
// the ETag of the first response; that counts as one of the attempts.
func (o *Reader) ReadRange(ctx context.Context, off, n int64, etag string) (io.ReadCloser, error) {
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("s3src: read %s: range off=%d n=%d: %w", o, off, n, ErrInvalidRange)
	}
	r := &rangeReader{o: o, ctx: ctx, off: off, n: n, etag: etag}
	if n == 0 {
		return r, nil
	}
	if err := r.o.retry(ctx, "GET", &r.used, r.open); err != nil {
		return nil, err
	}
	return r, nil
}

// GetRange reads up to n bytes at off with one GET (retried) and returns
// them with the object's Info (size from Content-Range). Fewer than n
// bytes come back only when the object ends first. n is at most
// MaxSmallRead.
func (o *Reader) GetRange(ctx context.Context, off, n int64) ([]byte, Info, error) {
	if off < 0 || n <= 0 || n > MaxSmallRead {
		return nil, Info{}, fmt.Errorf("s3src: get %s: range off=%d n=%d (1..%d bytes): %w", o, off, n, MaxSmallRead, ErrInvalidRange)
	}
	data, _, info, err := o.getSmall(ctx, fmt.Sprintf("bytes=%d-%d", off, off+n-1), byteSpan{off: off, n: n})
	return data, info, err
}

// GetSuffix reads the last n bytes of the object (all of it when smaller)
// with one GET (retried): the archive's tail, its size and ETag in one
// request. start is the offset of data in the object. n is at most
// MaxSmallRead.
func (o *Reader) GetSuffix(ctx context.Context, n int64) (data []byte, start int64, info Info, err error) {
	if n <= 0 || n > MaxSmallRead {
		return nil, 0, Info{}, fmt.Errorf("s3src: get %s: suffix of %d bytes (1..%d): %w", o, n, MaxSmallRead, ErrInvalidRange)
	}
	return o.getSmall(ctx, fmt.Sprintf("bytes=-%d", n), byteSpan{n: n, suffix: true})
}

func (o *Reader) getSmall(ctx context.Context, rng string, want byteSpan) (data []byte, start int64, info Info, err error) {
	var used int
	err = o.retry(ctx, "GET", &used, func() error {
		reqstats.From(ctx).S3Requests.Add(1)
		w := newWatchdog(ctx, o.stall)
		defer w.stop()
		out, err := o.client.GetObject(w.ctx, &s3.GetObjectInput{Bucket: &o.bucket, Key: &o.key, Range: &rng}, sdkOptions)
		if err != nil {
			return w.explain(err)
		}
		body := watchedBody{body: out.Body, w: w}
		defer body.Close()
		cr, err := contentRange(out.ContentRange, aws.ToInt64(out.ContentLength))
		if err != nil {
			return err
		}
		if cr.n > MaxSmallRead {
			return fmt.Errorf("%w: server returned %d bytes for %s", errBadResponse, cr.n, rng)
		}
		if err := want.check(cr); err != nil {
			return fmt.Errorf("%s: %w", rng, err)
		}
		buf := make([]byte, cr.n)
		got, err := io.ReadFull(body, buf)
		reqstats.From(ctx).S3BytesIn.Add(int64(got))
		if err != nil {
			return errShortBody{got: int64(got), want: cr.n, err: err}
		}
		data, start = buf, cr.start
		info = newInfo(cr.size, out.ETag, out.LastModified, out.Metadata)
		return nil
	})
	if err != nil {
		return nil, 0, Info{}, err
	}
	return data, start, info, nil
}

// byteSpan is what a small read asked for: n bytes at off, or with suffix
// the last n bytes.
type byteSpan struct {
	off, n int64
	suffix bool
}

// check accepts an answer that covers the span, or all of it the object
// holds. A well-formed but shorter answer (a 206 whose Content-Range stops
// early) is a short body, retried like one.
func (s byteSpan) check(cr byteRange) error {
	end := cr.start + cr.n
	var ok bool
	if s.suffix {
		if cr.n > s.n {
			return fmt.Errorf("%w: asked for the last %d bytes, got %d", errBadResponse, s.n, cr.n)
		}
		ok = end == cr.size && (cr.n == s.n || cr.start == 0)
	} else {
		ok = cr.start == s.off && (cr.n == s.n || end == cr.size)
		if cr.start != s.off || cr.n > s.n {
			return fmt.Errorf("%w: asked for %d bytes at %d, got %d at %d", errBadResponse, s.n, s.off, cr.n, cr.start)
		}
	}
	if !ok {
		return errShortBody{got: cr.n, want: s.n, err: errShortRange}
	}
	return nil
}

// errShortRange is a self-consistent 206 that covers less than was asked:
// the bytes it has are good, the rest must be fetched again.
var errShortRange = errors.New("Content-Range covers less than the range asked for")

// String names the object for messages.
func (o *Reader) String() string { return "s3://" + o.bucket + "/" + o.key }

// sdkOptions makes each SDK call exactly one HTTP attempt (we retry
// ourselves) and skips response checksum validation, which does not apply
// to ranged reads.
func sdkOptions(opts *s3.Options) {
	opts.Retryer = aws.NopRetryer{}
	opts.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

func newInfo(size int64, etag *string, lastModified *time.Time, meta map[string]string) Info {
	info := Info{Size: size, ETag: aws.ToString(etag), LastModified: aws.ToTime(lastModified), Metadata: meta}
	for k, v := range meta {
		if strings.EqualFold(k, SuperblockMetadata) {
			info.Superblock = decodeSuperblock(v)
		}
	}
	return info
}

// decodeSuperblock returns the superblock in s, or nil when s is not the
// base64 of 96 bytes starting with the squashfs magic.
func decodeSuperblock(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != superblockSize || binary.LittleEndian.Uint32(b) != squashfsMagic {
		return nil
	}
	return b
}

type byteRange struct{ start, n, size int64 }

// contentRange parses "bytes a-b/size". A response without one (200) is
// the whole object of length n.
func contentRange(h *string, n int64) (byteRange, error) {
	if h == nil || *h == "" {
		if n < 0 {
			return byteRange{}, fmt.Errorf("%w: no Content-Length", errBadResponse)
		}
		return byteRange{0, n, n}, nil
	}
	s, ok := strings.CutPrefix(*h, "bytes ")
	if !ok {
		return byteRange{}, fmt.Errorf("%w: Content-Range %q", errBadResponse, *h)
	}
	span, total, ok1 := strings.Cut(s, "/")
	first, last, ok2 := strings.Cut(span, "-")
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	size, err3 := strconv.ParseInt(total, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil || a < 0 || b < a || b >= size || b-a+1 != n {
		return byteRange{}, fmt.Errorf("%w: Content-Range %q with Content-Length %d", errBadResponse, *h, n)
	}
	return byteRange{a, n, size}, nil
}

// retry runs attempt until it succeeds, fails for good, or the attempts
// run out, backing off in between. used counts attempts across calls that
// share one budget.
func (o *Reader) retry(ctx context.Context, op string, used *int, attempt func() error) error {
	for {
		*used++
		err := attempt()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !retryable(err) || *used >= o.attempts {
			return o.wrap(ctx, op, *used, err)
		}
		if err := o.backoff(ctx, *used); err != nil {
			return o.wrap(ctx, op, *used, err)
		}
	}
}

// backoff waits before attempt i+1, full jitter.
func (o *Reader) backoff(ctx context.Context, i int) error {
	ceiling := o.max
	if i < 32 && o.base<<(i-1) < ceiling && o.base<<(i-1) > 0 {
		ceiling = o.base << (i - 1)
	}
	if ceiling <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(rand.N(ceiling))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
