// Package upload installs a local file as one S3 object by multipart
// upload: parts in parallel with bounded concurrency and memory, each part
// checked by S3 against its Content-MD5, the result verified with a HEAD,
// and the upload aborted on any failure (cancellation included) so no
// incomplete upload is left to be billed.
package upload

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3's multipart limits.
const (
	MinPartSize = 5 << 20 // every part but the last
	MaxPartSize = 5 << 30
	MaxParts    = 10000
)

// DefaultPartSize is the part size when none is configured.
const DefaultPartSize = MinPartSize

// DefaultConcurrency is how many parts are in flight when none is configured.
const DefaultConcurrency = 4

// stepTimeout bounds the calls that run even when the caller's context is
// cancelled (Ctrl-C): creating the upload (so its id is always known and
// it can be aborted), completing it (so a cancel cannot race S3 into an
// object we then fail to report), and aborting it after a failure.
const stepTimeout = 30 * time.Second

// uncancelled returns a context for those calls.
func uncancelled(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), stepTimeout)
}

// API is the part of *s3.Client an upload uses.
type API interface {
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// Options tune an upload. The zero value uploads 5 MiB parts, four at a
// time, in the bucket's default storage class.
type Options struct {
	// PartSize is the wanted part size; it is raised as needed to stay
	// within MaxParts.
	PartSize int64
	// Concurrency is how many parts are uploaded at once. Memory use does
	// not depend on it: parts are streamed from the file, not buffered.
	Concurrency  int
	StorageClass types.StorageClass
	// Metadata is stored as user metadata (x-amz-meta-*).
	Metadata    map[string]string
	ContentType string
	// Progress, if set, is called after each part with the bytes uploaded
	// so far. Calls are serialised.
	Progress func(done int64)
}

// Result describes the installed object.
type Result struct {
	Size     int64
	ETag     string // as S3 reports it, quoted
	Parts    int
	PartSize int64
	// Metadata is the user metadata S3 returned for the object.
	Metadata map[string]string
	// ETagChecked is false when the ETag could not be compared with the
	// one computed locally (SSE-KMS and SSE-C objects have opaque ETags);
	// every part was still checked by S3 against its MD5.
	ETagChecked bool
}

// ErrVerify reports an object that does not match what was uploaded.
var ErrVerify = errors.New("uploaded object does not match the local file")

// PartSize returns the part size for an object of size bytes: want (or the
// default when 0), raised to a whole number of MiB that keeps the upload
// within MaxParts.
func PartSize(size, want int64) (int64, error) {
	if want == 0 {
		want = DefaultPartSize
	}
	if want < MinPartSize || want > MaxPartSize {
		return 0, fmt.Errorf("part size %d: S3 accepts %d (5 MiB) to %d (5 GiB)", want, int64(MinPartSize), int64(MaxPartSize))
	}
	if size < 0 {
		return 0, fmt.Errorf("size %d: negative", size)
	}
	if need := (size + MaxParts - 1) / MaxParts; need > want {
		const mib = 1 << 20
		want = (need + mib - 1) / mib * mib
	}
	if want > MaxPartSize {
		return 0, fmt.Errorf("size %d: too large for %d parts of at most 5 GiB", size, MaxParts)
	}
	return want, nil
}

// ParseStorageClass validates a storage class name against the values S3
// knows. The archival classes whose objects must be restored before they
// can be read (GLACIER, DEEP_ARCHIVE) are refused: s3archivefs reads
// archives with ranged GETs at any time.
func ParseStorageClass(s string) (types.StorageClass, error) {
	if s == "" {
		return "", nil
	}
	sc := types.StorageClass(strings.ToUpper(s))
	switch sc {
	case "INT": // short names the reference implementation accepts
		return types.StorageClassIntelligentTiering, nil
	case "GIR":
		return types.StorageClassGlacierIr, nil
	case types.StorageClassGlacier, types.StorageClassDeepArchive:
		return "", fmt.Errorf("storage class %s: objects must be restored before each read, so s3archivefs cannot serve them (GLACIER_IR can)", sc)
	}
	for _, v := range sc.Values() {
		if v == sc {
			return sc, nil
		}
	}
	names := make([]string, 0, len(sc.Values()))
	for _, v := range sc.Values() {
		if v != types.StorageClassGlacier && v != types.StorageClassDeepArchive {
			names = append(names, string(v))
		}
	}
	return "", fmt.Errorf("storage class %q: not one of %s", s, strings.Join(names, ", "))
}

// MultipartETag is the ETag S3 gives an object assembled from parts with
// these MD5 digests (unencrypted or SSE-S3): the MD5 of the concatenated
// digests, a dash and the number of parts, in quotes.
func MultipartETag(md5s [][md5.Size]byte) string {
	h := md5.New()
	for _, d := range md5s {
		h.Write(d[:])
	}
	return fmt.Sprintf("%q", fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(md5s)))
}

