// Package objects is the transport-free core of s3archivefs: it routes S3
// keys through the virtual prefix map to files inside archives, answers
// GetObject/HeadObject with S3's semantics, and lists the merged namespace.
//
// It does not know whether it was reached from an Object Lambda event, the
// CLI or a local HTTP front; keys outside every virtual prefix are the
// caller's to pass through.
package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

// Service answers for the virtual namespace.
type Service struct {
	VMap     *vmap.Map
	Archives *archive.Set
	Logger   *slog.Logger
}

// Route reports whether key lies under a virtual prefix, and if so which
// archive holds it and the path inside it.
func (s *Service) Route(key string) (e vmap.Entry, inner string, ok bool) {
	return s.VMap.Resolve(key)
}

// ArchivedFile is a regular file inside an archive, seen as an S3 object.
type ArchivedFile struct {
	Key     string
	Archive *archive.Archive
	Entry   squash.Entry // the file's entry (a symlink's target)
	file    *squash.File
}

// ETag is the object's entity tag: stable across processes, and changed
// whenever the archive is replaced.
func (o *ArchivedFile) ETag() string {
	return s3api.DerivedETag(o.Archive.ETag, o.Entry.Inode, o.Entry.Size)
}

// Reader streams [off, off+n) of the object.
func (o *ArchivedFile) Reader(off, n int64) io.ReadCloser { return o.file.Reader(off, n) }

// Stat finds the object for a key under a virtual prefix. Directories,
// missing paths, and keys that are not in canonical form (empty, "." or
// ".." segments, a trailing slash) are NoSuchKey, as S3 would answer for a
// key it does not hold.
func (s *Service) Stat(ctx context.Context, key string) (*ArchivedFile, *archive.Archive, error) {
	e, inner, ok := s.VMap.Resolve(key)
	if !ok {
		return nil, nil, fmt.Errorf("objects: key %q is outside every virtual prefix", key)
	}
	a, err := s.Archives.Get(ctx, archive.Ref{Bucket: e.Bucket, Key: e.Key})
	if err != nil {
		return nil, nil, ArchiveError(err, key)
	}
	if !canonical(inner) {
		return nil, a, s3api.NoSuchKey(key)
	}
	fsys := a.Image(ctx)
	f, err := fsys.Open(inner)
	switch {
	case err == nil:
		return &ArchivedFile{Key: key, Archive: a, Entry: f.Entry(), file: f}, a, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, squash.ErrIsDir), errors.Is(err, squash.ErrNotDir),
		errors.Is(err, squash.ErrLoop), errors.Is(err, squash.ErrNotRegular):
		return nil, a, s3api.NoSuchKey(key)
	case ctx.Err() != nil:
		return nil, a, ctx.Err()
	default:
		// The cause (naming the archive) is logged, never sent.
		return nil, a, s3api.InternalError(fmt.Errorf("archive %s: %w", a.Ref, err))
	}
}

// canonical reports whether inner names a file the way a listing would
// spell it.
func canonical(inner string) bool {
	if inner == "" {
		return false
	}
	for seg := range strings.SplitSeq(inner, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// ArchiveError maps a failure to open the archive behind key to the S3
// error a client sees. A missing archive is a missing key for a GET; in a
// listing (key "") it is an internal error: the map names an archive that
// is not there. The archive's name goes to the log, not to the client.
func ArchiveError(err error, key string) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, s3src.ErrNotFound) && key != "":
		e := s3api.NoSuchKey(key)
		e.Cause = err
		return e
	case errors.Is(err, s3src.ErrNotFound):
		return s3api.InternalError(err)
	case errors.Is(err, s3src.ErrAccessDenied):
		return s3api.AccessDenied(err)
	case errors.Is(err, archive.ErrNotSquashfs):
		return &s3api.Error{Code: "InternalError", Status: 500,
			Message: "The archive behind this key is not a readable squashfs archive.", Cause: err}
	}
	return s3api.ServiceUnavailable(err)
}
