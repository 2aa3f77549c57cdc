package olap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// ResponseWriter delivers GetObject answers (an *s3.Client).
type ResponseWriter interface {
	WriteGetObjectResponse(ctx context.Context, in *s3.WriteGetObjectResponseInput, opts ...func(*s3.Options)) (*s3.WriteGetObjectResponseOutput, error)
}

// write delivers the answer with one WriteGetObjectResponse. A failure here
// (the client went away, the body could not be read, a timeout) can reach
// no client any more: its cause is logged and returned so Lambda records
// the invocation as failed.
//
// A streamed body cannot be replayed, so a call with a body is never
// retried: a retry would sleep its backoff and then fail anyway ("failed
// to rewind transport stream for retry"), holding the function meanwhile.
// A call without a body (an error, a 304, an empty object) is replayable
// and keeps the SDK's retries (a connection the endpoint closed, throttling). A body
// that fails mid-stream fails the call, which aborts the upload: the
// Content-Length sent first makes the client see a cut, never a clean end.
func (h *Handler) write(ctx context.Context, gc *events.S3ObjectLambdaGetObjectContext, a *s3api.Answer, l *reqstats.Line) error {
	in := wgorInput(gc.OutputRoute, gc.OutputToken, a)
	var body *reqstats.BodyCounter
	if a.Body != nil {
		defer a.Body.Close()
		body = &reqstats.BodyCounter{R: a.Body, N: &l.BytesOut}
		in.Body = body
	}
	var opts []func(*s3.Options)
	if in.Body != nil {
		opts = append(opts, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	}
	_, err := h.Writer.WriteGetObjectResponse(ctx, in, opts...)
	if err != nil {
		l.Status, l.ErrCode = http.StatusInternalServerError, "WriteGetObjectResponseFailed"
		l.Cause = wgorCause(ctx, err, body)
		return fmt.Errorf("olap: WriteGetObjectResponse: %w", err)
	}
	return nil
}

// wgorCause says why WriteGetObjectResponse failed: the body (the
// archive or the original object) broke, the invocation ran out of time,
// or the upload itself failed (the client went away, the endpoint refused).
func wgorCause(ctx context.Context, err error, body *reqstats.BodyCounter) string {
	switch {
	case body != nil && body.Err != nil && !errors.Is(body.Err, io.EOF):
		return "reading the body failed after " + strconv.FormatInt(*body.N, 10) + " bytes: " + body.Err.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "the invocation timed out"
	case ctx.Err() != nil:
		return "the invocation was cancelled: " + ctx.Err().Error()
	}
	return "the upload failed (the client went away or the endpoint refused it): " + err.Error()
}

// wgorInput turns the core's answer into the WriteGetObjectResponse call
// that delivers it to the client.
func wgorInput(route, token string, a *s3api.Answer) *s3.WriteGetObjectResponseInput {
	in := &s3.WriteGetObjectResponseInput{
		RequestRoute: aws.String(route),
		RequestToken: aws.String(token),
		StatusCode:   aws.Int32(int32(a.Status)),
	}
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return aws.String(v)
	}
	if a.Err != nil {
		in.ErrorCode, in.ErrorMessage = aws.String(a.Err.Code), aws.String(a.Err.Message)
		in.ContentRange = str(a.ContentRange) // "bytes */size" on a 416, as S3 sends it
		return in
	}
	i := a.Info
	in.ETag = str(`"` + strings.Trim(i.ETag, `"`) + `"`)
	if !i.LastModified.IsZero() {
		in.LastModified = aws.Time(i.LastModified)
	}
	if a.Status == http.StatusNotModified {
		return in
	}
	h := a.Header()
	in.AcceptRanges = str(h.Get("Accept-Ranges"))
	in.ContentLength = aws.Int64(a.ContentLength)
	in.ContentRange = str(a.ContentRange)
	in.ContentType = str(h.Get("Content-Type"))
	in.CacheControl = str(i.CacheControl)
	in.ContentDisposition = str(i.ContentDisposition)
	in.ContentEncoding = str(i.ContentEncoding)
	in.ContentLanguage = str(i.ContentLanguage)
	in.Expiration = str(i.Expiration)
	in.Restore = str(i.Restore)
	in.VersionId = str(i.VersionID)
	if t, err := http.ParseTime(i.Expires); err == nil {
		in.Expires = aws.Time(t.UTC().Truncate(time.Second))
	}
	if a.PartsCount > 0 {
		in.PartsCount = aws.Int32(int32(a.PartsCount))
	}
	in.StorageClass = types.StorageClass(i.StorageClass)
	in.ServerSideEncryption = types.ServerSideEncryption(i.ServerSideEncryption)
	if len(i.Metadata) > 0 {
		in.Metadata = maps.Clone(i.Metadata)
	}
	return in
}

// wgorIdleConn is how long a WriteGetObjectResponse connection may sit
// idle and still be reused. Lambda freezes the instance between
// invocations: a server that closed the connection meanwhile is noticed
// only once the next answer is on its way, and a streamed body cannot be
// sent again, so that answer would fail. Go's transport measures a
// connection's idle time by the wall clock when a request takes one, so
// one idle across a freeze of more than this is never reused. Servers
// keep idle connections open for seconds; a new connection costs a TLS
// handshake, only after a second without answers.
const wgorIdleConn = time.Second

// ResponseClient returns the client that calls WriteGetObjectResponse:
// client's configuration with connections of its own (wgorIdleConn), aimed
// at AWS's endpoint (endpoint "") or at a local Object Lambda endpoint. A
// local endpoint is one host, so the SDK must not prefix it with the
// request route as it does for AWS's endpoint.
func ResponseClient(client *s3.Client, endpoint string) *s3.Client {
	return s3.New(client.Options(), func(o *s3.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.IdleConnTimeout = wgorIdleConn
		})
		if endpoint == "" {
			return
		}
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
