package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// httpStatus is the status of a successful SDK call.
func httpStatus(md middleware.Metadata) int {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return r.StatusCode
	}
	return 0
}

// apiError is what an SDK error says: HTTP status, S3 error code, request id.
type apiError struct {
	status    int
	code      string
	requestID string
}

func asAPIError(err error) apiError {
	var e apiError
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.status, e.requestID = re.HTTPStatusCode(), re.ServiceRequestID()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.code = ae.ErrorCode()
	}
	return e
}

// get reads a whole GetObject answer.
func (s *stack) get(t *testing.T, in *s3.GetObjectInput) (*s3.GetObjectOutput, []byte, error) {
	t.Helper()
	out, err := s.client.GetObject(ctxTimeout(t, 2*time.Minute), in)
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return out, b, err
}

func (s *stack) testSDK(t *testing.T) {
	keys := []string{prefix + "README.md", prefix + "empty", prefix + "names/per%cent+plus#hash?q&x=1",
		prefix + "names/ünïcødé-ファイル.txt", prefix + "links/chain", prefix + "big/mixed.bin", "hello.txt"}

	s.sub(t, "go-sdk-v2", "GetObject", func(t *testing.T) {
		for _, key := range keys {
			out, body, err := s.get(t, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			want := s.want(t, key)
			if st := httpStatus(out.ResultMetadata); st != 200 {
				t.Errorf("%s: status %d, want 200", key, st)
			}
			if !bytes.Equal(body, want) || aws.ToInt64(out.ContentLength) != int64(len(want)) {
				t.Errorf("%s: %d bytes (Content-Length %d) differ from the source's %d", key, len(body), aws.ToInt64(out.ContentLength), len(want))
			}
			h, err := s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Errorf("HeadObject %s: %v", key, err)
				continue
			}
			if aws.ToString(h.ETag) != aws.ToString(out.ETag) || !quoted(aws.ToString(h.ETag)) {
				t.Errorf("%s: HeadObject ETag %s, GetObject ETag %s", key, aws.ToString(h.ETag), aws.ToString(out.ETag))
			}
			if aws.ToInt64(h.ContentLength) != int64(len(want)) {
				t.Errorf("%s: HeadObject Content-Length %d, want %d", key, aws.ToInt64(h.ContentLength), len(want))
			}
		}
	})

	s.sub(t, "go-sdk-v2", "GetObject/Range", func(t *testing.T) {
		key := prefix + "big/mixed.bin"
		size := s.tree.Objects[key].Size
		for _, c := range []struct {
			rng        string
			start, end int64
		}{
			{"bytes=0-131071", 0, 131071}, // exactly the first block
			{"bytes=131071-131072", 131071, 131072},
			{"bytes=1000000-9000000", 1000000, 9000000},
			{"bytes=-1", size - 1, size - 1},
			{fmt.Sprintf("bytes=%d-%d", size-10, size+10), size - 10, size - 1},
		} {
			out, body, err := s.get(t, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String(c.rng)})
			if err != nil {
				t.Errorf("%s: %v", c.rng, err)
				continue
			}
			wantRange := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, size)
			if st := httpStatus(out.ResultMetadata); st != 206 || aws.ToString(out.ContentRange) != wantRange {
				t.Errorf("%s: status %d Content-Range %q, want 206 %q", c.rng, st, aws.ToString(out.ContentRange), wantRange)
			}
			if want := readAt(t, s.tree.Objects[key].Path, c.start, c.end-c.start+1); !bytes.Equal(body, want) {
				t.Errorf("%s: %d bytes differ from the source's %d", c.rng, len(body), len(want))
			}
		}
	})

	s.sub(t, "go-sdk-v2", "GetObject/conditional", func(t *testing.T) {
		key := prefix + "README.md"
		h, err := s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		lm := aws.ToTime(h.LastModified)
		for _, c := range []struct {
			name   string
			in     s3.GetObjectInput
			status int
			code   string // for errors with a body
		}{
			{"If-None-Match same", s3.GetObjectInput{IfNoneMatch: h.ETag}, 304, ""},
			{"If-None-Match other", s3.GetObjectInput{IfNoneMatch: aws.String(`"x"`)}, 200, ""},
			{"If-Match same", s3.GetObjectInput{IfMatch: h.ETag}, 200, ""},
			{"If-Match other", s3.GetObjectInput{IfMatch: aws.String(`"x"`)}, 412, "PreconditionFailed"},
			{"If-Modified-Since later", s3.GetObjectInput{IfModifiedSince: aws.Time(lm.Add(time.Hour))}, 304, ""},
			{"If-Modified-Since earlier", s3.GetObjectInput{IfModifiedSince: aws.Time(lm.Add(-time.Hour))}, 200, ""},
			{"If-Unmodified-Since earlier", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(lm.Add(-time.Hour))}, 412, "PreconditionFailed"},
			{"If-Match same, If-Unmodified-Since earlier", s3.GetObjectInput{IfMatch: h.ETag, IfUnmodifiedSince: aws.Time(lm.Add(-time.Hour))}, 200, ""},
		} {
			in := c.in
			in.Bucket, in.Key = aws.String(bucket), aws.String(key)
			out, _, err := s.get(t, &in)
			var st int
			var code string
			if err != nil {
				e := asAPIError(err)
				st, code = e.status, e.code
			} else {
				st = httpStatus(out.ResultMetadata)
			}
			if st != c.status || (c.code != "" && code != c.code) {
				t.Errorf("%s: status %d code %q (%v), want %d %q", c.name, st, code, err, c.status, c.code)
			}
		}
	})

	s.sub(t, "go-sdk-v2", "HeadObject", func(t *testing.T) {
		key := prefix + "names/with space.txt"
		o := s.tree.Objects[key]
		h, err := s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if st := httpStatus(h.ResultMetadata); st != 200 {
			t.Errorf("status %d", st)
		}
		if !aws.ToTime(h.LastModified).Equal(o.ModTime.Truncate(time.Second)) || aws.ToInt64(h.ContentLength) != o.Size {
			t.Errorf("LastModified %v Content-Length %d, want %v %d", h.LastModified, aws.ToInt64(h.ContentLength), o.ModTime, o.Size)
		}
		if got, want := h.Metadata["mode"], strconv.FormatUint(uint64(0o100000|o.Mode), 10); got != want {
			t.Errorf("metadata mode %q, want %q (all: %v)", got, want, h.Metadata)
		}
		h, err = s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String("bytes=2-5")})
		if err != nil {
			t.Fatal(err)
		}
		if st := httpStatus(h.ResultMetadata); st != 206 || aws.ToInt64(h.ContentLength) != 4 {
			t.Errorf("HEAD with Range: status %d Content-Length %d, want 206 4", st, aws.ToInt64(h.ContentLength))
		}
	})

	s.sub(t, "go-sdk-v2", "errors", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			call   func() error
			status int
			code   string
			typed  func(error) bool
		}{
			{"GetObject missing virtual key", func() error {
				_, _, err := s.get(t, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "no/such")})
				return err
			}, 404, "NoSuchKey", func(err error) bool { var nsk *types.NoSuchKey; return errors.As(err, &nsk) }},
			{"GetObject missing real key", func() error {
				_, _, err := s.get(t, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("no/such")})
				return err
			}, 404, "NoSuchKey", func(err error) bool { var nsk *types.NoSuchKey; return errors.As(err, &nsk) }},
			{"HeadObject missing virtual key", func() error {
				_, err := s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "no/such")})
				return err
			}, 404, "NotFound", func(err error) bool { var nf *types.NotFound; return errors.As(err, &nf) }},
			{"HeadObject of a fifo in the archive", func() error {
				_, err := s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "special/fifo")})
				return err
			}, 404, "NotFound", nil},
			{"GetObject unsatisfiable range", func() error {
				_, _, err := s.get(t, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "README.md"), Range: aws.String("bytes=2100-")})
				return err
			}, 416, "InvalidRange", nil},
			{"HeadObject unsatisfiable range", func() error {
				_, err := s.client.HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "README.md"), Range: aws.String("bytes=5000-")})
				return err
			}, 416, "", nil},
			{"GetObject partNumber 2 of a single-part object", func() error {
				_, _, err := s.get(t, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "README.md"), PartNumber: aws.Int32(2)})
				return err
			}, 416, "InvalidPartNumber", nil},
		} {
			err := c.call()
			if err == nil {
				t.Errorf("%s: no error", c.name)
				continue
			}
			e := asAPIError(err)
			if e.status != c.status || (c.code != "" && e.code != c.code) || (c.typed != nil && !c.typed(err)) || e.requestID == "" {
				t.Errorf("%s: status %d code %q request id %q (%v); want %d %q and a request id", c.name, e.status, e.code, e.requestID, err, c.status, c.code)
			}
		}
	})

	s.sub(t, "go-sdk-v2", "ListObjectsV2/paginated", func(t *testing.T) {
		p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(9)})
		var got []string
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctxTimeout(t, time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if pages++; pages > len(s.tree.Keys) {
				t.Fatal("pagination does not end")
			}
			if len(page.Contents) > 9 || int(aws.ToInt32(page.KeyCount)) != len(page.Contents) {
				t.Errorf("page %d: %d keys, KeyCount %d, MaxKeys 9", pages, len(page.Contents), aws.ToInt32(page.KeyCount))
			}
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
				if want := s.tree.Objects[aws.ToString(o.Key)]; aws.ToInt64(o.Size) != want.Size || !aws.ToTime(o.LastModified).Equal(want.ModTime.Truncate(time.Second)) {
					t.Errorf("%s: Size %d LastModified %v, want %d %v", aws.ToString(o.Key), aws.ToInt64(o.Size), o.LastModified, want.Size, want.ModTime)
				}
			}
		}
		checkKeys(t, got, s.tree.Keys)
		if want := (len(s.tree.Keys) + 8) / 9; pages != want {
			t.Errorf("%d pages, want %d", pages, want)
		}
		// StartAfter resumes after any key, even one that is not listed.
		out, err := s.client.ListObjectsV2(ctxTimeout(t, time.Minute), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), StartAfter: aws.String(prefix + "names/")})
		if err != nil {
			t.Fatal(err)
		}
		i, _ := slices.BinarySearch(s.tree.Keys, prefix+"names/")
		var after []string
		for _, o := range out.Contents {
			after = append(after, aws.ToString(o.Key))
		}
		if want := s.tree.Keys[i:]; !slices.Equal(after, want) {
			t.Errorf("StartAfter %snames/: %q, want %q", prefix, after, want)
		}
	})

	s.sub(t, "go-sdk-v2", "ListObjectsV2/delimiter", func(t *testing.T) {
		wantKeys, wantPrefixes := s.tree.level(prefix)
		p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3)})
		var keys, prefixes []string
		for pages := 0; p.HasMorePages() && pages <= len(s.tree.Keys); pages++ {
			page, err := p.NextPage(ctxTimeout(t, time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(page.Contents) + len(page.CommonPrefixes); n > 3 {
				t.Errorf("page of %d entries, MaxKeys 3", n)
			}
			for _, o := range page.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
			for _, cp := range page.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(cp.Prefix))
			}
		}
		if !slices.Equal(keys, wantKeys) || !slices.Equal(prefixes, wantPrefixes) {
			t.Errorf("keys %q prefixes %q; want %q %q", keys, prefixes, wantKeys, wantPrefixes)
		}
	})

	s.sub(t, "go-sdk-v2", "ListObjects", func(t *testing.T) {
		var got []string
		marker := ""
		for pages := 0; ; pages++ {
			if pages > len(s.tree.Keys) {
				t.Fatal("pagination does not end")
			}
			out, err := s.client.ListObjects(ctxTimeout(t, time.Minute), &s3.ListObjectsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(11), Marker: aws.String(marker)})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out.Contents {
				got = append(got, aws.ToString(o.Key))
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if len(out.Contents) == 0 {
				t.Fatal("a truncated page without keys")
			}
			// Without a delimiter S3 sends no NextMarker: the last key is the marker.
			marker = aws.ToString(out.Contents[len(out.Contents)-1].Key)
		}
		checkKeys(t, got, s.tree.Keys)
	})
}

// want is the expected content of a virtual or a passthrough key.
func (s *stack) want(t *testing.T, key string) []byte {
	t.Helper()
	if v, ok := passthroughObjects[key]; ok {
		return []byte(v)
	}
	return s.tree.content(t, key)
}
