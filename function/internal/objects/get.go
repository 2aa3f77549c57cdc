package objects

import (
	"context"
	"io"
	"net/http"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// GetInput is a GetObject or HeadObject request for a key under a virtual
// prefix.
type GetInput struct {
	Key    string
	Header http.Header // the user's Range and conditional headers
	Query  map[string][]string
	Head   bool
}

// GetOutput is the answer: a status with S3's headers, and for a GET with
// status 200 or 206 the body to stream.
type GetOutput struct {
	Status  int
	Header  http.Header
	Body    io.ReadCloser
	Archive *archive.Archive // nil when the archive could not be opened
}

// Get answers GetObject (and HeadObject when in.Head) with S3's semantics:
// the conditional headers first (304/412), then Range or partNumber
// (206/416), then the object. S3 errors come back as *s3api.Error.
func (s *Service) Get(ctx context.Context, in GetInput) (*GetOutput, error) {
	obj, a, err := s.Stat(ctx, in.Key)
	if err != nil {
		return &GetOutput{Archive: a}, err
	}
	meta := s3api.ObjectMeta{
		Key:          in.Key,
		Size:         obj.Entry.Size,
		ETag:         obj.ETag(),
		LastModified: obj.Entry.ModTime,
		Mode:         uint32(obj.Entry.Mode.Perm()),
		UID:          obj.Entry.UID,
		GID:          obj.Entry.GID,
	}
	sel, err := s3api.SelectObject(in.Header, in.Query, meta)
	if err != nil {
		return &GetOutput{Status: s3api.AsError(err).Status, Header: sel.Header, Archive: a}, err
	}
	out := &GetOutput{Status: sel.Status, Header: sel.Header, Archive: a}
	if !in.Head && sel.Length > 0 {
		out.Body = obj.Reader(sel.Offset, sel.Length)
	}
	return out, nil
}
