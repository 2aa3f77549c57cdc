package objects

import (
	"context"
	"errors"
	"iter"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// ListClient lists a bucket or access point (an *s3.Client).
type ListClient interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// BucketLister is the listing source of the real objects of one bucket or
// access point (its name or ARN), through ListObjectsV2 with owners.
type BucketLister struct {
	Client ListClient
	Bucket string
}

// Objects yields the bucket's objects with keys >= from that start with
// prefix, in S3's order.
func (r BucketLister) Objects(ctx context.Context, prefix, from string) iter.Seq2[s3api.ListEntry, error] {
	return func(yield func(s3api.ListEntry, error) bool) {
		in := &s3.ListObjectsV2Input{
			Bucket:     aws.String(r.Bucket),
			Prefix:     aws.String(prefix),
			FetchOwner: aws.Bool(true),
		}
		if sa := startAfter(from); sa != "" {
			in.StartAfter = aws.String(sa)
		}
		for {
			reqstats.From(ctx).S3Requests.Add(1)
			out, err := r.Client.ListObjectsV2(ctx, in)
			if err != nil {
				yield(s3api.ListEntry{}, listError(err))
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

// listError keeps S3's own error code when it is one the table knows.
func listError(err error) error {
	var code interface{ ErrorCode() string }
	if errors.As(err, &code) && s3api.Known(code.ErrorCode()) {
		e := s3api.NewError(code.ErrorCode())
		e.Cause = err
		return e
	}
	return ReadError(err)
}

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
		fill := strings.Repeat("\U0010FFFF", (s3api.MaxKeyBytes-len(stem))/4)
		return stem + fill
	}
	return from[:n-1]
}
