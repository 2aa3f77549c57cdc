package squash

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// Options configure Open.
type Options struct {
	Engine     codec.Engine // nil: codec.Go
	CacheBytes int64        // bound of the in-memory LRU of decompressed metadata and fragment blocks; 0: 32 MiB
	// Budget is shared by every archive opened with it (one per process);
	// nil gives the archive a budget of CacheBytes of its own.
	Budget *Budget
	// Fragments, if set, keeps the decoded fragment blocks (the small
	// files) beyond the process.
	Fragments BlockStore
	// Decoders bounds the blocks one stream decodes at once; 0: GOMAXPROCS.
	// A process whose cores have nothing else to do may set more (see
	// docs/decisions.md); where the cores also carry the answer's
	// transport, as in the function, more cost more than they gain.
	Decoders int
}

const defaultCacheBytes = 32 << 20

// maxOptions bounds the compressor options block (the largest, gzip's and
// xz's, are 8 bytes).
const maxOptions = 64

// Image is an open squashfs image. It is safe for concurrent use.
type Image struct {
	r io.ReaderAt
	*tables
}

// tables is what every view of one archive shares.
type tables struct {
	info     Info
	size     int64 // readable bytes: min(object size, BytesUsed)
	dec      codec.Decoder
	cache    *blockCache
	frags    BlockStore // nil: none
	decoders int        // Options.Decoders
	ids      []uint32
	fragPtrs []int64 // positions of the fragment table's metadata blocks
	root     *inode
	bufs     sync.Pool // of *[]byte, block-sized scratch buffers
}

// Open reads the superblock, compressor options, id table and fragment
// table index of the archive of the given size read through r.
func Open(r io.ReaderAt, size int64, opts Options) (*Image, error) {
	var sb [SuperblockSize]byte
	if err := readFull(r, sb[:], 0); err != nil {
		return nil, fmt.Errorf("squash: superblock: %w", err)
	}
	info, err := ParseSuperblock(sb[:])
	if err != nil {
		return nil, err
	}
	if info.BytesUsed > size {
		return nil, corruptf("archive of %d bytes claims %d bytes used (truncated?)", size, info.BytesUsed)
	}
	engine := opts.Engine
	if engine == nil {
		engine = codec.Go
	}
	cacheBytes := opts.CacheBytes
	if cacheBytes <= 0 {
		cacheBytes = defaultCacheBytes
	}
	budget := opts.Budget
	if budget == nil {
		budget = NewBudget(cacheBytes)
	}
	t := &tables{info: info, size: info.BytesUsed, cache: budget.newBlockCache(cacheBytes), frags: opts.Fragments, decoders: opts.Decoders}
	opened := false
	defer func() {
		if !opened { // a failed open must not keep a share of the budget
			t.cache.release()
		}
	}()
	t.bufs.New = func() any { b := make([]byte, info.BlockSize, int(info.BlockSize)+codec.DstSlack); return &b }
	a := &Image{r: r, tables: t}

	var options []byte
	if info.Flags&flagCompressorOptions != 0 {
		// An uncompressed metadata block after the superblock. It cannot
		// be compressed: the decoder depends on it.
		var buf [2 + maxOptions]byte
		n := min(int64(len(buf)), info.InodeTableStart-SuperblockSize)
		if err := a.readAt(buf[:n], SuperblockSize); err != nil {
			return nil, fmt.Errorf("squash: compressor options: %w", err)
		}
		h := binary.LittleEndian.Uint16(buf[:])
		size := int64(h & 0x7fff)
		if h&0x8000 == 0 || size == 0 || size > n-2 {
			return nil, corruptf("compressor options block header %#x", h)
		}
		options = buf[2 : 2+size]
	}
	if t.dec, err = engine.NewDecoder(info.Compressor, options); err != nil {
		return nil, fmt.Errorf("squash: %s engine: %w", engine.Name(), err)
	}
	if err := a.loadIDs(); err != nil {
		return nil, err
	}
	if err := a.loadFragmentIndex(); err != nil {
		return nil, err
	}
	if t.root, err = a.readInode(info.RootInode); err != nil {
		return nil, fmt.Errorf("squash: root inode: %w", err)
	}
	if !t.root.isDir() {
		return nil, corruptf("root inode is not a directory")
	}
	opened = true
	return a, nil
}

// Release gives the archive's cached blocks back to its budget. The
// archive (and every view of it) stays readable, without a block cache:
// call it when the archive is closed, while requests may still be
// finishing with it.
func (a *Image) Release() { a.cache.release() }

// TablesBytes is what the archive holds in memory besides its block cache
// (the id table and the fragment table's index), for its owner to pin.
func (a *Image) TablesBytes() int64 { return int64(4*cap(a.ids) + 8*cap(a.fragPtrs)) }

// Info returns what the superblock says.
func (a *Image) Info() Info { return a.info }

// WithReader returns a view of the archive reading the same bytes through
// r (for example bound to one request's context). It shares a's tables and
// block cache.
func (a *Image) WithReader(r io.ReaderAt) *Image { return &Image{r: r, tables: a.tables} }

