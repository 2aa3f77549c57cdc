package objects

import (
	"context"
	"iter"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

// Sources returns the sources whose keys make up the namespace under a
// listing prefix: the real objects (passthrough, may be nil) minus the keys
// that virtual prefixes shadow, and every archive. Archives are opened only
// when the listing reaches their keys, and the real objects are not listed
// at all when every key under the prefix is virtual.
func (s *Service) Sources(prefix string, passthrough s3api.Source) []s3api.Source {
	var out []s3api.Source
	if passthrough != nil && !s.allVirtual(prefix) {
		out = append(out, shadowed{src: passthrough, vmap: s.VMap})
	}
	for _, e := range s.VMap.Entries() {
		out = append(out, &archiveSource{svc: s, entry: e})
	}
	return out
}

// keyPrefix is what every key of an archive mapped at prefix starts with.
func keyPrefix(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

// shadowed hides the real objects whose keys lie under a virtual prefix:
// a GET of such a key would be answered from the archive.
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

// archiveSource lists the files of one archive under its virtual prefix.
type archiveSource struct {
	svc   *Service
	entry vmap.Entry
}

func (src *archiveSource) Objects(ctx context.Context, prefix, from string) iter.Seq2[s3api.ListEntry, error] {
	return func(yield func(s3api.ListEntry, error) bool) {
		base := keyPrefix(src.entry.Prefix)
		innerPrefix, innerFrom, ok := within(base, prefix, from)
		if !ok {
			return
		}
		a, err := src.svc.Archives.Get(ctx, archive.Ref{Bucket: src.entry.Bucket, Key: src.entry.Key})
		if err != nil {
			yield(s3api.ListEntry{}, ArchiveError(err, ""))
			return
		}
		if innerFrom < innerPrefix {
			innerFrom = innerPrefix
		}
		walk(ctx, a.Image(ctx), innerFrom, func(f file, err error) bool {
			if err != nil {
				return yield(s3api.ListEntry{}, err)
			}
			if !strings.HasPrefix(f.key, innerPrefix) {
				return false // past the prefix: keys only grow from here
			}
			key := base + f.key
			if e, _, _ := src.svc.VMap.Resolve(key); e.Prefix != src.entry.Prefix {
				return true // shadowed by a longer virtual prefix
			}
			return yield(s3api.ListEntry{
				Key:          key,
				Size:         f.entry.Size,
				ETag:         s3api.DerivedETag(a.ETag, f.entry.Inode, f.entry.Size),
				LastModified: f.entry.ModTime,
				StorageClass: "STANDARD",
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

// allVirtual reports whether every key that starts with prefix lies under a
// virtual prefix: the prefix starts with a virtual prefix and its "/".
func (s *Service) allVirtual(prefix string) bool {
	e, _, ok := s.VMap.Resolve(prefix)
	return ok && strings.HasPrefix(prefix, keyPrefix(e.Prefix))
}
