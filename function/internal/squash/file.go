package squash

import (
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// maxRun bounds the compressed bytes fetched by one ReadAt of the
// underlying reader, so a large read is split into runs.
const maxRun = 8 << 20

// File is an open regular file. It is safe for concurrent use.
type File struct {
	a     *Image
	ino   *inode
	entry Entry

	nblocks int64 // full blocks, plus the tail block when there is no fragment

	mu     sync.Mutex
	blocks []dataBlock // the block list read so far
	list   *metaReader // where the rest of the block list is
}

// Open opens the named regular file, following symbolic links.
func (a *Image) Open(name string) (*File, error) {
	ino, err := a.resolve("open", name, true)
	if err != nil {
		return nil, err
	}
	if ino.isDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrIsDir}
	}
	if ino.typ != typeFile {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%v)", ErrNotRegular, ino.mode().Type())}
	}
	bs := int64(a.info.BlockSize)
	f := &File{a: a, ino: ino, entry: ino.entry(baseName(name)), nblocks: ino.size / bs}
	if ino.frag == noFragment && ino.size%bs != 0 {
		f.nblocks++
	}
	if ino.frag != noFragment && ino.size%bs == 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: corruptf("fragment for a file of whole blocks")}
	}
	return f, nil
}

// Entry describes the file.
func (f *File) Entry() Entry { return f.entry }

// Size is the file's length in bytes.
func (f *File) Size() int64 { return f.ino.size }

// blockList returns the stored blocks 0..i, reading the list from the
// inode table as far as needed. Reading it lazily keeps memory in
// proportion to the offsets actually read, whatever size the inode claims.
func (f *File) blockList(i int64) ([]dataBlock, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i < int64(len(f.blocks)) {
		return f.blocks[:i+1], nil
	}
	a := f.a
	if f.list == nil {
		m, err := a.newMetaReader(f.ino.listBlock, f.ino.listOffset, a.info.DirectoryTableStart)
		if err != nil {
			return nil, fmt.Errorf("squash: block list: %w", err)
		}
		f.list = m
	}
	next := f.ino.blocksStart
	if n := len(f.blocks); n > 0 {
		next = f.blocks[n-1].start + f.blocks[n-1].size
	}
	for int64(len(f.blocks)) <= i {
		w, err := f.list.u32()
		if err != nil {
			return nil, fmt.Errorf("squash: block list: %w", err)
		}
		b, err := a.checkBlock(next, w)
		if err != nil {
			return nil, err
		}
		f.blocks = append(f.blocks, b)
		next += b.size
	}
	return f.blocks[:i+1], nil
}

// blockLen is the decompressed length of block i.
func (f *File) blockLen(i int64) int64 {
	bs := int64(f.a.info.BlockSize)
	return min(bs, f.ino.size-i*bs)
}

// ReadAt reads len(p) bytes at off, with io.ReaderAt semantics.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.entry.Name, Err: fs.ErrInvalid}
	}
	if off >= f.ino.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.ino.size-off))
	if err := f.read(p[:n], off); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// read fills p from [off, off+len(p)), which lies inside the file. Runs
// of adjacent stored blocks are fetched with one ReadAt each; blocks of a
// run are decompressed concurrently, straight into p when they fit.
func (f *File) read(p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	bs := int64(f.a.info.BlockSize)
	first, last := off/bs, (off+int64(len(p))-1)/bs
	// copyOut places block i's bytes (starting at file offset i*bs) into p.
	copyOut := func(i int64, data []byte) {
		bstart := i * bs
		lo := max(off, bstart)
		hi := min(off+int64(len(p)), bstart+int64(len(data)))
		copy(p[lo-off:hi-off], data[lo-bstart:hi-bstart])
	}
	clearOut := func(i int64) {
		lo := max(off, i*bs)
		hi := min(off+int64(len(p)), i*bs+f.blockLen(i))
		clear(p[lo-off : hi-off])
	}
	dataLast := min(last, f.nblocks-1)
	if first <= dataLast {
		blocks, err := f.blockList(dataLast)
		if err != nil {
			return err
		}
		for i := first; i <= dataLast; {
			b := blocks[i]
			if b.sparse() {
				clearOut(i)
				i++
				continue
			}
			j := i // extend the run over adjacent stored blocks
			for j+1 <= dataLast && !blocks[j+1].sparse() && blocks[j+1].start-b.start+blocks[j+1].size <= maxRun {
				j++
			}
			if err := f.readRun(p, off, blocks, i, j); err != nil {
				return err
			}
			i = j + 1
		}
	}
	if last >= f.nblocks && f.ino.frag != noFragment {
		tail, err := f.tail()
		if err != nil {
			return err
		}
		copyOut(f.nblocks, tail)
	}
	return nil
}

// readRun fetches blocks i..j with one read and decodes them, up to
// GOMAXPROCS at a time. A block that lies wholly inside p is decoded
// straight into it; the others (the first and last of an unaligned read)
// through a pooled buffer.
func (f *File) readRun(p []byte, off int64, blocks []dataBlock, i, j int64) error {
	a := f.a
	bs := int64(a.info.BlockSize)
	start := blocks[i].start
	src := make([]byte, blocks[j].start+blocks[j].size-start)
	if err := a.readAt(src, start); err != nil {
		return fmt.Errorf("squash: data blocks at %d: %w", start, err)
	}
	decodeOne := func(k int64) error {
		b := blocks[k]
		want := f.blockLen(k)
		bstart := k * bs
		lo, hi := max(off, bstart), min(off+int64(len(p)), bstart+want)
		var dst []byte
		if lo == bstart && hi == bstart+want {
			// The full slice expression keeps a decoder from writing past
			// this block into its neighbours.
			dst = p[lo-off : hi-off : hi-off]
		} else {
			bp := a.bufs.Get().(*[]byte)
			defer a.bufs.Put(bp)
			dst = (*bp)[: want : want+codec.DstSlack]
		}
		n, err := a.decode(dst, src[b.start-start:b.start-start+b.size], b)
		if err != nil {
			return err
		}
		if int64(n) != want {
			return corruptf("block %d of %q: %d bytes, want %d", k, f.entry.Name, n, want)
		}
		if &dst[0] != &p[lo-off] {
			copy(p[lo-off:hi-off], dst[lo-bstart:hi-bstart])
		}
		return nil
	}
	if i == j {
		return decodeOne(i)
	}
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for k := i; k <= j; k++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := decodeOne(k); err != nil {
				errMu.Lock()
				if first == nil {
					first = err
				}
				errMu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// tail returns the file's last partial block from its fragment.
func (f *File) tail() ([]byte, error) {
	n := f.ino.size % int64(f.a.info.BlockSize)
	return f.a.fragmentPart(f.ino.frag, int64(f.ino.fragOffset), n, f.entry.Name)
}

// Reader streams [off, off+n) of the file (clipped to its size), reading
// and decoding ahead of the caller on up to GOMAXPROCS cores with bounded
// memory (see stream). Close stops the read-ahead.
func (f *File) Reader(off, n int64) io.ReadCloser {
	off = max(off, 0)
	end := min(off+max(n, 0), f.ino.size)
	return newStream(f, off, end)
}