func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// readAt reads p at off, which must lie inside the archive.
func (a *Image) readAt(p []byte, off int64) error {
	if off < 0 || off > a.size || int64(len(p)) > a.size-off {
		return corruptf("read of %d bytes at %d beyond the archive's %d bytes", len(p), off, a.size)
	}
	return readFull(a.r, p, off)
}

// readMetaBlock reads the metadata block at off, which must end before
// limit, and returns its data (uncompressed) and the next block's offset.
func (a *Image) readMetaBlock(off, limit int64) ([]byte, int64, error) {
	limit = min(limit, a.size)
	if off < SuperblockSize || off+2 > limit {
		return nil, 0, corruptf("metadata block at %d outside its table (ends at %d)", off, limit)
	}
	// One read for header and body: the ReaderAt may be remote.
	buf := make([]byte, min(2+metaBlockSize, limit-off))
	if err := a.readAt(buf, off); err != nil {
		return nil, 0, fmt.Errorf("squash: metadata block at %d: %w", off, err)
	}
	h := binary.LittleEndian.Uint16(buf)
	n := int(h & 0x7fff)
	if n == 0 || n > metaBlockSize || 2+n > len(buf) {
		return nil, 0, corruptf("metadata block at %d: stored size %d", off, n)
	}
	body := buf[2 : 2+n]
	next := off + 2 + int64(n)
	if h&0x8000 != 0 {
		return body, next, nil
	}
	dst := make([]byte, metaBlockSize, metaBlockSize+codec.DstSlack)
	m, err := a.dec.Decode(dst, body)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: metadata block at %d: %w", ErrCorrupt, off, err)
	}
	return dst[:m], next, nil
}

// metaBlock is readMetaBlock through the block cache.
func (a *Image) metaBlock(off, limit int64) (cached, error) {
	return a.cache.get(kindMeta, off, func() (cached, error) {
		data, next, err := a.readMetaBlock(off, limit)
		return cached{data: data, next: next}, err
	})
}

// metaReader reads a byte stream that runs across metadata blocks.
type metaReader struct {
	a     *Image
	limit int64 // end of the table
	data  []byte
	off   int   // position in data
	cur   int64 // the block data came from
	next  int64 // the block after data
}

// newMetaReader starts at block blk (absolute offset) and offset off in it.
func (a *Image) newMetaReader(blk int64, off int, limit int64) (*metaReader, error) {
	m := &metaReader{a: a, limit: limit}
	if err := m.load(blk); err != nil {
		return nil, err
	}
	if off > len(m.data) {
		return nil, corruptf("offset %d past metadata block of %d bytes at %d", off, len(m.data), blk)
	}
	m.off = off
	return m, nil
}

func (m *metaReader) load(blk int64) error {
	c, err := m.a.metaBlock(blk, m.limit)
	if err != nil {
		return err
	}
	m.data, m.off, m.cur, m.next = c.data, 0, blk, c.next
	return nil
}

// bytes returns the next n bytes. The result may alias the cache: read only.
func (m *metaReader) bytes(n int) ([]byte, error) {
	if len(m.data)-m.off >= n {
		b := m.data[m.off : m.off+n]
		m.off += n
		return b, nil
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		if m.off == len(m.data) {
			if err := m.load(m.next); err != nil {
				return nil, err
			}
		}
		k := min(n-len(out), len(m.data)-m.off)
		out = append(out, m.data[m.off:m.off+k]...)
		m.off += k
	}
	return out, nil
}