// Upload writes size bytes of src to s3://bucket/key. On failure the
// multipart upload is aborted; the error says if that failed too, with
// the upload id to abort by hand.
func Upload(ctx context.Context, api API, bucket, key string, src io.ReaderAt, size int64, o Options) (Result, error) {
	partSize, err := PartSize(size, o.PartSize)
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	nparts := max(1, int((size+partSize-1)/partSize))
	create := &s3.CreateMultipartUploadInput{
		Bucket:       aws.String(bucket),
		Key:          aws.String(key),
		StorageClass: o.StorageClass,
		Metadata:     o.Metadata,
	}
	if o.ContentType != "" {
		create.ContentType = aws.String(o.ContentType)
	}
	cctx, cancel := uncancelled(ctx)
	out, err := api.CreateMultipartUpload(cctx, create)
	cancel()
	if err != nil {
		return Result{}, fmt.Errorf("start multipart upload: %w", err)
	}
	id := aws.ToString(out.UploadId)
	if err := ctx.Err(); err != nil {
		return Result{}, abort(ctx, api, bucket, key, id, err)
	}
	parts, md5s, err := uploadParts(ctx, api, bucket, key, id, src, size, partSize, nparts, o)
	if err != nil {
		return Result{}, abort(ctx, api, bucket, key, id, err)
	}
	want := MultipartETag(md5s)
	cctx, cancel = uncancelled(ctx)
	done, err := api.CompleteMultipartUpload(cctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(bucket),
		Key:             aws.String(key),
		UploadId:        aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	cancel()
	if err != nil {
		return Result{}, abort(ctx, api, bucket, key, id, fmt.Errorf("complete multipart upload: %w", err))
	}
	res := Result{Size: size, ETag: aws.ToString(done.ETag), Parts: nparts, PartSize: partSize}
	// From here the upload is an object: nothing is left to abort.
	vctx, cancel := uncancelled(ctx)
	defer cancel()
	return verify(vctx, api, bucket, key, res, want)
}

// verify HEADs the object and compares its size and ETag with the file's.
func verify(ctx context.Context, api API, bucket, key string, res Result, want string) (Result, error) {
	head, err := api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return res, fmt.Errorf("verify s3://%s/%s: %w", bucket, key, err)
	}
	if got := aws.ToInt64(head.ContentLength); got != res.Size {
		return res, fmt.Errorf("verify s3://%s/%s: %w: size %d, want %d", bucket, key, ErrVerify, got, res.Size)
	}
	res.ETag = aws.ToString(head.ETag)
	res.Metadata = head.Metadata
	if opaqueETag(head) {
		return res, nil
	}
	if res.ETag != want {
		return res, fmt.Errorf("verify s3://%s/%s: %w: ETag %s, want %s", bucket, key, ErrVerify, res.ETag, want)
	}
	res.ETagChecked = true
	return res, nil
}

// opaqueETag reports objects whose ETag is not derived from MD5s.
func opaqueETag(h *s3.HeadObjectOutput) bool {
	switch h.ServerSideEncryption {
	case types.ServerSideEncryptionAwsKms, types.ServerSideEncryptionAwsKmsDsse:
		return true
	}
	return h.SSECustomerAlgorithm != nil
}

func abort(ctx context.Context, api API, bucket, key, id string, cause error) error {
	actx, cancel := uncancelled(ctx)
	defer cancel()
	_, err := api.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
	})
	if err != nil {
		return fmt.Errorf("%w; aborting the multipart upload failed too (%v): remove it with "+
			"aws s3api abort-multipart-upload --bucket %s --key %s --upload-id %s", cause, err, bucket, key, id)
	}
	return cause
}

// uploadParts uploads every part, Concurrency at a time, and stops at the
// first failure.
func uploadParts(ctx context.Context, api API, bucket, key, id string, src io.ReaderAt, size, partSize int64, nparts int, o Options) ([]types.CompletedPart, [][md5.Size]byte, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers := o.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	workers = min(workers, nparts)

	parts := make([]types.CompletedPart, nparts)
	md5s := make([][md5.Size]byte, nparts)
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex // guards done and Progress calls
		done     int64
		firstErr error
		errOnce  sync.Once
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel(err) })
	}
	for range workers {
		wg.Go(func() {
			for i := range next {
				off := int64(i) * partSize
				n := min(partSize, size-off)
				p, sum, err := uploadPart(ctx, api, bucket, key, id, io.NewSectionReader(src, off, n), int32(i+1))
				if err != nil {
					fail(fmt.Errorf("part %d of %d: %w", i+1, nparts, err))
					continue
				}
				parts[i], md5s[i] = p, sum
				mu.Lock()
				done += n
				if o.Progress != nil {
					o.Progress(done)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range nparts {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err := context.Cause(ctx); err != nil {
		return nil, nil, err
	}
	return parts, md5s, nil
}

// uploadPart sends one part with its Content-MD5, so S3 rejects a part
// damaged on the way. The body is read from the file twice (digest, then
// send) rather than held in memory.
func uploadPart(ctx context.Context, api API, bucket, key, id string, body *io.SectionReader, num int32) (types.CompletedPart, [md5.Size]byte, error) {
	var sum [md5.Size]byte
	h := md5.New()
	if _, err := io.Copy(h, body); err != nil {
		return types.CompletedPart{}, sum, fmt.Errorf("read: %w", err)
	}
	h.Sum(sum[:0])
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return types.CompletedPart{}, sum, err
	}
	out, err := api.UploadPart(ctx, &s3.UploadPartInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		UploadId:      aws.String(id),
		PartNumber:    aws.Int32(num),
		Body:          body,
		ContentLength: aws.Int64(body.Size()),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	if err != nil {
		return types.CompletedPart{}, sum, err
	}
	return types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)}, sum, nil
}
