package squash

import (
	"errors"
	"io"
	"io/fs"
	"time"
)

// FS returns the image as an io/fs file system, the way archive/zip's
// Reader is one: it implements fs.FS, fs.StatFS, fs.ReadDirFS and
// fs.ReadLinkFS, and passes testing/fstest.TestFS. Names are io/fs names
// (unrooted, slash-separated, "." for the root); Open and Stat follow
// symbolic links inside the image, Lstat and ReadLink do not. Devices,
// fifos and sockets open as empty files: the image stores no data for them.
//
// The Image's own methods are the tool the server uses (paging through a
// directory after a name, reading a span of a file); this face is for code
// written against io/fs: fs.WalkDir, http.FS, template.ParseFS, tests.
func (im *Image) FS() fs.FS { return imageFS{im} }

type imageFS struct{ im *Image }

var (
	_ fs.StatFS     = imageFS{}
	_ fs.ReadDirFS  = imageFS{}
	_ fs.ReadLinkFS = imageFS{}
)

func checkName(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return nil
}

// Open opens the named file, following symbolic links.
func (f imageFS) Open(name string) (fs.File, error) {
	if err := checkName("open", name); err != nil {
		return nil, err
	}
	e, err := f.im.Stat(name)
	if err != nil {
		return nil, err
	}
	switch {
	case e.Mode.IsDir():
		return &dirFile{im: f.im, name: name, entry: e}, nil
	case e.Mode.IsRegular():
		file, err := f.im.Open(name)
		if err != nil {
			return nil, err
		}
		return &regularFile{f: file}, nil
	}
	return &specialFile{entry: e}, nil
}

// Stat describes the named file, following symbolic links.
func (f imageFS) Stat(name string) (fs.FileInfo, error) {
	if err := checkName("stat", name); err != nil {
		return nil, err
	}
	e, err := f.im.Stat(name)
	if err != nil {
		return nil, err
	}
	return entryInfo{e}, nil
}

// Lstat describes the named file without following a final symbolic link.
func (f imageFS) Lstat(name string) (fs.FileInfo, error) {
	if err := checkName("lstat", name); err != nil {
		return nil, err
	}
	e, err := f.im.Lstat(name)
	if err != nil {
		return nil, err
	}
	return entryInfo{e}, nil
}

// ReadLink returns the target of the named symbolic link.
func (f imageFS) ReadLink(name string) (string, error) {
	if err := checkName("readlink", name); err != nil {
		return "", err
	}
	e, err := f.im.Lstat(name)
	if err != nil {
		return "", err
	}
	if e.Mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return e.Target, nil
}

// ReadDir lists the named directory in byte order of the names.
func (f imageFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := checkName("readdir", name); err != nil {
		return nil, err
	}
	ents, err := f.im.ReadDirTypes(name, "", 0)
	if err != nil {
		return nil, err
	}
	return dirEntries(f.im, ents), nil
}

func dirEntries(im *Image, ents []DirEntry) []fs.DirEntry {
	out := make([]fs.DirEntry, len(ents))
	for i, e := range ents {
		out[i] = dirEntry{im: im, e: e}
	}
	return out
}

// entryInfo is an Entry as an fs.FileInfo; Sys returns the Entry.
type entryInfo struct{ e Entry }

func (i entryInfo) Name() string       { return i.e.Name }
func (i entryInfo) Size() int64        { return i.e.Size }
func (i entryInfo) Mode() fs.FileMode  { return i.e.Mode }
func (i entryInfo) ModTime() time.Time { return i.e.ModTime }
func (i entryInfo) IsDir() bool        { return i.e.Mode.IsDir() }
func (i entryInfo) Sys() any           { return i.e }

// dirEntry reads the entry's inode only when Info is called.
type dirEntry struct {
	im *Image
	e  DirEntry
}

func (d dirEntry) Name() string      { return d.e.Name }
func (d dirEntry) IsDir() bool       { return d.e.Type.IsDir() }
func (d dirEntry) Type() fs.FileMode { return d.e.Type }
func (d dirEntry) Info() (fs.FileInfo, error) {
	e, err := d.im.EntryOf(d.e)
	if err != nil {
		return nil, err
	}
	return entryInfo{e}, nil
}

// regularFile is an open regular file: Read, Seek and ReadAt over File.
type regularFile struct {
	f   *File
	off int64
}

func (r *regularFile) Stat() (fs.FileInfo, error) { return entryInfo{r.f.Entry()}, nil }
func (r *regularFile) Close() error               { return nil }

func (r *regularFile) Read(p []byte) (int, error) {
	n, err := r.f.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *regularFile) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }

func (r *regularFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.f.Size()
	default:
		return 0, errors.New("squash: seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("squash: seek: negative position")
	}
	r.off = offset
	return offset, nil
}

// specialFile is a device, fifo or socket: attributes and no data.
type specialFile struct{ entry Entry }

func (s *specialFile) Stat() (fs.FileInfo, error) { return entryInfo{s.entry}, nil }
func (s *specialFile) Read([]byte) (int, error)   { return 0, io.EOF }
func (s *specialFile) Close() error               { return nil }

// dirFile is an open directory, read in pages through ReadDir(n).
type dirFile struct {
	im    *Image
	name  string
	entry Entry
	after string // the last name returned
	done  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return entryInfo{d.entry}, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: ErrIsDir}
}

// ReadDir returns the next n entries (all the rest when n <= 0), as
// fs.ReadDirFile specifies.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.done {
		if n > 0 {
			return nil, io.EOF
		}
		return nil, nil
	}
	ents, err := d.im.ReadDirTypes(d.name, d.after, max(n, 0))
	if err != nil {
		return nil, err
	}
	if len(ents) > 0 {
		d.after = ents[len(ents)-1].Name
	}
	if n <= 0 || len(ents) < n {
		d.done = true
	}
	if n > 0 && len(ents) == 0 {
		return nil, io.EOF
	}
	return dirEntries(d.im, ents), nil
}