func (m *metaReader) u32() (uint32, error) {
	b, err := m.bytes(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// lookupTable reads the array of metadata block positions of a lookup
// table (ids, fragments) holding count entries of entrySize bytes.
func (a *Image) lookupTable(name string, start int64, count, entrySize int) ([]int64, error) {
	blocks := (count*entrySize + metaBlockSize - 1) / metaBlockSize
	if int64(blocks)*8 > a.size-start {
		return nil, corruptf("%s table of %d entries does not fit in the archive", name, count)
	}
	raw := make([]byte, 8*blocks)
	if err := a.readAt(raw, start); err != nil {
		return nil, fmt.Errorf("squash: %s table: %w", name, err)
	}
	ptrs := make([]int64, blocks)
	for i := range ptrs {
		p := binary.LittleEndian.Uint64(raw[8*i:])
		// The blocks precede their index and follow the directory table.
		if p < uint64(a.info.DirectoryTableStart) || p >= uint64(start) {
			return nil, corruptf("%s table block %d at %d outside [%d, %d)", name, i, p, a.info.DirectoryTableStart, start)
		}
		ptrs[i] = int64(p)
	}
	return ptrs, nil
}

func (a *Image) loadIDs() error {
	n := int(a.info.IDs)
	ptrs, err := a.lookupTable("id", a.info.IDTableStart, n, 4)
	if err != nil {
		return err
	}
	ids := make([]uint32, 0, n)
	for _, p := range ptrs {
		data, _, err := a.readMetaBlock(p, a.info.IDTableStart)
		if err != nil {
			return fmt.Errorf("squash: id table: %w", err)
		}
		for i := 0; i+4 <= len(data) && len(ids) < n; i += 4 {
			ids = append(ids, binary.LittleEndian.Uint32(data[i:]))
		}
	}
	if len(ids) != n {
		return corruptf("id table holds %d of %d ids", len(ids), n)
	}
	a.ids = ids
	return nil
}

const fragEntrySize = 16

func (a *Image) loadFragmentIndex() error {
	if a.info.Fragments == 0 {
		return nil
	}
	ptrs, err := a.lookupTable("fragment", a.info.FragmentTableStart, int(a.info.Fragments), fragEntrySize)
	if err != nil {
		return err
	}
	a.fragPtrs = ptrs
	return nil
}

// fragmentPart returns the n bytes at off of fragment block i (the tail
// of the file name): from the block cache, else from the block store
// (just those bytes), else from the block decoded, which then goes to
// both.
func (a *Image) fragmentPart(i uint32, off, n int64, name string) ([]byte, error) {
	blk, err := a.fragmentBlock(i)
	if err != nil {
		return nil, err
	}
	if c, ok := a.cache.peek(kindFragment, blk.start); ok && off >= 0 && off <= int64(len(c.data))-n {
		return c.data[off : off+n], nil
	}
	if a.frags != nil && n <= int64(a.info.BlockSize) {
		p := make([]byte, n)
		if a.frags.ReadAt(blk.start, p, off) {
			return p, nil
		}
	}
	v, err := a.cache.get(kindFragment, blk.start, func() (cached, error) {
		dst := make([]byte, a.info.BlockSize, int(a.info.BlockSize)+codec.DstSlack)
		m, err := a.decodeBlock(dst, blk)
		if err == nil && a.frags != nil {
			a.frags.Store(blk.start, dst[:m:m])
		}
		return cached{data: dst[:m:m]}, err
	})
	if err != nil {
		return nil, err
	}
	if off+n > int64(len(v.data)) {
		return nil, corruptf("tail of %q: %d bytes at %d of a %d-byte fragment", name, n, off, len(v.data))
	}
	return v.data[off : off+n], nil
}

// fragmentBlock returns where fragment block i is stored.
func (a *Image) fragmentBlock(i uint32) (dataBlock, error) {
	if i >= a.info.Fragments {
		return dataBlock{}, corruptf("fragment %d of %d", i, a.info.Fragments)
	}
	per := uint32(metaBlockSize / fragEntrySize)
	c, err := a.metaBlock(a.fragPtrs[i/per], a.info.FragmentTableStart)
	if err != nil {
		return dataBlock{}, fmt.Errorf("squash: fragment table: %w", err)
	}
	at := int(i%per) * fragEntrySize
	if at+fragEntrySize > len(c.data) {
		return dataBlock{}, corruptf("fragment table block too short for entry %d", i)
	}
	start := int64(binary.LittleEndian.Uint64(c.data[at:]))
	size := binary.LittleEndian.Uint32(c.data[at+8:])
	blk, err := a.checkBlock(start, size)
	if err != nil {
		return blk, fmt.Errorf("fragment %d: %w", i, err)
	}
	if blk.sparse() {
		return blk, corruptf("fragment %d has no data", i)
	}
	return blk, nil
}

// dataBlock is a data or fragment block as stored.
type dataBlock struct {
	start        int64
	size         int64 // stored size; 0 for a sparse block
	uncompressed bool
}

func (b dataBlock) sparse() bool { return b.size == 0 }

const blockUncompressed = 1 << 24

// checkBlock decodes a stored block size word and checks the block lies
// inside the archive.
func (a *Image) checkBlock(start int64, word uint32) (dataBlock, error) {
	b := dataBlock{start: start, size: int64(word &^ blockUncompressed), uncompressed: word&blockUncompressed != 0}
	if word>>25 != 0 || b.size > int64(a.info.BlockSize) {
		return b, corruptf("block size word %#x (block size %d)", word, a.info.BlockSize)
	}
	if start < SuperblockSize || start > a.size-b.size {
		return b, corruptf("block of %d bytes at %d outside the archive", b.size, start)
	}
	return b, nil
}

// decodeBlock reads and decompresses one block into dst, returning the
// decompressed length.
func (a *Image) decodeBlock(dst []byte, b dataBlock) (int, error) {
	src := make([]byte, b.size)
	if err := a.readAt(src, b.start); err != nil {
		return 0, fmt.Errorf("squash: block at %d: %w", b.start, err)
	}
	return a.decode(dst, src, b)
}

func (a *Image) decode(dst, src []byte, b dataBlock) (int, error) {
	if b.uncompressed {
		if len(src) > len(dst) {
			return 0, corruptf("uncompressed block at %d: %d bytes, want at most %d", b.start, len(src), len(dst))
		}
		return copy(dst, src), nil
	}
	n, err := a.dec.Decode(dst, src)
	if err != nil {
		return 0, fmt.Errorf("%w: block at %d: %w", ErrCorrupt, b.start, err)
	}
	return n, nil
}
