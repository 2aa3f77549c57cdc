package olaplocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// pendingGet is a GetObject waiting for the function's
// WriteGetObjectResponse, found by its output token.
type pendingGet struct {
	route, token string
	arrived      chan *wgorCall
	gone         chan struct{} // closed when the GetObject handler returns
	used         atomic.Bool   // a token is good for one call
}

// wgorCall is a WriteGetObjectResponse handed to the waiting GetObject.
type wgorCall struct {
	r      *http.Request
	body   io.Reader
	length int64 // -1 when unknown (chunked)
	done   chan error
	// cut makes a pending read of body fail at once: the client went away.
	cut func()
	// end marks the answer complete: a cut that comes later (the client
	// closing its connection once it has everything) does nothing, and
	// one that raced it is undone, so the function's connection stays
	// usable for its next request.
	end func()
}

// errClientGone ends a WriteGetObjectResponse whose client disconnected:
// its connection is cut, so the function stops at once instead of writing
// into the void until its timeout (on AWS, S3 does the same).
var errClientGone = errors.New("the GetObject client went away")

func (e *Endpoint) register(p *pendingGet) {
	e.mu.Lock()
	e.pending[p.token] = p
	e.mu.Unlock()
}

func (e *Endpoint) unregister(p *pendingGet) {
	e.mu.Lock()
	delete(e.pending, p.token)
	e.mu.Unlock()
	close(p.gone)
}

func (e *Endpoint) lookup(token string) *pendingGet {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pending[token]
}

// getObject invokes the function and answers the client with what the
// function sends through WriteGetObjectResponse, streamed as it arrives.
func (e *Endpoint) getObject(w http.ResponseWriter, r *http.Request, reqID string, s *sigv4.Signed, key string) {
	p := &pendingGet{route: "io-local-" + randomHex(4), token: randomHex(32),
		arrived: make(chan *wgorCall), gone: make(chan struct{})}
	e.register(p)
	defer e.unregister(p)
	ev, err := e.event(r.Context(), r, reqID, s, "GetObject", key, p)
	if err != nil {
		writeError(w, r, reqID, s3err(http.StatusInternalServerError, "InternalError", err.Error()))
		return
	}
	// The function runs on even if the client goes away, as on Lambda.
	res := make(chan error, 1)
	go func() {
		_, err := e.invoke(context.Background(), reqID, ev)
		res <- err
	}()
	timer := time.NewTimer(e.cfg.Timeout)
	defer timer.Stop()
	select {
	case c := <-p.arrived:
		e.streamWGOR(w, r, reqID, c)
	case err := <-res:
		select { // a WriteGetObjectResponse that raced the return still counts
		case c := <-p.arrived:
			e.streamWGOR(w, r, reqID, c)
			return
		default:
		}
		if err != nil {
			e.cfg.Logger.Warn("function failed", "request_id", reqID, "op", "GetObject", "error", err.Error())
			writeError(w, r, reqID, functionFailure(err))
			return
		}
		writeError(w, r, reqID, errLambdaNoResponse())
	case <-timer.C:
		writeError(w, r, reqID, errLambdaTimeout())
	case <-r.Context().Done():
	}
}

