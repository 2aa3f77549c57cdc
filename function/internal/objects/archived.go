package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"strings"
	"sync"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

// Archived is the Namespace of the files inside archives: every key under
// a virtual prefix. It is built once per process.
type Archived struct {
	VMap     *vmap.Map
	Archives *archive.Set
	// Owners finds the owner S3 shows for an archive object, which
	// listings show for its files; nil: listings show no owner.
	Owners OwnerLookup
	Logger *slog.Logger

	owners sync.Map // ownerKey -> *s3api.Owner (nil when it could not be learnt)
}

// OwnerLookup finds the owner of an object in S3.
type OwnerLookup func(ctx context.Context, bucket, key string) (*s3api.Owner, error)

// ObjectOwner looks owners up through ListObjectsV2 with fetch-owner (the
// function's role needs s3:ListBucket on the archive's bucket, prefix
// the archive's key).
func ObjectOwner(client ListClient) OwnerLookup {
	return func(ctx context.Context, bucket, key string) (*s3api.Owner, error) {
		for o, err := range (BucketLister{Client: client, Bucket: bucket}).Objects(ctx, key, key) {
			if err != nil {
				return nil, err
			}
			if o.Key != key {
				break
			}
			return o.Owner, nil
		}
		return nil, fmt.Errorf("objects: %s/%s is not listed", bucket, key)
	}
}

type ownerKey struct {
	ref  archive.Ref
	etag string
}

// owner is the archive object's owner, looked up once per version of the
// archive; a failed lookup is logged once and shows no owner.
func (s *Archived) owner(ctx context.Context, a *archive.Archive) *s3api.Owner {
	if s.Owners == nil {
		return nil
	}
	k := ownerKey{a.Ref, a.ETag}
	if v, ok := s.owners.Load(k); ok {
		return v.(*s3api.Owner)
	}
	o, err := s.Owners(ctx, a.Ref.Bucket, a.Ref.Key)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		s.Logger.Warn("the archive's owner is unknown: listings show none for its files", "archive", a.Ref.String(), "err", err.Error())
	}
	s.owners.Store(k, o)
	return o
}

// archivedFile is a regular file inside an archive, seen as an S3 object.
type archivedFile struct {
	info    s3api.ObjectInfo
	archive *archive.Archive
	file    *squash.File
}

func (f *archivedFile) Info() s3api.ObjectInfo { return f.info }
func (f *archivedFile) Close() error           { return nil }
func (f *archivedFile) Archive() string        { return f.archive.Ref.String() }
func (f *archivedFile) Open(_ context.Context, off, n int64) (io.ReadCloser, error) {
	return f.file.Reader(off, n), nil
}

// Object finds the file for a key under a virtual prefix. Directories,
// missing paths, and keys that are not in canonical form (empty, "." or
// ".." segments, a trailing slash) are NoSuchKey, as S3 would answer for a
// key it does not hold: a listing never shows such a key either.
func (s *Archived) Object(ctx context.Context, key string, _ Hint) (Object, error) {
	e, inner, ok := s.VMap.Resolve(key)
	if !ok {
		return nil, s3api.NoSuchKey(key)
	}
	return s.objectAt(ctx, key, e, inner)
}

// objectAt is Object for a key already resolved to entry e and the path
// inner inside its archive.
func (s *Archived) objectAt(ctx context.Context, key string, e vmap.Entry, inner string) (Object, error) {
	a, err := s.Archives.Get(ctx, archive.Ref{Bucket: e.Bucket, Key: e.Key})
	if err != nil {
		return nil, ArchiveError(err, key)
	}
	if !canonical(inner) {
		return nil, s3api.NoSuchKey(key)
	}
	f, err := a.Image(ctx).Open(inner)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, squash.ErrIsDir), errors.Is(err, squash.ErrNotDir),
		errors.Is(err, squash.ErrLoop), errors.Is(err, squash.ErrNotRegular):
		return nil, s3api.NoSuchKey(key)
	default:
		return nil, ReadError(fmt.Errorf("archive %s: %w", a.Ref, err))
	}
	ent := f.Entry()
	etag := s3api.DerivedETag(a.ETag, ent.Inode, ent.Size)
	return &archivedFile{archive: a, file: f, info: s3api.ObjectInfo{
		Key:          key,
		Size:         ent.Size,
		ETag:         etag,
		LastModified: ent.ModTime,
		ContentType:  s3api.ContentType(key),
		PartsCount:   s3api.PartsCountOf(etag),
		Metadata:     s3api.FileMetadata(uint32(ent.Mode.Perm()), ent.UID, ent.GID, ent.ModTime),
	}}, nil
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

