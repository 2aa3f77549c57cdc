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

// Handle answers one event. It returns an error only when the event cannot
// be answered at all; S3 errors are answers.
func (h *Handler) Handle(ctx context.Context, ev events.S3ObjectLambdaEvent) (any, error) {
	start := time.Now()
	counters := new(reqstats.Counters)
	ctx = reqstats.With(ctx, counters)
	line := reqstats.Line{RequestID: ev.XAmzRequestID}
	defer func() { line.Log(ctx, h.Logger, counters, time.Since(start)) }()

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
		line.Op = "unknown"
		return nil, errors.New("olap: the event has no getObjectContext, headObjectContext, listObjectsContext or listObjectsV2Context")
	}
	line.Op = string(op)
	ans := h.serve(ctx, ev, op, inputS3URL, &line)
	line.SetAnswer(ans)
	switch op {
	case s3api.GetObject:
		return nil, h.write(ctx, ev.GetObjectContext, ans, &line)
	case s3api.HeadObject:
		return headAnswer(ans), nil
	}
	return listAnswer(ans, &line), nil
}

// serve decodes the request and calls the core.
func (h *Handler) serve(ctx context.Context, ev events.S3ObjectLambdaEvent, op s3api.Op, inputS3URL string, l *reqstats.Line) *s3api.Answer {
	u, err := parseUserRequest(ev.UserRequest)
	if err != nil {
		return s3api.ErrorAnswer(s3api.InvalidRequest(err.Error()))
	}
	l.Key = u.Key
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

func headAnswer(a *s3api.Answer) *HeadResponse {
	r := &HeadResponse{StatusCode: a.Status, Headers: map[string]string{}, Metadata: a.Info.Metadata}
	if a.Err != nil {
		r.ErrorCode, r.ErrorMessage, r.Metadata = a.Err.Code, a.Err.Message, nil
	}
	for k, vs := range a.Header() {
		if !strings.HasPrefix(strings.ToLower(k), "x-amz-meta-") {
			r.Headers[k] = vs[0]
		}
	}
	return r
}

func listAnswer(a *s3api.Answer, l *reqstats.Line) *ListResponse {
	if a.Err != nil {
		return &ListResponse{StatusCode: a.Status, ErrorCode: a.Err.Code, ErrorMessage: a.Err.Message}
	}
	body := a.List.XML()
	l.BytesOut = int64(len(body))
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
