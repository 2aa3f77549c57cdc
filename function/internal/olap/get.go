package olap

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

func (h *Handler) getObject(ctx context.Context, gc *events.S3ObjectLambdaGetObjectContext, req request, l *logLine) error {
	if _, _, virtual := h.Objects.Route(req.Key); !virtual {
		return h.passGet(ctx, gc, req, l)
	}
	out, err := h.Objects.Get(ctx, objects.GetInput{Key: req.Key, Header: req.Header, Query: req.Query})
	if out != nil && out.Archive != nil {
		l.archive = out.Archive.Ref.String()
	}
	if err != nil && !notModified(err) {
		return h.writeError(ctx, gc, l, err)
	}
	if err != nil {
		out.Status = http.StatusNotModified // headers, no body, no error code
	}
	in := wgorInput(gc.OutputRoute, gc.OutputToken, out.Status, out.Header, nil)
	if out.Body != nil {
		defer out.Body.Close()
		in.Body = countingReader{r: out.Body, n: &l.bytesOut}
	}
	return h.write(ctx, in, out.Status, l)
}

// write delivers the answer. A failure here (the client went away, the
// body could not be read) can reach no client any more: it is logged and
// returned so Lambda records the invocation as failed.
func (h *Handler) write(ctx context.Context, in *s3.WriteGetObjectResponseInput, status int, l *logLine) error {
	if _, err := h.Writer.WriteGetObjectResponse(ctx, in); err != nil {
		l.status, l.errCode = http.StatusInternalServerError, "WriteGetObjectResponseFailed"
		return fmt.Errorf("olap: WriteGetObjectResponse: %w", err)
	}
	l.status = status
	return nil
}

// passGet streams an object outside every virtual prefix from the
// supporting access point, keeping S3's status, headers and error codes.
func (h *Handler) passGet(ctx context.Context, gc *events.S3ObjectLambdaGetObjectContext, req request, l *logLine) error {
	if req.Query.Has("partNumber") && (req.Header.Get("Range") != "" || req.Query.Get("Range") != "") {
		return h.writeError(ctx, gc, l, s3api.InvalidRequest("Cannot specify both Range header and partNumber query parameter"))
	}
	resp, err := fetchOriginal(ctx, h.HTTP, http.MethodGet, gc.InputS3URL, req.Header)
	if err != nil {
		return h.writeError(ctx, gc, l, err)
	}
	defer resp.Body.Close()
	if req.Query.Has("partNumber") && resp.StatusCode == http.StatusOK {
		return h.passPart(ctx, gc, req, resp, l)
	}
	var in = wgorInput(gc.OutputRoute, gc.OutputToken, resp.StatusCode, resp.Header, nil)
	switch {
	case resp.StatusCode >= 400:
		code, msg := readS3Error(resp)
		l.errCode = code
		in = wgorError(gc.OutputRoute, gc.OutputToken, resp.StatusCode, code, msg)
	case resp.StatusCode == http.StatusNotModified:
		// No body.
	default:
		in.Body = countingReader{r: resp.Body, n: &l.bytesOut}
	}
	return h.write(ctx, in, resp.StatusCode, l)
}

func (h *Handler) headObject(ctx context.Context, inputS3URL string, req request, l *logLine) *HeadResponse {
	if _, _, virtual := h.Objects.Route(req.Key); !virtual {
		return h.passHead(ctx, inputS3URL, req, l)
	}
	out, err := h.Objects.Get(ctx, objects.GetInput{Key: req.Key, Header: req.Header, Query: req.Query, Head: true})
	if out != nil && out.Archive != nil {
		l.archive = out.Archive.Ref.String()
	}
	if err != nil && !notModified(err) {
		return headError(l, h.asS3Error(ctx, l, err))
	}
	if err != nil {
		out.Status = http.StatusNotModified
	}
	l.status = out.Status
	return headAnswer(out.Status, out.Header)
}

