// Package httpfront is front B: the function as a plain S3 endpoint, over
// net/http. The same http.Handler serves a Lambda function URL (through
// aws-lambda-go's lambdaurl, invoke mode RESPONSE_STREAM) and
// `s3archivefs serve` on any host.
//
// One request goes through, in order:
//
//  1. Locate: bucket and key (path-style, or virtual-hosted when the Host
//     starts with the bucket's name) and the operation;
//  2. SigV4 (function/sigv4), before any S3 or archive work: anonymous
//     and badly signed requests stop here;
//  3. the access key's allowed prefixes (accesskeys) for the key or the
//     listing prefix;
//  4. the operation: the bucket-level calls clients make before their
//     first GET are answered here; objects and listings are decoded into
//     the core's typed request (s3api.ParseRequest) and answered by the
//     core (objects.Serve) from the namespace (the VMAP router over the
//     archives and the real bucket); anything that would write gets
//     AccessDenied, as from a read-only bucket;
//  5. one JSON log line, with the access key id and never a secret, a
//     signature or a presigned query.
package httpfront

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// Keys is what the front needs of the access keys: their secrets, for
// SigV4, and what each may read (an *accesskeys.Store).
type Keys interface {
	sigv4.Keys
	MayRead(accessKeyID, keyOrPrefix string) bool
	// Refresh re-reads the keys when they are stale.
	Refresh(ctx context.Context)
}

// Config configures a Handler.
type Config struct {
	// Bucket is the one bucket name clients address.
	Bucket string
	// Region is what clients sign for (the function's AWS_REGION) and
	// what GetBucketLocation answers.
	Region string
	Keys   Keys
	// Objects is the namespace: an objects.Router over the archives and
	// the real objects.
	Objects objects.Namespace
	// MaxResponseBytes, when positive, is the largest object body one
	// answer may carry (a function URL streams at most 200 MB); a larger
	// GET is refused with a message that asks for a Range.
	MaxResponseBytes int64
	// Created is the bucket's creation date in ListBuckets.
	Created time.Time
	Logger  *slog.Logger
	// Now is the clock for signatures; nil means time.Now.
	Now func() time.Time
}

// Handler is the S3 endpoint; it is an http.Handler.
type Handler struct {
	cfg      Config
	verifier *sigv4.Verifier
}

// New checks cfg.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Bucket == "":
		return nil, errors.New("httpfront: Config.Bucket is empty")
	case cfg.Region == "":
		return nil, errors.New("httpfront: Config.Region is empty")
	case cfg.Keys == nil || cfg.Objects == nil:
		return nil, errors.New("httpfront: Config.Keys and Config.Objects are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, verifier: &sigv4.Verifier{Region: cfg.Region, Keys: cfg.Keys, Now: cfg.Now}}, nil
}

// request is one request on its way through, and its log line.
type request struct {
	*http.Request
	id        string
	addr      Address
	accessKey string
	archive   string
	errCode   string
	cause     string // the internal cause of a 5xx, for the log only
	resource  string // for error documents: the path
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	counters := new(reqstats.Counters)
	ctx := reqstats.With(r.Context(), counters)
	req := &request{Request: r.WithContext(ctx), id: newRequestID(), resource: r.URL.Path}
	lw := &statusWriter{ResponseWriter: w}
	lw.Header().Set("x-amz-request-id", req.id)
	lw.Header().Set("x-amz-id-2", req.id)
	h.serve(lw, req)
	h.log(ctx, req, lw, counters, time.Since(start))
}

