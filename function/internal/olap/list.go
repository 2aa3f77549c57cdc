package olap

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// Lister lists the real objects behind the supporting access point (an
// *s3.Client with the function's own credentials).
type Lister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

func (h *Handler) list(ctx context.Context, ev events.S3ObjectLambdaEvent, inputS3URL string, req request, v2 bool, l *logLine) *ListResponse {
	lr, err := s3api.ParseListRequest(req.Query, v2)
	if err != nil {
		return listError(l, h.asS3Error(ctx, l, err))
	}
	lr.Bucket = req.Bucket
	var pass s3api.Source
	if h.Lister != nil {
		bucket, err := supportingBucket(inputS3URL, ev.Configuration.SupportingAccessPointARN)
		if err != nil {
			return listError(l, h.asS3Error(ctx, l, err))
		}
		pass = realObjects{client: h.Lister, bucket: bucket}
	}
	res, err := s3api.List(ctx, lr, h.Objects.Sources(lr.Prefix, pass))
	if err != nil {
		return listError(l, h.asS3Error(ctx, l, err))
	}
	body := res.XML()
	l.status, l.bytesOut = 200, int64(len(body))
	return &ListResponse{StatusCode: 200, ListResultXML: string(body)}
}

// supportingBucket names the supporting access point for the SDK: its ARN
// when the presigned URL is an access point host (on AWS), or the bucket in
// the URL's path when the URL is path style (an S3-compatible server).
func supportingBucket(inputS3URL, arn string) (string, error) {
	u, err := url.Parse(inputS3URL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("olap: the event's inputS3Url is not a URL")
	}
	if strings.Contains(u.Hostname(), ".s3-accesspoint.") {
		if arn == "" {
			return "", fmt.Errorf("olap: the event names no supportingAccessPointArn")
		}
		return arn, nil
	}
	bucket, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if bucket == "" {
		return "", fmt.Errorf("olap: the event's inputS3Url names no bucket")
	}
	return bucket, nil
}

// realObjects lists a bucket (or access point) through ListObjectsV2.
type realObjects struct {
	client Lister
	bucket string
}

func (r realObjects) Objects(ctx context.Context, prefix, from string) iter.Seq2[s3api.ListEntry, error] {
	return func(yield func(s3api.ListEntry, error) bool) {
		in := &s3.ListObjectsV2Input{
			Bucket:     aws.String(r.bucket),
			Prefix:     aws.String(prefix),
			StartAfter: aws.String(startAfter(from)),
			FetchOwner: aws.Bool(true),
		}
		if *in.StartAfter == "" {
			in.StartAfter = nil
		}
		for {
			reqstats.From(ctx).S3Requests.Add(1)
			out, err := r.client.ListObjectsV2(ctx, in)
			if err != nil {
				yield(s3api.ListEntry{}, err)
				return
			}
			for _, o := range out.Contents {
				key := aws.ToString(o.Key)
				if key < from {
					continue
				}
				obj := s3api.ListEntry{
					Key:          key,
					Size:         aws.ToInt64(o.Size),
					ETag:         aws.ToString(o.ETag),
					LastModified: aws.ToTime(o.LastModified),
					StorageClass: string(o.StorageClass),
				}
				if o.Owner != nil {
					obj.Owner = &s3api.Owner{ID: aws.ToString(o.Owner.ID), DisplayName: aws.ToString(o.Owner.DisplayName)}
				}
				if !yield(obj, nil) {
					return
				}
			}
			if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
				return
			}
			in.StartAfter = nil
			in.ContinuationToken = out.NextContinuationToken
		}
	}
}

// maxKeyBytes is the longest key S3 stores.
const maxKeyBytes = 1024

// startAfter returns a key K such that listing keys > K yields every key
// >= from and, where it can, nothing before it: S3's StartAfter is
// exclusive. A from that ends in "\x00" is "just after" its stem; a from
// whose last byte is ASCII is preceded by every key that starts with the
// decremented stem, and the longest such key S3 allows is written out.
func startAfter(from string) string {
	n := len(from)
	switch {
	case n == 0:
		return ""
	case from[n-1] == 0:
		return from[:n-1]
	case from[n-1] < 0x80 && from[n-1] > 0:
		stem := from[:n-1] + string(rune(from[n-1]-1))
		fill := strings.Repeat("\U0010FFFF", (maxKeyBytes-len(stem))/4)
		return stem + fill
	}
	return from[:n-1]
}
