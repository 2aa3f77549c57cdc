package s3api

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// ObjectMeta describes a file inside an archive as an S3 object.
type ObjectMeta struct {
	Key          string
	Size         int64
	ETag         string // quoted or not; rendered quoted
	LastModified time.Time
	// Mode holds the permission bits; UID, GID the owner.
	Mode, UID, GID uint32
	// ContentType overrides the type guessed from the key's extension.
	ContentType string
}

// Selection is what a GET or HEAD of an object answers: the status, S3's
// headers, and the byte span of the object to send.
type Selection struct {
	Status         int
	Header         http.Header
	Offset, Length int64
}

// maxPartNumber is the highest part number S3 accepts.
const maxPartNumber = 10000

// SelectObject applies a GET or HEAD request's Range, partNumber and
// conditional headers to an object, in S3's order:
//
//  1. partNumber must be an integer in [1, 10000] (400 InvalidArgument),
//     and cannot come with a Range (400 InvalidRequest, "Cannot specify
//     both Range header and partNumber query parameter").
//  2. Conditional headers (412 PreconditionFailed, 304 NotModified).
//  3. partNumber=1 of a single-part object is the whole object as a 206
//     with Content-Range (200 when the object is empty: no range can
//     describe it); partNumber>1 is 416 InvalidPartNumber. A single-part
//     object has no x-amz-mp-parts-count (S3 sends it only for objects
//     uploaded in parts).
//  4. Range (see ParseRange): 206 with Content-Range, or 416 InvalidRange
//     with "Content-Range: bytes */size".
//
// Object Lambda passes a Range given as a query parameter in the URL
// (S3 user guide, "Working with Range and partNumber headers"), so a
// "Range" query parameter counts when the header is absent.
//
// On error, the Selection still carries the headers that go with it: ETag
// and Last-Modified for 304, Content-Range for 416.
func SelectObject(h http.Header, query url.Values, meta ObjectMeta) (Selection, error) {
	rangeHeader := h.Get("Range")
	if rangeHeader == "" {
		rangeHeader = query.Get("Range")
	}
	part := 0
	if pv, has := query["partNumber"]; has {
		v := ""
		if len(pv) > 0 {
			v = pv[0]
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPartNumber {
			return Selection{}, InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
		}
		if rangeHeader != "" {
			return Selection{}, InvalidRequest("Cannot specify both Range header and partNumber query parameter")
		}
		part = n
	}

	if err := EvalConditions(ConditionsFrom(h), meta.ETag, meta.LastModified); err != nil {
		sel := Selection{Status: err.Status, Header: http.Header{}}
		if err.Status == http.StatusNotModified {
			sel.Header.Set("ETag", quoteETag(meta.ETag))
			sel.Header.Set("Last-Modified", meta.LastModified.UTC().Format(http.TimeFormat))
		}
		return sel, err
	}

	switch {
	case part > 1:
		return Selection{Status: http.StatusRequestedRangeNotSatisfiable, Header: http.Header{}}, InvalidPartNumber(part, 1)
	case part == 1 && meta.Size > 0:
		r := Range{Start: 0, Length: meta.Size}
		return Selection{Status: http.StatusPartialContent, Header: ObjectHeaders(meta, &r), Length: r.Length}, nil
	case part == 1:
		return Selection{Status: http.StatusOK, Header: ObjectHeaders(meta, nil)}, nil
	}

	r, ok, err := ParseRange(rangeHeader, meta.Size)
	switch {
	case err != nil:
		hdr := http.Header{}
		hdr.Set("Content-Range", "bytes */"+strconv.FormatInt(meta.Size, 10))
		return Selection{Status: http.StatusRequestedRangeNotSatisfiable, Header: hdr}, err
	case ok:
		return Selection{Status: http.StatusPartialContent, Header: ObjectHeaders(meta, &r), Offset: r.Start, Length: r.Length}, nil
	}
	return Selection{Status: http.StatusOK, Header: ObjectHeaders(meta, nil), Length: meta.Size}, nil
}

// ObjectHeaders are the response headers of a GET or HEAD of the object,
// or of the range r of it.
//
// The inode's attributes go out as user metadata the way s3fs-fuse and
// other S3 file system tools store them, so they read them back: mode as
// the decimal st_mode of a regular file, uid and gid in decimal, mtime in
// Unix seconds.
func ObjectHeaders(meta ObjectMeta, r *Range) http.Header {
	h := http.Header{}
	length := meta.Size
	if r != nil {
		length = r.Length
		h.Set("Content-Range", r.ContentRange(meta.Size))
	}
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	ct := meta.ContentType
	if ct == "" {
		ct = ContentType(meta.Key)
	}
	h.Set("Content-Type", ct)
	h.Set("ETag", quoteETag(meta.ETag))
	h.Set("Last-Modified", meta.LastModified.UTC().Format(http.TimeFormat))
	const regularFile = 0o100000 // S_IFREG: symlinks are followed, directories are not objects
	h.Set("X-Amz-Meta-Mode", strconv.FormatUint(uint64(regularFile|meta.Mode&0o7777), 10))
	h.Set("X-Amz-Meta-Uid", strconv.FormatUint(uint64(meta.UID), 10))
	h.Set("X-Amz-Meta-Gid", strconv.FormatUint(uint64(meta.GID), 10))
	h.Set("X-Amz-Meta-Mtime", strconv.FormatInt(meta.LastModified.Unix(), 10))
	return h
}

// DefaultContentType is what S3 reports for an object stored without a
// Content-Type; an archived file of unknown type looks the same.
const DefaultContentType = "binary/octet-stream"

// contentTypes maps the extensions we see most to types, so the answer
// does not depend on the host's mime.types (Lambda has none).
var contentTypes = map[string]string{
	".txt": "text/plain", ".md": "text/markdown", ".rst": "text/x-rst", ".csv": "text/csv",
	".tsv": "text/tab-separated-values", ".html": "text/html", ".htm": "text/html", ".css": "text/css",
	".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".xml": "application/xml",
	".yaml": "application/yaml", ".yml": "application/yaml", ".pdf": "application/pdf",
	".zip": "application/zip", ".gz": "application/gzip", ".tgz": "application/gzip", ".tar": "application/x-tar",
	".bz2": "application/x-bzip2", ".xz": "application/x-xz", ".zst": "application/zstd", ".7z": "application/x-7z-compressed",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".svg": "image/svg+xml", ".ico": "image/vnd.microsoft.icon", ".tif": "image/tiff", ".tiff": "image/tiff",
	".mp3": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac", ".mp4": "video/mp4", ".webm": "video/webm",
	".wasm": "application/wasm", ".parquet": "application/vnd.apache.parquet",
	".sh": "text/x-shellscript", ".py": "text/x-python", ".c": "text/x-c", ".h": "text/x-c", ".go": "text/x-go",
}

// ContentType guesses an object's Content-Type from its key's extension:
// the built-in table, then the standard library's, else
// DefaultContentType.
func ContentType(key string) string {
	ext := strings.ToLower(path.Ext(key))
	if ext == "" {
		return DefaultContentType
	}
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return DefaultContentType
}

// DerivedETag is the entity tag of a file inside an archive: a digest of
// the archive's ETag and the file's inode number and size, so it is the
// same in every process and changes when the archive is replaced. It is
// returned quoted.
//
// It carries a "-1" part-count suffix, the form of a multipart upload's
// ETag, on purpose: clients treat a plain 32-hex ETag as the MD5 of the
// body and verify it (rclone, the AWS SDK for Java v1), which this digest
// is not. With the suffix they skip that check, as for any multipart
// object.
func DerivedETag(archiveETag string, inode uint32, size int64) string {
	h := sha256.New()
	h.Write([]byte("s3archivefs/etag/v1\x00"))
	h.Write([]byte(unquote(archiveETag)))
	var b [13]byte
	b[0] = 0
	binary.BigEndian.PutUint32(b[1:5], inode)
	binary.BigEndian.PutUint64(b[5:13], uint64(size))
	h.Write(b[:])
	sum := h.Sum(nil)
	return `"` + hex.EncodeToString(sum[:16]) + `-1"`
}
