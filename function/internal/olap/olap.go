// Package olap is the S3 Object Lambda front: it decodes the event into a
// typed s3api.Request, calls the core (package objects) with the event's
// real objects (read through the presigned inputS3Url, listed through the
// supporting access point), and encodes the answer: WriteGetObjectResponse
// for GetObject (exactly once per event, errors included), JSON for
// HeadObject and the list operations.
package olap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// Handler answers Object Lambda events.
type Handler struct {
	// Archived is the namespace of the files inside archives.
	Archived *objects.Archived
	Writer   ResponseWriter
	// HTTP fetches the original objects through the presigned inputS3Url.
	HTTP *http.Client
	// Lister lists the real objects behind the supporting access point
	// (the function's own S3 client); nil: listings hold virtual keys only.
	Lister objects.ListClient
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
	errCode, cause   string
}

// Handle answers one event. It returns an error only when the event cannot
// be answered at all; S3 errors are answers.
func (h *Handler) Handle(ctx context.Context, ev events.S3ObjectLambdaEvent) (any, error) {
	start := time.Now()
	counters := new(reqstats.Counters)
	ctx = reqstats.With(ctx, counters)
	var line logLine
	defer func() { h.log(ctx, ev.XAmzRequestID, &line, counters, time.Since(start)) }()

	var op s3api.Op
	var inputS3URL string
	switch {
	case ev.GetObjectContext != nil:
		op, inputS3URL = s3api.GetObject, ev.GetObjectContext.InputS3URL
	case ev.HeadObjectContext != nil:
		op, inputS3URL = s3api.HeadObject, ev.HeadObjectContext.InputS3URL
	case ev.ListObjectsV2Context != nil:
		op, inputS3URL = s3api.ListObjectsV2, ev.ListObjectsV2Context.InputS3URL
	case ev.ListObjectsContext != nil:
		op, inputS3URL = s3api.ListObjects, ev.ListObjectsContext.InputS3URL
	default:
		line.op = "unknown"
		return nil, errors.New("olap: the event has no getObjectContext, headObjectContext, listObjectsContext or listObjectsV2Context")
	}
	line.op = string(op)
	ans := h.serve(ctx, ev, op, inputS3URL, &line)
	line.archive, line.status = ans.Archive, ans.Status
	if ans.Err != nil {
		line.errCode = ans.Err.Code
		if ans.Err.Status >= 500 && ans.Err.Cause != nil {
			// The cause (which may name an archive) is logged, never sent.
			line.cause = ans.Err.Cause.Error()
		}
	}
	switch op {
	case s3api.GetObject:
		return nil, h.write(ctx, ev.GetObjectContext, ans, &line)
	case s3api.HeadObject:
		return headAnswer(ans), nil
	}
	return listAnswer(ans, &line), nil
}

// serve decodes the request and calls the core.
func (h *Handler) serve(ctx context.Context, ev events.S3ObjectLambdaEvent, op s3api.Op, inputS3URL string, l *logLine) *s3api.Answer {
	u, err := parseUserRequest(ev.UserRequest)
	if err != nil {
		return s3api.ErrorAnswer(s3api.InvalidRequest(err.Error()))
	}
	l.key = u.Key
	req, err := s3api.ParseRequest(op, u.Bucket, u.Key, u.Query, u.Header)
	if err != nil {
		return s3api.ErrorAnswer(err)
	}
	real := objects.Presigned{HTTP: h.HTTP, URL: inputS3URL}
	if h.Lister != nil && (op == s3api.ListObjects || op == s3api.ListObjectsV2) {
		bucket, err := supportingBucket(inputS3URL, ev.Configuration.SupportingAccessPointARN)
		if err != nil {
			return s3api.ErrorAnswer(err)
		}
		real.Lister = objects.BucketLister{Client: h.Lister, Bucket: bucket}
	}
	ns := objects.Router{VMap: h.Archived.VMap, Archived: h.Archived, Real: real}
	return objects.Serve(ctx, ns, req)
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
	level := slog.LevelInfo
	if l.cause != "" {
		attrs = append(attrs, slog.String("err", l.cause))
		level = slog.LevelError
	}
	h.Logger.LogAttrs(ctx, level, "request", attrs...)
}

func headAnswer(a *s3api.Answer) *HeadResponse {
	r := &HeadResponse{StatusCode: a.Status}
	if a.Err != nil {
		r.ErrorCode, r.ErrorMessage = a.Err.Code, a.Err.Message
	}
	for k, vs := range a.Header() {
		if len(vs) == 0 {
			continue
		}
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok {
			if r.Metadata == nil {
				r.Metadata = map[string]string{}
			}
			r.Metadata[name] = vs[0]
			continue
		}
		if r.Headers == nil {
			r.Headers = map[string]string{}
		}
		r.Headers[k] = vs[0]
	}
	return r
}

func listAnswer(a *s3api.Answer, l *logLine) *ListResponse {
	if a.Err != nil {
		return &ListResponse{StatusCode: a.Status, ErrorCode: a.Err.Code, ErrorMessage: a.Err.Message}
	}
	body := a.List.XML()
	l.bytesOut = int64(len(body))
	return &ListResponse{StatusCode: a.Status, ListResultXML: string(body)}
}

// supportingBucket names the supporting access point for the SDK: its ARN
// when the presigned URL is an access point host (on AWS), or the bucket in
// the URL's path when the URL is path style (an S3-compatible server).
func supportingBucket(inputS3URL, arn string) (string, error) {
	u, err := url.Parse(inputS3URL)
	if err != nil || u.Host == "" {
		return "", s3api.InternalError(fmt.Errorf("olap: the event's inputS3Url is not a URL"))
	}
	if strings.Contains(u.Hostname(), ".s3-accesspoint.") {
		if arn == "" {
			return "", s3api.InternalError(fmt.Errorf("olap: the event names no supportingAccessPointArn"))
		}
		return arn, nil
	}
	bucket, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if bucket == "" {
		return "", s3api.InternalError(fmt.Errorf("olap: the event's inputS3Url names no bucket"))
	}
	return bucket, nil
}
