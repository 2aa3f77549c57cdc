// Package objects is the core of s3archivefs: one namespace of S3 objects
// made of the files inside archives (under the virtual prefixes of the
// VMAP) and the real objects (every other key), answered with S3's rules
// whichever front asked. It holds the only "virtual or real" decision
// (Router) and applies conditionals, Range and partNumber, the response-*
// overrides, the listing merge and the error mapping once, for both kinds
// of object (Serve).
//
// # How a front uses it
//
//  1. Decode the transport into a typed request:
//     req, err := s3api.ParseRequest(op, bucket, key, query, header)
//     (for net/http: op from the method and the query, "list-type=2" for
//     V2; bucket and key from the path or host, the key path-unescaped;
//     query = r.URL.Query(); header = r.Header). A non-nil err is already
//     the S3 error to answer: s3api.ErrorAnswer(err).
//  2. Build the namespace once per process, or per request when the real
//     objects depend on the request (Object Lambda's presigned URL):
//     ns := objects.Router{VMap: m, Archived: archived, Real: real}
//     where archived is an *objects.Archived built at init, and real is any
//     Namespace of real objects, nil when there are none.
//  3. Call the core: ans := objects.Serve(ctx, ns, req). It never returns
//     nil, and it has already read the first bytes of a GET's body, so a
//     failure before the first byte is an error answer (503 SlowDown or 500
//     InternalError), never a broken stream.
//  4. Encode the answer: ans.Status; ans.Header() are S3's response headers
//     (for 200, 206, 304, and Content-Range on a 416); ans.Err.XML(resource,
//     requestID) is the error document (nil for none); ans.List.XML() is a
//     listing's body; ans.Body (GET only, may be nil) streams the bytes and
//     must be closed. If ans.Body fails mid-stream, cut the connection: the
//     status is out and a clean end would pass short data for whole.
//
// # Another implementation of the real objects
//
// A Namespace has two methods. Object(ctx, key, hint) finds one object and
// returns its ObjectInfo (size, ETag, Last-Modified, content headers, user
// metadata, PartsCount from a "-N" ETag) and a way to open a span of it;
// errors are *s3api.Error values (s3api.NoSuchKey, s3api.AccessDenied,
// s3api.ForStatus for an S3 answer that names no code; anything else
// becomes InternalError). The hint says whether the request is a HEAD and
// which Range it asks for, so an implementation that must make a request to
// learn the metadata can fetch the bytes in the same request (see
// Presigned). Sources(prefix) returns the listing sources, each yielding
// s3api.ListEntry values in byte order of their keys from a start key
// (BucketLister does this for any bucket or access point through
// ListObjectsV2, so a role-based implementation can reuse it). Keys under
// a virtual prefix never reach Real: Router shadows them.
package objects

import (
	"context"
	"io"
	"iter"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

// Namespace is one set of S3 objects: the files inside archives, the real
// objects, or both composed by Router.
type Namespace interface {
	// Object finds the object at key.
	Object(ctx context.Context, key string, hint Hint) (Object, error)
	// Sources are the listing sources of the objects whose keys may start
	// with prefix.
	Sources(prefix string) []s3api.Source
}

// Hint tells a Namespace what the request will read of the object.
type Hint struct {
	Head  bool   // only the metadata
	Range string // the request's Range, "" for all of it
}

// Object is one object found in a Namespace.
type Object interface {
	Info() s3api.ObjectInfo
	// Open streams [off, off+n) of the object; it is called at most once.
	Open(ctx context.Context, off, n int64) (io.ReadCloser, error)
	// Close releases what Object holds (an answer read ahead); it may be
	// called after Open.
	Close() error
	// Archive names the archive behind the object ("" for a real object),
	// for the request log.
	Archive() string
}

// Router is the VMAP router: the one place that decides whether a key is
// a file inside an archive (under a virtual prefix) or a real object.
type Router struct {
	VMap     *vmap.Map
	Archived Namespace
	Real     Namespace // nil: only virtual keys exist
}

// Object routes key to the archives or to the real objects.
func (r Router) Object(ctx context.Context, key string, hint Hint) (Object, error) {
	if e, inner, virtual := r.VMap.Resolve(key); virtual {
		if a, ok := r.Archived.(*Archived); ok {
			return a.objectAt(ctx, key, e, inner) // resolved once per request
		}
		return r.Archived.Object(ctx, key, hint)
	}
	if r.Real == nil {
		return nil, s3api.NoSuchKey(key)
	}
	return r.Real.Object(ctx, key, hint)
}

// Sources are the real objects minus the keys that virtual prefixes
// shadow, then the archives. The real objects are not listed at all when
// every key under the prefix is virtual.
func (r Router) Sources(prefix string) []s3api.Source {
	var out []s3api.Source
	if r.Real != nil && !r.allVirtual(prefix) {
		for _, s := range r.Real.Sources(prefix) {
			out = append(out, shadowed{src: s, vmap: r.VMap})
		}
	}
	return append(out, r.Archived.Sources(prefix)...)
}

// allVirtual reports whether every key that starts with prefix lies under a
// virtual prefix: the prefix starts with a virtual prefix and its "/".
func (r Router) allVirtual(prefix string) bool {
	e, _, ok := r.VMap.Resolve(prefix)
	return ok && strings.HasPrefix(prefix, keyPrefix(e.Prefix))
}

// keyPrefix is what every key of an archive mapped at prefix starts with.
func keyPrefix(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

// shadowed hides the real objects whose keys lie under a virtual prefix:
// a GET of such a key is answered from the archive.
type shadowed struct {
	src  s3api.Source
	vmap *vmap.Map
}

func (s shadowed) Objects(ctx context.Context, prefix, from string) iter.Seq2[s3api.ListEntry, error] {
	return func(yield func(s3api.ListEntry, error) bool) {
		for o, err := range s.src.Objects(ctx, prefix, from) {
			if err == nil {
				if _, _, virtual := s.vmap.Resolve(o.Key); virtual {
					continue
				}
			}
			if !yield(o, err) {
				return
			}
		}
	}
}
