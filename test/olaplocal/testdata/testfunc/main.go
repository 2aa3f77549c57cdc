// Command testfunc is a small Object Lambda function for olaplocal's tests.
// Its behaviour is chosen by the first segment of the key (or the list
// prefix) so one binary covers every case: echo the key, stream in steps,
// pass the original object through, fail in each way Lambda knows.
// TESTFUNC_INIT=error|exit|hang makes init fail.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func main() {
	switch os.Getenv("TESTFUNC_INIT") {
	case "error":
		initError("config is broken on purpose")
		os.Exit(1)
	case "exit":
		os.Exit(3)
	case "hang":
		time.Sleep(time.Hour)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		initError(err.Error())
		os.Exit(1)
	}
	// Over plain HTTP the SDK signs the payload's SHA-256, which needs a
	// seekable body; streamed bodies go UNSIGNED-PAYLOAD instead.
	client := func(unsigned bool) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			if u := os.Getenv("S3ARCHIVEFS_WGOR_ENDPOINT_URL"); u != "" {
				o.BaseEndpoint = aws.String(u)
				// The SDK puts the route in the host name ({route}.host); a
				// local endpoint has no such names, and the route is in a
				// header too.
				o.APIOptions = append(o.APIOptions, disableHostPrefix)
			}
			if unsigned {
				o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
			}
		})
	}
	f := &fn{signed: client(false), wgor: client(true), dir: os.Getenv("TESTFUNC_DIR")}
	lambda.Start(f.handle)
}

func disableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// initError reports an init failure through the Runtime API.
func initError(msg string) {
	body := fmt.Sprintf(`{"errorMessage":%q,"errorType":"TestInitError"}`, msg)
	u := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err == nil {
		resp.Body.Close()
	}
}

type fn struct {
	signed, wgor *s3.Client
	dir          string
}

func (f *fn) handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev events.S3ObjectLambdaEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	u, err := url.Parse(ev.UserRequest.URL)
	if err != nil {
		return nil, err
	}
	_, key, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/") // path-style: drop the bucket
	mode, _, _ := strings.Cut(key, "/")
	switch {
	case ev.GetObjectContext != nil:
		return nil, f.get(ctx, &ev, raw, key, mode)
	case ev.HeadObjectContext != nil:
		return f.head(ctx, &ev, key, mode)
	case ev.ListObjectsContext != nil:
		return f.list(ctx, ev.ListObjectsContext.InputS3URL)
	case ev.ListObjectsV2Context != nil:
		return f.list(ctx, ev.ListObjectsV2Context.InputS3URL)
	}
	return nil, errors.New("no context in event")
}

func (f *fn) write(ctx context.Context, ev *events.S3ObjectLambdaEvent, in *s3.WriteGetObjectResponseInput) error {
	if in.RequestRoute == nil {
		in.RequestRoute = aws.String(ev.GetObjectContext.OutputRoute)
	}
	if in.RequestToken == nil {
		in.RequestToken = aws.String(ev.GetObjectContext.OutputToken)
	}
	c := f.wgor
	if _, seekable := in.Body.(io.Seeker); seekable || in.Body == nil {
		c = f.signed
	}
	_, err := c.WriteGetObjectResponse(ctx, in)
	return err
}

func (f *fn) get(ctx context.Context, ev *events.S3ObjectLambdaEvent, raw []byte, key, mode string) error {
	switch mode {
	case "echo":
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: strings.NewReader(key),
			ContentLength: aws.Int64(int64(len(key))), ContentType: aws.String("text/plain"),
			Metadata: map[string]string{"echo": "yes"}})
	case "event":
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: bytes.NewReader(raw),
			ContentLength: aws.Int64(int64(len(raw))), ContentType: aws.String("application/json")})
	case "stream":
		// Send a first line, then wait for the test's go-ahead before the
		// rest: the client can only see the first line early if the
		// endpoint streams.
		pr, pw := io.Pipe()
		go func() {
			fmt.Fprintln(pw, "first")
			for i := 0; i < 1000; i++ {
				if _, err := os.Stat(filepath.Join(f.dir, "release")); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			fmt.Fprintln(pw, "second")
			pw.Close()
		}()
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: pr, ContentType: aws.String("text/plain")})
	case "trickle":
		// A first line, then a kilobyte every 20 ms for 10 s: a long
		// stream that a client may abandon.
		pr, pw := io.Pipe()
		go func() {
			fmt.Fprintln(pw, "first")
			chunk := bytes.Repeat([]byte("."), 1024)
			for range 500 {
				if _, err := pw.Write(chunk); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			pw.Close()
		}()
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: pr, ContentType: aws.String("text/plain")})
	case "ctx":
		lc, _ := lambdacontext.FromContext(ctx)
		dl, _ := ctx.Deadline()
		body, _ := json.Marshal(map[string]any{"requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn,
			"deadlineInMs": time.Until(dl).Milliseconds(), "traceId": os.Getenv("_X_AMZN_TRACE_ID"),
			"functionName": os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), "logFormat": os.Getenv("AWS_LAMBDA_LOG_FORMAT"),
			"wgor": os.Getenv("S3ARCHIVEFS_WGOR_ENDPOINT_URL"), "pid": os.Getpid()})
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	case "fwderror":
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{StatusCode: aws.Int32(404),
			ErrorCode: aws.String("NoSuchKey"), ErrorMessage: aws.String("The specified key does not exist.")})
	case "badtoken", "badroute":
		// Try a forged call first, then report its outcome in a real one.
		forged := &s3.WriteGetObjectResponseInput{Body: strings.NewReader("forged")}
		if mode == "badtoken" {
			forged.RequestToken = aws.String("not-the-token")
		} else {
			forged.RequestRoute = aws.String("io-elsewhere-1")
		}
		err := f.write(ctx, ev, forged)
		msg := "accepted"
		if err != nil {
			msg = err.Error()
		}
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: strings.NewReader(msg)})
	case "twice":
		if err := f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: strings.NewReader("one")}); err != nil {
			return err
		}
		return f.write(ctx, ev, &s3.WriteGetObjectResponseInput{Body: strings.NewReader("two")})
	case "crash":
		os.Exit(2)
	case "panic":
		panic("testfunc panics on purpose")
	case "error":
		return errors.New("testfunc fails on purpose")
	case "hang":
		time.Sleep(time.Hour)
	case "nowgor":
		return nil
	}
	return f.passthrough(ctx, ev)
}

