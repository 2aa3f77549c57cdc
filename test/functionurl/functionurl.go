// Package functionurl is a local stand-in for a Lambda function URL with
// auth type NONE and invoke mode RESPONSE_STREAM: every HTTP request
// becomes a function URL event (payload format 2.0), the function runs
// through the Lambda Runtime API (olaplocal.Process), and its streamed
// answer (the HTTP integration prelude, eight NUL bytes, then the body)
// goes back to the client as it arrives. It is for tests and `make run`;
// it is never deployed.
package functionurl

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// Limits of a function URL (Lambda quotas): the request payload, and the
// function's timeout unless configured.
const (
	MaxRequestBody = 6 << 20
	DefaultTimeout = 15 * time.Minute
)

// Streamer runs one streaming invocation; *olaplocal.Process is one.
type Streamer interface {
	InvokeStream(ctx context.Context, inv olaplocal.Invocation) (*olaplocal.StreamResponse, error)
}

// Config configures a Handler.
type Config struct {
	Function  Streamer
	AccountID string
	// URLID is the function URL's id, the first label of its domain on
	// AWS; requestContext.apiId and domainPrefix carry it.
	URLID  string
	Logger *slog.Logger
}

// Handler is the function URL; it is an http.Handler.
type Handler struct{ cfg Config }

// New checks cfg and fills its defaults.
func New(cfg Config) (*Handler, error) {
	if cfg.Function == nil {
		return nil, errors.New("functionurl: Config.Function is nil")
	}
	if cfg.AccountID == "" {
		cfg.AccountID = olaplocal.DefaultAccountID
	}
	if cfg.URLID == "" {
		cfg.URLID = "local0functionurl0id0000000000"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg}, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	status, n := h.serve(w, r, reqID)
	h.cfg.Logger.Info("request", "request_id", reqID, "method", r.Method, "path", r.URL.Path,
		"status", status, "bytes_out", n, "duration_ms", time.Since(start).Milliseconds())
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, reqID string) (int, int64) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	switch {
	case err != nil:
		return fail(w, http.StatusBadRequest, "could not read the request body")
	case len(body) > MaxRequestBody:
		return fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxRequestBody))
	}
	ev, err := json.Marshal(h.event(r, reqID, body, time.Now()))
	if err != nil {
		return fail(w, http.StatusInternalServerError, err.Error())
	}
	resp, err := h.cfg.Function.InvokeStream(r.Context(), olaplocal.Invocation{RequestID: reqID, Payload: ev})
	if err != nil {
		h.cfg.Logger.Warn("invocation failed", "request_id", reqID, "err", err.Error())
		return fail(w, http.StatusBadGateway, "Internal Server Error")
	}
	defer resp.Body.Close()
	if !resp.Streaming {
		return writeBuffered(w, resp.Body)
	}
	return h.writeStreamed(w, r, reqID, resp)
}

