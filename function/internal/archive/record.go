package archive

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"
)

// An open record is what a process learned opening an archive from S3:
// its size, ETag and when S3 last confirmed them, the head and tail bytes,
// and whether the metadata region is in the chunk cache. Once it is, the
// tail is in the chunk cache with it, and the record keeps only where the
// tail starts: a cold process then reads the few tail pages it needs,
// checked, instead of the whole tail. It is kept next
// to the chunk cache, so a cold process on a warm shared cache (EFS) opens
// the archive with no S3 request while the record is younger than the
// revalidation interval, the same staleness a warm process accepts. Files
// are written to a temporary name and renamed, and carry a CRC-32C: a torn
// or damaged record is ignored, never trusted.
type record struct {
	Size         int64
	ETag         string
	LastModified time.Time
	Checked      time.Time // when S3 last confirmed Size and ETag
	Prefetched   bool      // the metadata region was fetched into the cache
	Head         segment
	Tail         segment
}

const (
	recordDir   = "s3archivefs/open-v1"
	recordMagic = "s3afs-open-1\n"
	// maxRecord bounds what is read back: head, tail and a little more.
	maxRecord = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func recordPath(dir string, ref Ref) string {
	h := sha256.New()
	for _, s := range []string{ref.Bucket, ref.Key} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return filepath.Join(dir, recordDir, sum[:2], sum)
}

func (r *record) marshal() []byte {
	b := []byte(recordMagic)
	b = binary.AppendVarint(b, r.Size)
	b = binary.AppendUvarint(b, uint64(len(r.ETag)))
	b = append(b, r.ETag...)
	b = binary.AppendVarint(b, r.LastModified.UnixNano())
	b = binary.AppendVarint(b, r.Checked.UnixNano())
	flag := byte(0)
	if r.Prefetched {
		flag = 1
	}
	b = append(b, flag)
	tail := r.Tail
	if r.Prefetched {
		tail.data = nil
	}
	for _, s := range []segment{r.Head, tail} {
		b = binary.AppendVarint(b, s.off)
		b = binary.AppendUvarint(b, uint64(len(s.data)))
		b = append(b, s.data...)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var errBadRecord = errors.New("archive: damaged open record")

func unmarshalRecord(b []byte) (*record, error) {
	if len(b) < len(recordMagic)+4 || string(b[:len(recordMagic)]) != recordMagic {
		return nil, errBadRecord
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errBadRecord
	}
	d := decoder{b: body[len(recordMagic):]}
	r := &record{Size: d.varint()}
	r.ETag = string(d.bytes())
	r.LastModified = time.Unix(0, d.varint()).UTC()
	r.Checked = time.Unix(0, d.varint())
	r.Prefetched = d.byte() == 1
	r.Head = segment{off: d.varint(), data: d.bytes()}
	r.Tail = segment{off: d.varint(), data: d.bytes()}
	tailEnd := r.Tail.off + int64(len(r.Tail.data))
	if d.bad || len(d.b) != 0 || r.Size <= 0 || r.Head.off != 0 || r.Tail.off < 0 || tailEnd > r.Size ||
		(tailEnd != r.Size && !(r.Prefetched && len(r.Tail.data) == 0)) {
		return nil, errBadRecord
	}
	return r, nil
}

// decoder reads the fields of a record; bad is set by any short read.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes() []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.bad = true
		return nil
	}
	out := d.b[k : k+int(n)]
	d.b = d.b[k+int(n):]
	return out
}

// readRecord returns the record of ref in dir, or an error if there is
// none or it cannot be trusted.
func readRecord(dir string, ref Ref) (*record, error) {
	f, err := os.Open(recordPath(dir, ref))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxRecord {
		return nil, errBadRecord
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return unmarshalRecord(b)
}

// writeRecord replaces the record of ref in dir atomically.
func writeRecord(dir string, ref Ref, r *record) error {
	path := recordPath(dir, ref)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(r.marshal())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("archive: open record: %w", err)
	}
	return nil
}
