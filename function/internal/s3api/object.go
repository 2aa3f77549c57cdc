package s3api

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path"
	"strconv"
	"strings"
	"time"
)

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

// ContentType guesses an object's Content-Type from its key's extension
// with the built-in table alone, else DefaultContentType: the answer must
// not depend on the host (Go's mime package reads /etc/mime.types, which a
// developer's machine has and Lambda has not).
func ContentType(key string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(key))]; ok {
		return t
	}
	return DefaultContentType
}

// FileMetadata is the user metadata of a file inside an archive: its inode's
// attributes the way s3fs-fuse and other S3 file system tools store them,
// so they read them back: mode as the decimal st_mode of a regular file,
// uid and gid in decimal, mtime in Unix seconds.
func FileMetadata(mode, uid, gid uint32, mtime time.Time) map[string]string {
	const regularFile = 0o100000 // S_IFREG: symlinks are followed, directories are not objects
	return map[string]string{
		"mode":  strconv.FormatUint(uint64(regularFile|mode&0o7777), 10),
		"uid":   strconv.FormatUint(uint64(uid), 10),
		"gid":   strconv.FormatUint(uint64(gid), 10),
		"mtime": strconv.FormatInt(mtime.Unix(), 10),
	}
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