// event builds the payload format 2.0 event AWS sends for r.
func (h *Handler) event(r *http.Request, reqID string, body []byte, now time.Time) *events.LambdaFunctionURLRequest {
	rawPath, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	if rawPath == "" || !strings.HasPrefix(rawPath, "/") { // absolute-form request target
		rawPath, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	headers := map[string]string{"host": r.Host}
	var cookies []string
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		l := strings.ToLower(name)
		if l == "cookie" {
			for _, v := range r.Header.Values(name) {
				cookies = append(cookies, strings.Split(v, "; ")...)
			}
			continue
		}
		headers[l] = strings.Join(r.Header.Values(name), ",")
	}
	if r.ContentLength > 0 {
		headers["content-length"] = strconv.FormatInt(r.ContentLength, 10)
	}
	srcIP, port := r.RemoteAddr, "80"
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		srcIP = host
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	headers["x-forwarded-for"] = srcIP
	headers["x-forwarded-proto"] = "http"
	headers["x-forwarded-port"] = port
	headers["x-amzn-trace-id"] = fmt.Sprintf("Root=1-%08x-%s", now.Unix(), strings.ReplaceAll(reqID, "-", "")[:24])

	var query map[string]string
	if vals, err := url.ParseQuery(rawQuery); err == nil && len(vals) > 0 {
		query = make(map[string]string, len(vals))
		for k, vs := range vals {
			query[k] = strings.Join(vs, ",")
		}
	}
	ev := &events.LambdaFunctionURLRequest{
		Version:               "2.0",
		RawPath:               rawPath,
		RawQueryString:        rawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:    h.cfg.AccountID,
			RequestID:    reqID,
			APIID:        h.cfg.URLID,
			DomainName:   r.Host,
			DomainPrefix: h.cfg.URLID,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: srcIP, UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if textual(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// textual reports whether AWS passes a body of this type as text (else
// base64).
func textual(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/xml" ||
		mt == "application/javascript" || mt == "application/x-www-form-urlencoded"
}

// maxPrelude bounds the JSON before the eight NUL bytes.
const maxPrelude = 64 << 10

var preludeEnd = make([]byte, 8)

// writeStreamed answers from a streamed response: for the HTTP
// integration type, the prelude's status, headers and cookies, then the
// body, flushed as it arrives. A failure after the first byte cuts the
// connection, as Lambda does: the client sees a truncated response.
func (h *Handler) writeStreamed(w http.ResponseWriter, r *http.Request, reqID string, resp *olaplocal.StreamResponse) (int, int64) {
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	status, hdr := http.StatusOK, http.Header{"Content-Type": {resp.ContentType}}
	if resp.ContentType == "application/vnd.awslambda.http-integration-response" {
		prelude, err := readPrelude(br)
		if err != nil {
			h.cfg.Logger.Warn("invalid streamed response", "request_id", reqID, "err", err.Error())
			return fail(w, http.StatusBadGateway, "Internal Server Error")
		}
		status, hdr = prelude.StatusCode, http.Header{}
		if status == 0 {
			status = http.StatusOK
		}
		for k, v := range prelude.Headers {
			hdr.Set(k, v)
		}
		for _, c := range prelude.Cookies {
			hdr.Add("Set-Cookie", c)
		}
	}
	for k, vs := range hdr {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	w.WriteHeader(status)
	n, err := copyFlushing(w, br)
	if err != nil {
		h.cfg.Logger.Warn("response stream failed", "request_id", reqID, "err", err.Error(), "bytes_out", n)
		panic(http.ErrAbortHandler) // cut the connection: the client must not take a short body for a whole one
	}
	return status, n
}

type prelude struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Cookies    []string          `json:"cookies"`
}

func readPrelude(br *bufio.Reader) (*prelude, error) {
	var buf bytes.Buffer
	for {
		b, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("stream ended inside the prelude: %w", err)
		}
		buf.WriteByte(b)
		if bytes.HasSuffix(buf.Bytes(), preludeEnd) {
			break
		}
		if buf.Len() > maxPrelude {
			return nil, fmt.Errorf("no 8-NUL delimiter in the first %d bytes", maxPrelude)
		}
	}
	var p prelude
	if err := json.Unmarshal(bytes.TrimSuffix(buf.Bytes(), preludeEnd), &p); err != nil {
		return nil, fmt.Errorf("prelude is not JSON: %w", err)
	}
	if p.StatusCode != 0 && (p.StatusCode < 100 || p.StatusCode > 599) {
		return nil, fmt.Errorf("prelude statusCode %d", p.StatusCode)
	}
	return &p, nil
}

func copyFlushing(w http.ResponseWriter, r io.Reader) (int64, error) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 64<<10)
	var n int64
	for {
		m, err := r.Read(buf)
		if m > 0 {
			k, werr := w.Write(buf[:m])
			n += int64(k)
			if werr != nil {
				return n, werr
			}
			_ = rc.Flush()
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// writeBuffered answers from a buffered response: the function URL
// response JSON ({statusCode, headers, body, isBase64Encoded, cookies}),
// or, when the payload is not that, the payload itself as JSON.
func writeBuffered(w http.ResponseWriter, body io.Reader) (int, int64) {
	payload, err := io.ReadAll(body)
	if err != nil {
		return fail(w, http.StatusBadGateway, "Internal Server Error")
	}
	var res events.LambdaFunctionURLResponse
	if json.Unmarshal(payload, &res) != nil || res.StatusCode == 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		n, _ := w.Write(payload)
		return http.StatusOK, int64(n)
	}
	out := []byte(res.Body)
	if res.IsBase64Encoded {
		if out, err = base64.StdEncoding.DecodeString(res.Body); err != nil {
			return fail(w, http.StatusBadGateway, "Internal Server Error")
		}
	}
	for k, v := range res.Headers {
		w.Header().Set(k, v)
	}
	for _, c := range res.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	w.WriteHeader(res.StatusCode)
	n, _ := w.Write(out)
	return res.StatusCode, int64(n)
}

// fail answers as the function URL service does for its own errors.
func fail(w http.ResponseWriter, status int, msg string) (int, int64) {
	body, _ := json.Marshal(map[string]string{"Message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	n, _ := w.Write(body)
	return status, int64(n)
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
