package olap

import (
	"context"
	"fmt"
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
	resp, err := fetchOriginal(ctx, h.HTTP, http.MethodGet, gc.InputS3URL, req.Header)
	if err != nil {
		return h.writeError(ctx, gc, l, err)
	}
	defer resp.Body.Close()
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
	resp, err := fetchOriginal(ctx, h.HTTP, http.MethodHead, inputS3URL, req.Header)
	if err != nil {
		return headError(l, h.asS3Error(ctx, l, err))
	}
	defer resp.Body.Close()
	l.status = resp.StatusCode
	if resp.StatusCode >= 400 {
		code, msg := readS3Error(resp)
		l.errCode = code
		return &HeadResponse{StatusCode: resp.StatusCode, ErrorCode: code, ErrorMessage: msg}
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
