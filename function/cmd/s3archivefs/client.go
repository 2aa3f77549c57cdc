package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/config"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
)

// awsFlags are the AWS CLI's familiar overrides of the standard
// configuration.
type awsFlags struct {
	endpoint, region, profile string
}

func (a *awsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.endpoint, "endpoint-url", "", "S3 endpoint `URL` (default: AWS_ENDPOINT_URL_S3, else AWS)")
	fs.StringVar(&a.region, "region", "", "AWS `region` (default: AWS_REGION or the profile's)")
	fs.StringVar(&a.profile, "profile", "", "AWS shared config `profile` (default: AWS_PROFILE)")
}

// client builds the S3 client the function would build, with the flags'
// overrides.
func (a *awsFlags) client(ctx context.Context) (*s3.Client, error) {
	if a.profile != "" {
		// The SDK reads the profile name from the environment; setting
		// it here is how the flag reaches the shared config loader.
		if err := os.Setenv("AWS_PROFILE", a.profile); err != nil {
			return nil, err
		}
	}
	pathStyle, err := config.PathStyle(os.Getenv)
	if err != nil {
		return nil, err
	}
	c, err := s3src.NewClientPathStyle(ctx, pathStyle)
	if err != nil {
		return nil, err
	}
	if a.endpoint == "" && a.region == "" {
		return c, nil
	}
	if a.endpoint != "" {
		u, err := url.Parse(a.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("--endpoint-url %q: want an http(s) URL", a.endpoint)
		}
	}
	return s3.New(c.Options(), func(o *s3.Options) {
		if a.region != "" {
			o.Region = a.region
		}
		if a.endpoint != "" {
			o.BaseEndpoint = aws.String(a.endpoint)
			o.UsePathStyle = pathStyle
		}
	}), nil
}

// objectURL is an s3://bucket/key argument.
type objectURL struct{ bucket, key string }

func (u objectURL) String() string { return "s3://" + u.bucket + "/" + u.key }

func parseS3URL(s string) (objectURL, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return objectURL{}, usagef("%q: want s3://bucket/key", s)
	}
	return objectURL{bucket: bucket, key: key}, nil
}

// describe renders a byte count for people.
func describe(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
