package olaplocal

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MaxStreamedResponse is Lambda's limit on a streamed response: 200 MB
// (in Lambda's units, where the 6 MB of a buffered response is 6 MiB).
const MaxStreamedResponse = 200 << 20

// StreamResponse is a function's answer to a streaming invocation (a
// function URL in invoke mode RESPONSE_STREAM), passed on as it arrives.
type StreamResponse struct {
	// ContentType is what the runtime declared. For a function URL
	// answer it is application/vnd.awslambda.http-integration-response:
	// a JSON prelude, eight NUL bytes, then the body.
	ContentType string
	// Streaming says whether the runtime streamed: it sent
	// Lambda-Runtime-Function-Response-Mode: streaming, as the custom
	// runtime documentation asks, or the HTTP integration content type,
	// which is all aws-lambda-go (v1.55) sends with its chunked body.
	// Otherwise the body is a buffered answer, at most 6 MB.
	Streaming bool
	// Body is the payload. It ends with io.EOF, or with a *FunctionError
	// when the function failed midway (the Lambda-Runtime-Function-Error-
	// Type and -Body trailers), overran its timeout, died, or passed the
	// size limit. Close it when done.
	Body io.ReadCloser
}

const httpIntegrationType = "application/vnd.awslambda.http-integration-response"

// InvokeStream runs inv as a streaming invocation: it returns as soon as
// the function starts its response. A failure before that (an error
// response, a crash, a timeout) is the returned error, a *FunctionError.
func (p *Process) InvokeStream(ctx context.Context, inv Invocation) (*StreamResponse, error) {
	c := &call{inv: inv, done: make(chan struct{}), stream: make(chan *StreamResponse, 1)}
	if err := p.dispatch(ctx, c); err != nil {
		return nil, err
	}
	select {
	case s := <-c.stream:
		return s, nil
	case <-c.done:
		if c.err == nil {
			return nil, &FunctionError{Type: "Runtime.ResponseError", Message: "no response"}
		}
		return nil, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// streamResponse hands the runtime's response body to the waiting
// InvokeStream and holds the Runtime API request open until the body has
// been read to its end (or the reader gave up, or the call ended).
func (pr *proc) streamResponse(w http.ResponseWriter, r *http.Request, c *call) {
	ct := r.Header.Get("Content-Type")
	streaming := strings.EqualFold(r.Header.Get("Lambda-Runtime-Function-Response-Mode"), "streaming") || ct == httpIntegrationType
	limit := int64(MaxStreamedResponse)
	if !streaming {
		limit = maxResponse
	}
	b := &streamBody{c: c, req: r, limit: limit, ended: make(chan struct{})}
	c.stream <- &StreamResponse{ContentType: ct, Streaming: streaming, Body: b}
	select {
	case <-b.ended:
	case <-c.done: // timed out or killed: the instance has finished the call
		return
	}
	var fe *FunctionError
	if errors.As(b.failure(), &fe) {
		c.finish(nil, fe)
	} else {
		c.finish(nil, nil)
	}
	runtimeReply(w, http.StatusAccepted, "", "")
}

// streamBody reads the runtime's response body for the invoker.
type streamBody struct {
	c     *call
	req   *http.Request
	limit int64

	mu    sync.Mutex
	n     int64
	err   error // sticky: io.EOF, a *FunctionError, or errClosed
	once  sync.Once
	ended chan struct{}
}

var errClosed = errors.New("olaplocal: response body closed")

func (b *streamBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if rest := b.limit - b.n + 1; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.req.Body.Read(p)
	b.n += int64(n)
	switch {
	case b.n > b.limit:
		n -= int(b.n - b.limit)
		b.end(&FunctionError{Type: "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", b.limit)})
	case err == io.EOF:
		// Trailers are readable once the body is.
		if t := b.req.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
			msg, _ := base64.StdEncoding.DecodeString(b.req.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
			b.end(decodeFunctionError(t, msg))
		} else {
			b.end(io.EOF)
		}
	case err != nil:
		b.end(b.cause(err))
	}
	return n, b.err
}

// cause explains a body that broke off: the call's own failure (timeout,
// crash) when the instance reports one shortly, else the read error.
func (b *streamBody) cause(err error) error {
	select {
	case <-b.c.done:
		if b.c.err != nil {
			return b.c.err
		}
	case <-time.After(time.Second):
	}
	return &FunctionError{Type: "Runtime.ResponseError", Message: "response stream broke off: " + err.Error()}
}

func (b *streamBody) end(err error) {
	b.err = err
	b.once.Do(func() { close(b.ended) })
}

// failure is what the body ended with, nil for a clean end.
func (b *streamBody) failure() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == io.EOF || b.err == errClosed {
		return nil
	}
	return b.err
}

// Close releases the Runtime API request; the function's further writes fail.
func (b *streamBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.end(errClosed)
	}
	return nil
}
