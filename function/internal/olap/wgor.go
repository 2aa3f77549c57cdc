package olap

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// wgorInput turns an HTTP-shaped answer (status, S3 response headers, body)
// into the WriteGetObjectResponse call that delivers it to the client.
func wgorInput(route, token string, status int, h http.Header, body io.Reader) *s3.WriteGetObjectResponseInput {
	in := &s3.WriteGetObjectResponseInput{
		RequestRoute: aws.String(route),
		RequestToken: aws.String(token),
		StatusCode:   aws.Int32(int32(status)),
		Body:         body,
	}
	str := func(name string) *string {
		if v := h.Get(name); v != "" {
			return aws.String(v)
		}
		return nil
	}
	in.AcceptRanges = str("Accept-Ranges")
	in.CacheControl = str("Cache-Control")
	in.ContentDisposition = str("Content-Disposition")
	in.ContentEncoding = str("Content-Encoding")
	in.ContentLanguage = str("Content-Language")
	in.ContentRange = str("Content-Range")
	in.ContentType = str("Content-Type")
	in.ETag = str("ETag")
	in.Expiration = str("x-amz-expiration")
	in.Restore = str("x-amz-restore")
	in.VersionId = str("x-amz-version-id")
	if v := h.Get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.ContentLength = aws.Int64(n)
		}
	}
	if v := h.Get("Last-Modified"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			in.LastModified = aws.Time(t)
		}
	}
	if v := h.Get("Expires"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			in.Expires = aws.Time(t.UTC().Truncate(time.Second))
		}
	}
	if v := h.Get("x-amz-mp-parts-count"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 32); err == nil {
			in.PartsCount = aws.Int32(int32(n))
		}
	}
	if v := h.Get("x-amz-storage-class"); v != "" {
		in.StorageClass = types.StorageClass(v)
	}
	if v := h.Get("x-amz-server-side-encryption"); v != "" {
		in.ServerSideEncryption = types.ServerSideEncryption(v)
	}
	for k, vs := range h {
		if name, ok := cutMetaPrefix(k); ok && len(vs) > 0 {
			if in.Metadata == nil {
				in.Metadata = make(map[string]string)
			}
			in.Metadata[name] = vs[0]
		}
	}
	return in
}

// wgorError is the WriteGetObjectResponse call for an S3 error.
func wgorError(route, token string, status int, code, message string) *s3.WriteGetObjectResponseInput {
	return &s3.WriteGetObjectResponseInput{
		RequestRoute: aws.String(route),
		RequestToken: aws.String(token),
		StatusCode:   aws.Int32(int32(status)),
		ErrorCode:    aws.String(code),
		ErrorMessage: aws.String(message),
	}
}

// ResponseClient returns the client that calls WriteGetObjectResponse: the
// function's S3 client on AWS (endpoint ""), or one aimed at a local Object
// Lambda endpoint. A local endpoint is one host, so the SDK must not prefix
// it with the request route as it does for AWS's endpoint.
func ResponseClient(client *s3.Client, endpoint string) *s3.Client {
	if endpoint == "" {
		return client
	}
	return s3.New(client.Options(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		// Over plain HTTP the SDK would hash the body before sending it,
		// which a stream cannot allow; AWS's endpoint is HTTPS, where the
		// payload goes unsigned anyway.
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("NoHostPrefix",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
				}), middleware.Before)
		})
	})
}