// passthrough streams the original object, forwarding Range.
func (f *fn) passthrough(ctx context.Context, ev *events.S3ObjectLambdaEvent) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ev.GetObjectContext.InputS3URL, nil)
	if err != nil {
		return err
	}
	for name, v := range ev.UserRequest.Headers {
		if strings.EqualFold(name, "Range") {
			req.Header.Set("Range", v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	in := &s3.WriteGetObjectResponseInput{StatusCode: aws.Int32(int32(resp.StatusCode))}
	if resp.StatusCode >= 300 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		in.ErrorCode = aws.String(xmlField(body, "Code"))
		in.ErrorMessage = aws.String(xmlField(body, "Message"))
		return f.write(ctx, ev, in)
	}
	in.Body = resp.Body
	in.ContentLength = aws.Int64(resp.ContentLength)
	in.ContentType = aws.String(resp.Header.Get("Content-Type"))
	in.ETag = aws.String(resp.Header.Get("ETag"))
	if cr := resp.Header.Get("Content-Range"); cr != "" {
		in.ContentRange = aws.String(cr)
	}
	return f.write(ctx, ev, in)
}

func xmlField(body []byte, name string) string {
	s := string(body)
	i := strings.Index(s, "<"+name+">")
	j := strings.Index(s, "</"+name+">")
	if i < 0 || j < i {
		return ""
	}
	return s[i+len(name)+2 : j]
}

type headAnswer struct {
	StatusCode   int               `json:"statusCode"`
	ErrorCode    string            `json:"errorCode,omitempty"`
	ErrorMessage string            `json:"errorMessage,omitempty"`
	Headers      map[string]any    `json:"headers,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
}

func (f *fn) head(ctx context.Context, ev *events.S3ObjectLambdaEvent, key, mode string) (any, error) {
	switch mode {
	case "echo":
		return headAnswer{StatusCode: 200, Headers: map[string]any{"Content-Length": len(key), "Content-Type": "text/plain",
			"ETag": `"echo"`}, Metadata: map[string]string{"echo": "yes"}}, nil
	case "missing":
		return headAnswer{StatusCode: 404, ErrorCode: "NoSuchKey", ErrorMessage: "no such key"}, nil
	case "error":
		return nil, errors.New("testfunc fails on purpose")
	case "invalid":
		return map[string]string{"nothing": "useful"}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, ev.HeadObjectContext.InputS3URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return headAnswer{StatusCode: resp.StatusCode, ErrorCode: "NoSuchKey"}, nil
	}
	h := map[string]any{}
	for _, name := range []string{"Content-Type", "ETag", "Last-Modified"} {
		if v := resp.Header.Get(name); v != "" {
			h[name] = v
		}
	}
	h["Content-Length"] = resp.ContentLength
	return headAnswer{StatusCode: resp.StatusCode, Headers: h}, nil
}

func (f *fn) list(ctx context.Context, input string) (any, error) {
	u, err := url.Parse(input)
	if err != nil {
		return nil, err
	}
	if u.Query().Get("prefix") == "json/" {
		return map[string]any{"statusCode": 200, "listBucketResult": map[string]any{
			"name": "s3archivefs", "prefix": "json/", "keyCount": 1, "maxKeys": 1000, "isTruncated": false,
			"contents": []map[string]any{{"key": "json/a", "size": 3, "eTag": `"x"`, "lastModified": "2024-01-02T03:04:05.000Z"}},
		}}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, input, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return map[string]any{"statusCode": resp.StatusCode, "errorCode": xmlField(body, "Code"),
			"errorMessage": xmlField(body, "Message")}, nil
	}
	return map[string]any{"statusCode": resp.StatusCode, "listResultXml": string(body)}, nil
}