func (h *Handler) serve(w http.ResponseWriter, r *request) {
	r.addr = Locate(r.Request, h.cfg.Bucket)
	h.cfg.Keys.Refresh(r.Context())
	signed, verr := h.verifier.Verify(r.Request, "s3")
	if verr != nil {
		h.writeError(w, r, authError(verr))
		return
	}
	r.accessKey = signed.AccessKeyID
	a := r.addr
	switch {
	case a.Op == Write:
		e := s3api.AccessDenied(nil)
		e.Message = fmt.Sprintf("Access Denied: this endpoint is read-only (s3archivefs); %s requests are not allowed", r.Method)
		h.writeError(w, r, e)
		return
	case a.Bucket != "" && a.Bucket != h.cfg.Bucket:
		h.writeError(w, r, s3api.NoSuchBucket(a.Bucket))
		return
	}
	switch a.Op {
	case ListBuckets:
		h.listBuckets(w, r)
	case HeadBucket:
		h.headBucket(w, r)
	case GetBucketLocation:
		h.getBucketLocation(w, r)
	case ListObjects, ListObjectsV2:
		h.list(w, r)
	case GetObject, HeadObject, GetObjectAttributes:
		if !h.cfg.Keys.MayRead(r.accessKey, a.Key) {
			h.writeError(w, r, s3api.AccessDenied(nil))
			return
		}
		h.object(w, r)
	default:
		h.writeError(w, r, unsupported(a))
	}
}

// unsupported is the answer to a read this front does not implement. A
// bucket policy and CORS rules it can honestly say it has none of.
func unsupported(a Address) *s3api.Error {
	switch a.Subresource {
	case "policy", "cors":
		code := map[string]string{"policy": "NoSuchBucketPolicy", "cors": "NoSuchCORSConfiguration"}[a.Subresource]
		e := s3api.NewError(code)
		e.Details = []s3api.Detail{{Name: "BucketName", Value: a.Bucket}}
		return e
	}
	return s3api.NotImplemented("A header or query you provided implies functionality that is not implemented: ?" + a.Subresource +
		" (s3archivefs answers GetObject, HeadObject, GetObjectAttributes, the listings and the bucket calls clients make first)")
}

// authError turns the verifier's answer into the S3 error document.
func authError(e *sigv4.Error) *s3api.Error {
	out := s3api.NewError(e.Code)
	out.Status, out.Message = e.Status, e.Message
	for _, kv := range e.Extra {
		out.Details = append(out.Details, s3api.Detail{Name: kv[0], Value: kv[1]})
	}
	return out
}

// writeError sends an S3 error: the XML document, except for HEAD.
func (h *Handler) writeError(w http.ResponseWriter, r *request, err error) {
	e := s3api.AsError(err)
	r.errCode = e.Code
	if e.Status >= 500 {
		r.cause = err.Error() // logged on the request's line, never sent
	}
	if r.Method == http.MethodHead || e.Status == http.StatusNotModified {
		w.WriteHeader(e.Status)
		return
	}
	body := e.XML(r.resource, r.id)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// log writes the request's line: reqstats.Line, as the Object Lambda
// front writes it, with the access key id (never its secret).
func (h *Handler) log(ctx context.Context, r *request, w *statusWriter, c *reqstats.Counters, d time.Duration) {
	logger := h.cfg.Logger
	if r.accessKey != "" {
		logger = logger.With(slog.String("access_key_id", r.accessKey))
	}
	line := reqstats.Line{RequestID: r.id, Op: string(r.addr.Op), Key: r.addr.Key, Archive: r.archive,
		Status: w.status, BytesOut: w.n, ErrCode: r.errCode, Cause: r.cause}
	line.Log(ctx, logger, c, d)
}

// statusWriter records what was sent, for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.n += int64(n)
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// copyBody streams an object body to the client, flushing so that a
// function URL passes it on as it comes. A body that writes itself out
// (an archive file's stream of decoded blocks) is given the writer, which
// saves copying every byte through a buffer.
func copyBody(w http.ResponseWriter, body io.Reader) error {
	fw := flushWriter{w: w, rc: http.NewResponseController(w)}
	if wt, ok := body.(io.WriterTo); ok {
		_, err := wt.WriteTo(fw)
		return err
	}
	_, err := io.CopyBuffer(fw, body, make([]byte, 256<<10))
	return err
}

// flushWriter flushes every write through to the client.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		_ = f.rc.Flush()
	}
	return n, err
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}
