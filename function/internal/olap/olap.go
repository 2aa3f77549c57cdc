// Package olap is the S3 Object Lambda transport: it decodes the event,
// calls the core (package objects) or passes the request through to the
// supporting access point, and encodes the answer: WriteGetObjectResponse
// for GetObject (exactly once per event, errors included), JSON for
// HeadObject and the list operations.
package olap

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// ResponseWriter delivers GetObject answers (an *s3.Client).
type ResponseWriter interface {
	WriteGetObjectResponse(ctx context.Context, in *s3.WriteGetObjectResponseInput, opts ...func(*s3.Options)) (*s3.WriteGetObjectResponseOutput, error)
}

// Handler answers Object Lambda events.
type Handler struct {
	Objects *objects.Service
	Writer  ResponseWriter
	// HTTP fetches the original objects through the presigned inputS3Url.
	HTTP *http.Client
	// Lister lists the real objects behind the supporting access point.
	Lister Lister
	Logger *slog.Logger
}

// HeadResponse is the JSON answer to a HeadObject event.
type HeadResponse struct {
	StatusCode   int               `json:"statusCode"`
	Headers      map[string]string `json:"headers,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	ErrorCode    string            `json:"errorCode,omitempty"`
	ErrorMessage string            `json:"errorMessage,omitempty"`
}

// ListResponse is the JSON answer to a ListObjects or ListObjectsV2 event.
type ListResponse struct {
	StatusCode    int    `json:"statusCode"`
	ListResultXML string `json:"listResultXml,omitempty"`
	ErrorCode     string `json:"errorCode,omitempty"`
	ErrorMessage  string `json:"errorMessage,omitempty"`
}

// logLine collects the fields of the one log line written per request.
type logLine struct {
	op, key, archive string
	status           int
	bytesOut         int64
	errCode          string
}

// Handle answers one event. It returns an error only when the event cannot
// be answered at all; S3 errors are answers.
func (h *Handler) Handle(ctx context.Context, ev events.S3ObjectLambdaEvent) (any, error) {
	start := time.Now()
	counters := new(reqstats.Counters)
	ctx = reqstats.With(ctx, counters)
	var line logLine
	defer func() { h.log(ctx, ev.XAmzRequestID, &line, counters, time.Since(start)) }()

	req, perr := parseUserRequest(ev.UserRequest)
	line.key = req.Key
	switch {
	case ev.GetObjectContext != nil:
		line.op = "GetObject"
		if perr != nil {
			return nil, h.writeError(ctx, ev.GetObjectContext, &line, &s3api.Error{Code: "InvalidRequest", Status: 400, Message: perr.Error()})
		}
		return nil, h.getObject(ctx, ev.GetObjectContext, req, &line)
	case ev.HeadObjectContext != nil:
		line.op = "HeadObject"
		if perr != nil {
			return headError(&line, &s3api.Error{Code: "InvalidRequest", Status: 400, Message: perr.Error()}), nil
		}
		return h.headObject(ctx, ev.HeadObjectContext.InputS3URL, req, &line), nil
	case ev.ListObjectsV2Context != nil:
		line.op = "ListObjectsV2"
		if perr != nil {
			return listError(&line, &s3api.Error{Code: "InvalidRequest", Status: 400, Message: perr.Error()}), nil
		}
		return h.list(ctx, ev, ev.ListObjectsV2Context.InputS3URL, req, true, &line), nil
	case ev.ListObjectsContext != nil:
		line.op = "ListObjects"
		if perr != nil {
			return listError(&line, &s3api.Error{Code: "InvalidRequest", Status: 400, Message: perr.Error()}), nil
		}
		return h.list(ctx, ev, ev.ListObjectsContext.InputS3URL, req, false, &line), nil
	}
	line.op = "unknown"
	return nil, errors.New("olap: the event has no getObjectContext, headObjectContext, listObjectsContext or listObjectsV2Context")
}

func (h *Handler) log(ctx context.Context, requestID string, l *logLine, c *reqstats.Counters, d time.Duration) {
	attrs := []slog.Attr{
		slog.String("request_id", requestID),
		slog.String("op", l.op),
		slog.String("key", l.key),
		slog.Int("status", l.status),
		slog.Int64("bytes_out", l.bytesOut),
		slog.Int64("s3_requests", c.S3Requests.Load()),
		slog.Int64("s3_bytes_in", c.S3BytesIn.Load()),
		slog.Int64("cache_hits", c.CacheHits.Load()),
		slog.Int64("cache_misses", c.CacheMisses.Load()),
		slog.Int64("cache_corrupt", c.CacheCorrupt.Load()),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	}
	if l.archive != "" {
		attrs = append(attrs, slog.String("archive", l.archive))
	}
	if l.errCode != "" {
		attrs = append(attrs, slog.String("error_code", l.errCode))
	}
	h.Logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// asS3Error maps any failure to the S3 error the client sees, logging
// internal causes (which may name archives) without sending them out.
func (h *Handler) asS3Error(ctx context.Context, l *logLine, err error) *s3api.Error {
	e := s3api.AsError(err)
	l.status, l.errCode = e.Status, e.Code
	if e.Status >= 500 {
		h.Logger.LogAttrs(ctx, slog.LevelError, "request failed",
			slog.String("op", l.op), slog.String("key", l.key), slog.String("archive", l.archive),
			slog.String("err", err.Error()))
	}
	return e
}

func (h *Handler) writeError(ctx context.Context, gc *events.S3ObjectLambdaGetObjectContext, l *logLine, err error) error {
	e := h.asS3Error(ctx, l, err)
	if werr := h.write(ctx, wgorError(gc.OutputRoute, gc.OutputToken, e.Status, e.Code, e.Message), e.Status, l); werr != nil {
		return werr
	}
	l.errCode = e.Code
	return nil
}

func headError(l *logLine, e *s3api.Error) *HeadResponse {
	l.status, l.errCode = e.Status, e.Code
	return &HeadResponse{StatusCode: e.Status, ErrorCode: e.Code, ErrorMessage: e.Message}
}

func listError(l *logLine, e *s3api.Error) *ListResponse {
	l.status, l.errCode = e.Status, e.Code
	return &ListResponse{StatusCode: e.Status, ErrorCode: e.Code, ErrorMessage: e.Message}
}

// countingReader counts the body bytes delivered to the client.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