// streamWGOR turns a WriteGetObjectResponse into the client's answer: the
// forwarded status and headers, then the body, flushed chunk by chunk.
func (e *Endpoint) streamWGOR(w http.ResponseWriter, r *http.Request, reqID string, c *wgorCall) {
	var (
		result error
		abort  bool
	)
	// A client that disconnects cuts the function's upload, also while
	// this waits for the function's next bytes.
	stop := context.AfterFunc(r.Context(), c.cut)
	defer func() {
		// A client that leaves after the whole answer changes nothing.
		// Otherwise, once cut, the function's connection must not be
		// reused: it is aborted.
		stopped := stop()
		if result == nil {
			c.end()
		} else if !stopped && !errors.Is(result, errClientGone) {
			result = fmt.Errorf("%w: %v", errClientGone, result)
		}
		c.done <- result
		if abort {
			// Break the client's connection: a clean end would pass a
			// truncated body off as complete.
			panic(http.ErrAbortHandler)
		}
	}()
	h := c.r.Header
	status := http.StatusOK
	if v := h.Get("X-Amz-Fwd-Status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			result = s3err(http.StatusBadRequest, "InvalidArgument", "x-amz-fwd-status must be an HTTP status code")
			writeError(w, r, reqID, errLambdaInvalid("x-amz-fwd-status "+strconv.Quote(v)))
			return
		}
		status = n
	}
	if code := h.Get("X-Amz-Fwd-Error-Code"); code != "" {
		if status < 400 {
			status = http.StatusInternalServerError
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(c.body, 1<<20))
		if v := h.Get("X-Amz-Fwd-Header-Content-Range"); v != "" {
			w.Header().Set("Content-Range", v) // "bytes */size" on a 416
		}
		writeError(w, r, reqID, s3err(status, code, h.Get("X-Amz-Fwd-Error-Message")))
		return
	}
	out := w.Header()
	for name, vals := range h {
		if rest, ok := strings.CutPrefix(name, "X-Amz-Fwd-Header-"); ok {
			out[http.CanonicalHeaderKey(rest)] = vals
		} else if strings.HasPrefix(name, "X-Amz-Meta-") {
			out[strings.ToLower(name)] = vals // lower case, as S3 sends it
		}
	}
	out.Set("x-amz-request-id", reqID)
	out.Set("x-amz-id-2", hostID(reqID))
	noBody := r.Method == http.MethodHead || status == http.StatusNotModified || status == http.StatusNoContent
	if c.length >= 0 && !noBody {
		out.Set("Content-Length", strconv.FormatInt(c.length, 10))
	}
	w.WriteHeader(status)
	if noBody {
		_, _ = io.Copy(io.Discard, io.LimitReader(c.body, 1<<20))
		return
	}
	rc := http.NewResponseController(w)
	// Large reads keep the endpoint's share of the machine small: it runs
	// on the function's cores, where on AWS S3's servers carry it (a 32
	// KiB buffer cost it a third more processor time per GiB streamed).
	buf := make([]byte, 1<<20)
	for {
		n, err := c.body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				result = fmt.Errorf("%w: %w", errClientGone, werr)
				return
			}
			_ = rc.Flush()
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			result, abort = err, true
			return
		}
	}
}

// writeGetObjectResponse serves the function's POST /WriteGetObjectResponse:
// signed by the function role (service s3-object-lambda), route and token
// from the event, the body streamed to the waiting client.
func (e *Endpoint) writeGetObjectResponse(w http.ResponseWriter, r *http.Request, reqID string) {
	s, serr := e.function.Verify(r, "s3-object-lambda")
	if serr != nil {
		writeError(w, r, reqID, serr)
		return
	}
	route := r.Header.Get("X-Amz-Request-Route")
	if route == "" { // the SDK's host prefix form: {route}.host
		route, _, _ = strings.Cut(r.Host, ".")
	}
	token := r.Header.Get("X-Amz-Request-Token")
	p := e.lookup(token)
	switch {
	case token == "" || p == nil:
		writeError(w, r, reqID, s3err(http.StatusBadRequest, "InvalidToken", "The request token is not valid or its GetObject request has ended."))
		return
	case p.route != route:
		writeError(w, r, reqID, s3err(http.StatusBadRequest, "InvalidRoute", "The request route does not match the request token."))
		return
	case !p.used.CompareAndSwap(false, true):
		writeError(w, r, reqID, s3err(http.StatusBadRequest, "InvalidToken", "The request token has already been used."))
		return
	}
	body, length, serr := s.Body(r)
	if serr != nil {
		writeError(w, r, reqID, serr)
		return
	}
	rc := http.NewResponseController(w)
	var (
		cutMu sync.Mutex
		ended bool
	)
	c := &wgorCall{r: r, body: body, length: length, done: make(chan error, 1),
		cut: func() {
			cutMu.Lock()
			defer cutMu.Unlock()
			if !ended {
				_ = rc.SetReadDeadline(time.Now())
			}
		},
		end: func() {
			cutMu.Lock()
			defer cutMu.Unlock()
			ended = true
			_ = rc.SetReadDeadline(time.Time{})
		}}
	select {
	case p.arrived <- c:
	case <-p.gone:
		writeError(w, r, reqID, s3err(http.StatusBadRequest, "InvalidToken", "The GetObject request has already been answered."))
		return
	}
	if err := <-c.done; err != nil {
		if errors.Is(err, errClientGone) {
			panic(http.ErrAbortHandler) // cut the function's connection
		}
		var se *Error
		if !errors.As(err, &se) {
			se = s3err(http.StatusInternalServerError, "InternalError", err.Error())
		}
		writeError(w, r, reqID, se)
		return
	}
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("x-amz-id-2", hostID(reqID))
	w.WriteHeader(http.StatusOK)
}
