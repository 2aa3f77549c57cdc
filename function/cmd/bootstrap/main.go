// Command bootstrap is the s3archivefs Lambda function (runtime
// provided.al2023). S3ARCHIVEFS_FRONT chooses, at init, what it answers:
//
//   - object_lambda (the default): S3 Object Lambda events for GetObject,
//     HeadObject, ListObjects and ListObjectsV2 (package olap);
//   - function_url: S3 REST requests through a Lambda function URL in
//     invoke mode RESPONSE_STREAM, SigV4 checked by the function itself
//     (package httpfront, through aws-lambda-go's lambdaurl).
//
// Everything that lives for the life of the process is built once at init
// (package instance) and passed down. After each answer, the instance
// settles its chunk cache before Lambda freezes it (Instance.Settle).
// Invalid configuration stops init with a message naming the variable.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/s3archivefs/s3archivefs/function/internal/config"
	"github.com/s3archivefs/s3archivefs/function/internal/instance"
	"github.com/s3archivefs/s3archivefs/function/internal/olap"
)

// maxStreamedBody keeps a function URL answer under Lambda's 200 MB limit
// on a streamed response, with room for the HTTP integration prelude.
const maxStreamedBody = 200<<20 - 64<<10

func main() {
	start, err := setup(context.Background())
	if err != nil {
		// The message reaches CloudWatch and the Lambda init error.
		instance.NewLogger(os.Stderr, slog.LevelInfo).Error("init failed", "err", err.Error())
		os.Exit(1)
	}
	start()
}

// setup builds the instance and the configured front; the function it
// returns runs the Lambda loop.
func setup(ctx context.Context) (func(), error) {
	in, err := instance.New(ctx)
	if err != nil {
		return nil, err
	}
	softMemoryLimit()
	if in.Config.Front == config.FrontFunctionURL {
		h, err := in.S3Endpoint(ctx, os.Getenv("AWS_REGION"), maxStreamedBody)
		if err != nil {
			return nil, err
		}
		serve := lambdaurl.Wrap(h)
		return func() {
			lambda.Start(func(ctx context.Context, req *events.LambdaFunctionURLRequest) (*settledResponse, error) {
				r, err := serve(ctx, req)
				if err != nil {
					in.Settle(ctx)
					return nil, err
				}
				return &settledResponse{r, func() { in.Settle(ctx) }}, nil
			})
		}, nil
	}
	h := &olap.Handler{
		Archived: in.Archived,
		Writer:   olap.ResponseClient(in.S3, in.Config.WGOREndpointURL),
		HTTP:     &http.Client{},
		Lister:   in.S3,
		Logger:   in.Logger,
	}
	return func() {
		lambda.Start(func(ctx context.Context, ev events.S3ObjectLambdaEvent) (any, error) {
			defer in.Settle(ctx) // the client has its answer: WriteGetObjectResponse returned
			return h.Handle(ctx, ev)
		})
	}, nil
}

// settledResponse is a function URL's streamed answer whose Close, which
// aws-lambda-go calls once the whole answer has gone to the Runtime API
// and before it asks for the next event, settles the chunk cache (Lambda
// freezes the instance once it asks).
type settledResponse struct {
	*events.LambdaFunctionURLStreamingResponse
	settle func()
}

func (r *settledResponse) Close() error {
	err := r.LambdaFunctionURLStreamingResponse.Close()
	r.settle()
	return err
}

// softMemoryLimit sets the Go runtime's memory limit to 90% of the
// function's memory (unless GOMEMLIMIT says otherwise), so the garbage
// collector works harder before Lambda would stop the instance.
func softMemoryLimit() {
	mib, err := strconv.ParseInt(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if os.Getenv("GOMEMLIMIT") == "" && err == nil && mib > 0 {
		debug.SetMemoryLimit(mib << 20 / 10 * 9)
	}
}
