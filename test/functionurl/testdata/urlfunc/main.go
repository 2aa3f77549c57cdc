// Command urlfunc is a small function URL function for functionurl's
// tests, on aws-lambda-go's lambdaurl as bootstrap is. The path chooses
// what it does: echo the request it was given, check its SigV4 signature,
// stream slowly, answer a status with headers and cookies, write N bytes,
// fail before or in the middle of its answer, crash, or overrun its time.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo/", echo)
	mux.HandleFunc("/sigv4/", func(w http.ResponseWriter, r *http.Request) {
		v := &sigv4.Verifier{Region: "us-east-1", Keys: sigv4.StaticKeys{"AKIDURLTEST": "url-test-secret"}}
		s, err := v.Verify(r, "s3")
		if err != nil {
			http.Error(w, err.Code, err.Status)
			return
		}
		fmt.Fprint(w, "signed by "+s.AccessKeyID)
	})
	mux.HandleFunc("/stream/", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		for i := range 5 {
			fmt.Fprintf(w, "chunk %d\n", i)
			_ = rc.Flush()
			time.Sleep(300 * time.Millisecond)
		}
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		w.Header().Set("X-Test", "yes")
		w.Header().Set("Content-Length", "5")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.WriteHeader(code)
		fmt.Fprint(w, "hello")
	})
	mux.HandleFunc("/bytes/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/bytes/"), 10, 64)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.CopyN(w, zeros{}, n)
	})
	mux.HandleFunc("/crash/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 1000))
		_ = http.NewResponseController(w).Flush()
		time.Sleep(200 * time.Millisecond)
		os.Exit(2)
	})
	mux.HandleFunc("/sleep/", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Hour)
	})
	handle := lambdaurl.Wrap(mux)
	lambda.Start(func(ctx context.Context, req *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error) {
		switch {
		case strings.HasPrefix(req.RawPath, "/error/"):
			return nil, errors.New("failed on purpose")
		case strings.HasPrefix(req.RawPath, "/midway/"):
			// A body that fails after a while: aws-lambda-go reports it in
			// the Lambda-Runtime-Function-Error-* trailers.
			return &events.LambdaFunctionURLStreamingResponse{StatusCode: 200, Body: io.MultiReader(
				strings.NewReader(strings.Repeat("y", 1000)), failing{})}, nil
		}
		return handle(ctx, req)
	})
}

// echo answers with the request as the function's http.Handler sees it.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ev, _ := lambdaurl.RequestFromContext(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "host": r.Host, "path": r.URL.Path, "escapedPath": r.URL.EscapedPath(),
		"rawQuery": r.URL.RawQuery, "headers": r.Header, "body": body, "remoteAddr": r.RemoteAddr,
		"event": ev,
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("storage went away") }