// Sources are one listing source per archive. Archives are opened only
// when the listing reaches their keys.
func (s *Archived) Sources(prefix string) []s3api.Source {
	var out []s3api.Source
	for _, e := range s.VMap.Entries() {
		out = append(out, &archiveSource{ns: s, entry: e})
	}
	return out
}

// ArchiveError maps a failure to open the archive behind key to the S3
// error a client sees. A missing archive is a missing key for a GET; in a
// listing (key "") it is an internal error: the map names an archive that
// is not there. The archive's name goes to the log, not to the client.
func ArchiveError(err error, key string) error {
	switch {
	case errors.Is(err, context.Canceled):
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
		e := s3api.InternalError(err)
		e.Message = "The archive behind this key is not a readable squashfs archive."
		return e
	}
	return ReadError(err)
}

// ReadError maps a failure to read S3 or an archive to the error a client
// can act on: 503 SlowDown for a cause that may pass (S3 unavailable or
// throttling after the retries, a timeout), so the client retries; 500
// InternalError for one that will not (a corrupt archive), so it does not
// retry forever.
func ReadError(err error) error {
	var s3e *s3api.Error
	var src *s3src.Error
	switch {
	case errors.As(err, &s3e), errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &src) && src.Transient():
		return s3api.SlowDown(err)
	}
	return s3api.InternalError(err)
}

// archiveSource lists the files of one archive under its virtual prefix.
type archiveSource struct {
	ns    *Archived
	entry vmap.Entry
}

func (src *archiveSource) Objects(ctx context.Context, prefix, from string) iter.Seq2[s3api.ListEntry, error] {
	return func(yield func(s3api.ListEntry, error) bool) {
		base := keyPrefix(src.entry.Prefix)
		innerPrefix, innerFrom, ok := within(base, prefix, from)
		if !ok {
			return
		}
		a, err := src.ns.Archives.Get(ctx, archive.Ref{Bucket: src.entry.Bucket, Key: src.entry.Key})
		if err != nil {
			yield(s3api.ListEntry{}, ArchiveError(err, ""))
			return
		}
		if innerFrom < innerPrefix {
			innerFrom = innerPrefix
		}
		owner := src.ns.owner(ctx, a)
		walk(ctx, a.Image(ctx), innerFrom, func(f file, err error) bool {
			if err != nil {
				return yield(s3api.ListEntry{}, err)
			}
			if !strings.HasPrefix(f.key, innerPrefix) {
				return false // past the prefix: keys only grow from here
			}
			key := base + f.key
			if e, _, _ := src.ns.VMap.Resolve(key); e.Prefix != src.entry.Prefix {
				return true // shadowed by a longer virtual prefix
			}
			return yield(s3api.ListEntry{
				Key:          key,
				Size:         f.entry.Size,
				ETag:         s3api.DerivedETag(a.ETag, f.entry.Inode, f.entry.Size),
				LastModified: f.entry.ModTime,
				StorageClass: "STANDARD",
				Owner:        owner,
			}, nil)
		})
	}
}

// within translates a listing's prefix and start key into the archive's
// own key space (keys relative to base). ok is false when no key of the
// archive can match.
func within(base, prefix, from string) (innerPrefix, innerFrom string, ok bool) {
	switch {
	case strings.HasPrefix(prefix, base):
		innerPrefix = prefix[len(base):]
	case strings.HasPrefix(base, prefix):
		innerPrefix = ""
	default:
		return "", "", false
	}
	switch {
	case from <= base:
		innerFrom = ""
	case strings.HasPrefix(from, base):
		innerFrom = from[len(base):]
	default:
		return "", "", false // from sorts after every key under base
	}
	return innerPrefix, innerFrom, true
}
