// Package realobjects is the Namespace of the real objects of one bucket
// (the keys outside every virtual prefix) read with the process's own
// credentials, for the fronts that are S3 endpoints themselves (the
// function URL, `serve`). Each object is read through a request presigned
// with those credentials, so objects.Presigned does the reading exactly as
// for an Object Lambda event; the listing is objects.BucketLister.
package realobjects

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// presignFor bounds a presigned read: Presigned may read the object again
// (pinned by If-Match) while the body streams, up to the function's
// 15-minute timeout.
const presignFor = 15 * time.Minute

// Bucket is one bucket's real objects.
type Bucket struct {
	Client *s3.Client
	Name   string
	// HTTP sends the presigned reads (nil: http.DefaultClient).
	HTTP *http.Client
}

// Object implements objects.Namespace.
func (b *Bucket) Object(ctx context.Context, key string, hint objects.Hint) (objects.Object, error) {
	pre := s3.NewPresignClient(b.Client, func(o *s3.PresignOptions) { o.Expires = presignFor })
	var (
		url string
		err error
	)
	if hint.Head {
		r, perr := pre.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
		if err = perr; err == nil {
			url = r.URL
		}
	} else {
		r, perr := pre.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
		if err = perr; err == nil {
			url = r.URL
		}
	}
	if err != nil {
		return nil, s3api.InternalError(fmt.Errorf("realobjects: presigning s3://%s/%s: %w", b.Name, key, err))
	}
	client := b.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	return objects.Presigned{HTTP: client, URL: url}.Object(ctx, key, hint)
}

// Sources implements objects.Namespace: the bucket's listing.
func (b *Bucket) Sources(string) []s3api.Source {
	return []s3api.Source{objects.BucketLister{Client: b.Client, Bucket: b.Name}}
}