func (h *Handler) passHead(ctx context.Context, inputS3URL string, req request, l *logLine) *HeadResponse {
	part := req.Query.Has("partNumber")
	if part && req.Header.Get("Range") != "" {
		return headError(l, s3api.InvalidRequest("Cannot specify both Range header and partNumber query parameter"))
	}
	resp, err := fetchOriginal(ctx, h.HTTP, http.MethodHead, inputS3URL, req.Header)
	if err != nil {
		return headError(l, h.asS3Error(ctx, l, err))
	}
	defer resp.Body.Close()
	l.status = resp.StatusCode
	switch {
	case resp.StatusCode >= 400:
		code, msg := readS3Error(resp)
		l.errCode = code
		return &HeadResponse{StatusCode: resp.StatusCode, ErrorCode: code, ErrorMessage: msg}
	case part && resp.StatusCode == http.StatusOK:
		status, hdr, _, err := selectPart(req, resp)
		if err != nil {
			return headError(l, h.asS3Error(ctx, l, err))
		}
		l.status = status
		return headAnswer(status, hdr)
	}
	return headAnswer(resp.StatusCode, resp.Header)
}

// headAnswer splits S3 response headers into the JSON answer's headers and
// user metadata.
func headAnswer(status int, hdr http.Header) *HeadResponse {
	r := &HeadResponse{StatusCode: status, Headers: map[string]string{}}
	for k, vs := range hdr {
		if len(vs) == 0 {
			continue
		}
		if name, ok := cutMetaPrefix(k); ok {
			if r.Metadata == nil {
				r.Metadata = map[string]string{}
			}
			r.Metadata[name] = vs[0]
			continue
		}
		r.Headers[k] = vs[0]
	}
	return r
}

// cutMetaPrefix reports whether an HTTP header carries user metadata, and
// its name without the x-amz-meta- prefix.
func cutMetaPrefix(header string) (string, bool) {
	return strings.CutPrefix(strings.ToLower(header), "x-amz-meta-")
}

// notModified reports whether err is S3's 304, which is an answer with
// headers rather than an error document.
func notModified(err error) bool {
	return s3api.AsError(err).Status == http.StatusNotModified
}

// passPart answers a partNumber GET of a real object from a full GET.
func (h *Handler) passPart(ctx context.Context, gc *events.S3ObjectLambdaGetObjectContext, req request, resp *http.Response, l *logLine) error {
	status, hdr, sel, err := selectPart(req, resp)
	if err != nil {
		return h.writeError(ctx, gc, l, err)
	}
	in := wgorInput(gc.OutputRoute, gc.OutputToken, status, hdr, nil)
	if status != http.StatusNotModified && sel.Length > 0 {
		// Part 1 of a one-part object is all of it (sel.Offset is 0).
		in.Body = countingReader{r: io.LimitReader(resp.Body, sel.Length), n: &l.bytesOut}
	}
	return h.write(ctx, in, status, l)
}

// selectPart applies partNumber to a real object's full GET or HEAD answer.
// Object Lambda leaves partNumber out of the presigned URL (and adding it
// would break the signature), so S3's rules for an object uploaded in one
// part are applied here. A multipart object's part boundaries cannot be
// learnt through the presigned URL: that is 501.
func selectPart(req request, resp *http.Response) (int, http.Header, s3api.Selection, error) {
	etag := resp.Header.Get("ETag")
	if strings.Contains(etag, "-") {
		return 0, nil, s3api.Selection{}, &s3api.Error{Code: "NotImplemented", Status: http.StatusNotImplemented,
			Message: "partNumber is not supported through this access point for objects uploaded in parts; use a Range."}
	}
	lastModified, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	sel, err := s3api.SelectObject(req.Header, req.Query, s3api.ObjectMeta{
		Key: req.Key, Size: resp.ContentLength, ETag: etag, LastModified: lastModified})
	status := sel.Status
	switch {
	case err != nil && notModified(err):
		status = http.StatusNotModified
	case err != nil:
		return 0, nil, sel, err
	}
	hdr := resp.Header.Clone()
	for _, name := range []string{"Content-Length", "Content-Range"} {
		if v := sel.Header.Get(name); v != "" {
			hdr.Set(name, v)
		}
	}
	return status, hdr, sel, nil
}
