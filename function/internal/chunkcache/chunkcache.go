// Package chunkcache turns a remote object into an io.ReaderAt backed by a
// chunked read-through cache on local disk or a shared EFS/NFS directory.
//
// # Layout
//
//	<Dir>/s3archivefs/v2/<h[0:2]>/<h>.c<chunk size>/<chunk index>
//
// where h is the hex SHA-256 of (bucket, key, ETag), each length-prefixed.
// A replaced object has a new ETag, hence a new directory: old bytes are
// never served for it. Chunk i holds the object's bytes
// [i*chunk, min((i+1)*chunk, size)); its file is those bytes followed by a
// CRC32C of each 4 KiB page and a footer whose own CRC binds the table to
// the chunk's directory and index (chunkfile.go). v1 (no checksums) is
// never read; its files are evicted like any other.
//
// Values derived from an object (its decoded fragment blocks) are kept
// beside its chunks, in <h>.<kind>/<key>, in the same file format
// (derived.go): a process new to a shared cache reads the part it needs
// instead of decoding the whole block again.
//
// # Atomicity and integrity
//
// A chunk is written with its checksums to a unique temporary name
// (".tmp-*") in its final directory, fsynced and renamed into place:
// rename is atomic on local filesystems and on NFS/EFS, so readers in any
// process see a complete chunk or none. Every read from the cache checks
// the file's length and trailer when it is opened, and the CRC of every
// page it returns: a damaged file (torn, truncated, overwritten in place,
// misplaced) is removed, counted in the request's reqstats.CacheCorrupt,
// and fetched again, never served. Only complete chunks are written; a
// failed or short fetch writes nothing.
//
// # Hot path
//
// Readers of a chunk being fetched share one fetch and get its bytes as
// soon as they are in memory; the write, fsync and rename follow in the
// background, the chunk served from memory meanwhile (within a budget of
// bytes awaiting their write, past which readers wait for the disk).
// Chunk files that passed their trailer check are kept open in a bounded
// LRU, so a hit on a warm shared cache costs no open and no stat.
//
// # Bounds
//
// The cache holds at most CapBytes. The default is 80% of the size of the
// filesystem holding Dir, at most 10 GiB (EFS reports exabytes). When the
// cap is passed, or the filesystem's free space falls below 5% of its size
// (at most 1 GiB), a background scan removes the least recently used
// chunks, by file mtime (touched on a hit at most once a minute), down to
// 90% of the cap. The first insert of a process also starts a scan, to
// learn what other processes left. Eviction tolerates other processes
// deleting the same files. When the directory is not writable or the disk
// is full, reads are served from the fetched bytes without caching and a
// warning is logged at most once a minute.
//
// One ReadAt holds at most maxWindow bytes of fetched chunks at a time and
// makes GETs of at most that size: one GET per run of adjacent missing
// chunks within the window.
package chunkcache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"weak"
)

const (
	// MaxChunkSize bounds ChunkSize: one chunk is fetched into memory whole.
	MaxChunkSize = 8 << 20
	// maxWindow bounds the bytes one ReadAt fetches and holds at a time.
	maxWindow = 8 << 20

	defaultCapMax   = 10 << 30
	fallbackCap     = 400 << 20 // when the filesystem size is unknown
	maxMinFree      = 1 << 30
	touchEvery      = time.Minute
	warnEvery       = time.Minute
	freeCheckEvery  = time.Second
	staleTemp       = 10 * time.Minute
	fetchTimeout    = 2 * time.Minute
	tempPrefix      = ".tmp-"
	cacheDir        = "s3archivefs"
	layoutDir       = "v2"
	oldLayoutDir    = "v1" // no checksums: never read
	evictLowPercent = 90
	// maxPendingWrite bounds the fetched bytes held in memory while their
	// disk write is pending.
	maxPendingWrite = 4 * maxWindow
	// maxHandles bounds the chunk files kept open (Lambda allows 1024
	// descriptors); at most an eighth of the cap is held in them, since
	// a kept file removed by another process keeps its blocks allocated.
	maxHandles = 128
	// networkWrites bounds the chunk writes of one process in flight at
	// once on a network filesystem (EFS), where each waits for round
	// trips: written one after the other, a 21 MiB metadata region (8
	// runs of ~40 chunks) would land long after S3 delivered it.
	networkWrites = 16
	// nfsMagic is statfs's f_type of NFS, which EFS is.
	nfsMagic = 0x6969
)

// writeSlots is how many chunk writes of one process run at once on a
// filesystem of type fsType with cores processors. On a local disk a
// write costs processor time, not waiting: one per core, so that the
// writes of a cold open's prefetch do not crowd out the lookups racing
// them (16 at once slowed the cold GET's first byte by about 30 ms on 2
// cores; see docs/decisions.md).
func writeSlots(fsType int64, cores int) int {
	if fsType == nfsMagic {
		return networkWrites
	}
	return max(cores, 1)
}

// Fetcher reads exactly n bytes at off of one version of the object (the
// caller pins the ETag), or fails.
type Fetcher interface {
	ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error)
}

// Config configures a Cache.
type Config struct {
	// Dir is the cache's parent directory (S3ARCHIVEFS_CACHE_DIR); "" is
	// /tmp.
	Dir string
	// CapBytes bounds the cache's size on disk; 0 is the default (see the
	// package doc).
	CapBytes int64
	Logger   *slog.Logger
}

// Cache is a chunk cache in one directory, shared by the process's objects.
type Cache struct {
	root    string // this layout's chunks
	old     string // the previous layout's, evicted like this one's
	fsDir   string
	cap     int64
	minFree int64
	log     *slog.Logger
	handles *handles

	// skipVerify turns the checksum check off: only the benchmark's
	// baseline sets it.
	skipVerify bool
	// hooks, set by tests only, run before each chunk write and scan.
	hooks struct{ write, scan func() }

	mu sync.Mutex
	// objects maps each identity to its View while something holds it:
	// an entry goes once its View is collected.
	objects map[objectKey]weak.Pointer[View]

	// bg tracks fetches, background writes and scans, for Close;
	// unsaved, the fetches and writes among them, for Settle.
	bg           sync.WaitGroup
	unsaved      unsaved
	pendingWrite atomic.Int64
	writers      chan struct{} // slots for chunk writes in parallel
	scanStarted  atomic.Bool

	// usage estimates the bytes on disk: set by each scan, grown by each
	// insert; -1 until the first scan. It changes under usageMu, with
	// the chunks published while a scan runs, which its walk may or may
	// not see: the scan counts each of them once.
	usageMu   sync.Mutex
	usage     atomic.Int64
	scanning  bool
	published map[string]int64
	evictMu   sync.Mutex
	lastFree  atomic.Int64 // unix nanos of the last free-space check
	lastWarn  atomic.Int64 // unix nanos of the last disk warning
	evictions atomic.Int64 // files removed by eviction, for tests and logs
}

type objectKey struct {
	id    Identity
	chunk int64
}

// New returns a cache under cfg.Dir. A directory that cannot be created is
// not an error: the cache then serves reads uncached and warns.
func New(cfg Config) (*Cache, error) {
	if cfg.CapBytes < 0 {
		return nil, fmt.Errorf("chunkcache: negative cap %d", cfg.CapBytes)
	}
	if cfg.Dir == "" {
		cfg.Dir = "/tmp"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{
		root:    filepath.Join(cfg.Dir, cacheDir, layoutDir),
		old:     filepath.Join(cfg.Dir, cacheDir, oldLayoutDir),
		fsDir:   cfg.Dir,
		cap:     cfg.CapBytes,
		log:     cfg.Logger,
		objects: map[objectKey]weak.Pointer[View]{},
	}
	c.usage.Store(-1)
	if err := os.MkdirAll(c.root, 0o755); err != nil {
		c.warn("cache directory not usable; reads will not be cached", err)
	}
	st, err := statfs(cfg.Dir)
	switch {
	case err != nil:
		c.log.Warn("chunkcache: filesystem size unknown", "dir", cfg.Dir, "err", err)
		if c.cap == 0 {
			c.cap = fallbackCap
		}
	default:
		if c.cap == 0 {
			c.cap = min(st.total/10*8, defaultCapMax)
		}
		c.minFree = min(st.total/20, maxMinFree)
	}
	// An unknown filesystem (type 0) is treated as a local disk.
	c.writers = make(chan struct{}, writeSlots(st.kind, runtime.GOMAXPROCS(0)))
	c.handles = newHandles(maxHandles, max(c.cap/8, MaxChunkSize))
	return c, nil
}

// Close waits for the fetches and disk writes in progress and closes the
// chunk files kept open. A process that exits soon after its last read
// (the CLI) calls it, or its last chunks would not reach the disk.
func (c *Cache) Close() error {
	c.bg.Wait()
	c.handles.closeAll()
	return nil
}

// CapBytes is the cache's size bound in effect.
func (c *Cache) CapBytes() int64 { return c.cap }

// ChunkSize returns the chunk size to use: configured rounded down to a
// power of two; 0 or less than blockSize gives blockSize; at most
// MaxChunkSize.
func ChunkSize(configured int64, blockSize uint32) int64 {
	bs := int64(blockSize)
	if configured <= 0 || configured < bs {
		configured = bs
	}
	if configured <= 0 {
		return 4096
	}
	p := int64(1) << (63 - bits.LeadingZeros64(uint64(configured)))
	if p < bs {
		// blockSize itself is not a power of two (squashfs's always is).
		p = bs
	}
	return min(p, MaxChunkSize)
}

// Identity names one version of a remote object.
type Identity struct{ Bucket, Key, ETag string }

func (id Identity) hash() string {
	h := sha256.New()
	for _, s := range []string{id.Bucket, id.Key, id.ETag} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// View returns the cached view of the object id of size bytes in chunks
// of chunkSize, fetched through f. Within the process the same identity
// and chunk size give the same *View, so concurrent reads share fetches;
// the first call's size and fetcher are kept.
func (c *Cache) View(id Identity, size, chunkSize int64, f Fetcher) *View {
	if chunkSize <= 0 || chunkSize > MaxChunkSize {
		chunkSize = min(max(chunkSize, 4096), MaxChunkSize)
	}
	k := objectKey{id, chunkSize}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.objects[k].Value(); o != nil {
		return o
	}
	h := id.hash()
	name := h + ".c" + strconv.FormatInt(chunkSize, 10)
	o := &View{
		c:       c,
		id:      id,
		size:    max(size, 0),
		chunk:   chunkSize,
		f:       f,
		dir:     filepath.Join(c.root, h[:2], name),
		name:    name,
		flights: map[int64]*flight{},
	}
	c.objects[k] = weak.Make(o)
	runtime.AddCleanup(o, c.forgetView, k)
	return o
}

// forgetView drops the entry of a collected View (unless the identity
// has a new one already).
func (c *Cache) forgetView(k objectKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.objects[k].Value() == nil {
		delete(c.objects, k)
	}
}

// reserveWrite reports whether n more bytes may wait in memory for their
// disk write; if so, releaseWrite(n) follows the write.
func (c *Cache) reserveWrite(n int64) bool {
	if c.pendingWrite.Add(n) <= maxPendingWrite {
		return true
	}
	c.pendingWrite.Add(-n)
	return false
}

func (c *Cache) releaseWrite(n int64) { c.pendingWrite.Add(-n) }

// publish writes the chunk data at its place as the file path, atomically,
// with its checksums. It reports whether the chunk is now on disk.
func (c *Cache) publish(path string, data []byte, at place) bool {
	if c.hooks.write != nil {
		c.hooks.write()
	}
	tr := trailer(data, at)
	err := writeAtomic(path, data, tr)
	if err != nil {
		c.warn("chunk not cached; serving it uncached", err)
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			c.evict(true)
		}
		return false
	}
	// A file of the old inode kept open would hold its blocks.
	c.handles.forget(path)
	switch usage, byScan := c.inserted(path, int64(len(data)+len(tr))); {
	case byScan:
	case usage < 0:
		// First insert of this process: learn what is on disk, off the
		// request path.
		if c.scanStarted.CompareAndSwap(false, true) {
			c.bg.Go(func() { c.evict(false) })
		}
	case usage > c.cap || c.lowOnSpace():
		c.bg.Go(func() { c.evict(false) })
	}
	return true
}

// inserted accounts for the chunk file path of size bytes just published
// and returns the new usage, or byScan set when the running scan counts it.
func (c *Cache) inserted(path string, size int64) (usage int64, byScan bool) {
	c.usageMu.Lock()
	defer c.usageMu.Unlock()
	switch {
	case c.scanning:
		c.published[path] = size
		return 0, true
	case c.usage.Load() < 0:
		return -1, false
	}
	return c.usage.Add(size), false
}

// discard removes the damaged chunk file path, unless it is no longer the
// file fi (another process replaced it); it reports whether it did.
func (c *Cache) discard(path string, fi os.FileInfo) bool {
	cur, err := os.Stat(path)
	if err != nil || (fi != nil && !os.SameFile(cur, fi)) {
		return false
	}
	c.handles.forget(path)
	c.log.Warn("chunkcache: damaged chunk removed; fetching it again", "path", path)
	return os.Remove(path) == nil
}

// touch marks a hit chunk recently used, at most once a minute, for the
// eviction scans of every process.
func (c *Cache) touch(oc *openChunk) {
	now := time.Now()
	last := oc.touched.Load()
	if now.UnixNano()-last > int64(touchEvery) && oc.touched.CompareAndSwap(last, now.UnixNano()) {
		os.Chtimes(oc.path, now, now)
	}
}

func writeAtomic(path string, data, trailer []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			f, err = os.CreateTemp(dir, tempPrefix+"*")
		}
	}
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		_, err = f.Write(trailer)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// lowOnSpace checks the filesystem's free space, at most once a second.
func (c *Cache) lowOnSpace() bool {
	now := time.Now().UnixNano()
	last := c.lastFree.Load()
	if now-last < int64(freeCheckEvery) || !c.lastFree.CompareAndSwap(last, now) {
		return false
	}
	st, err := statfs(c.fsDir)
	return err == nil && st.free < c.minFree
}

// warn logs a cache problem at most once a minute.
func (c *Cache) warn(msg string, err error) {
	now := time.Now().UnixNano()
	last := c.lastWarn.Load()
	if now-last < int64(warnEvery) || !c.lastWarn.CompareAndSwap(last, now) {
		return
	}
	c.log.Warn("chunkcache: "+msg, "dir", c.root, "err", err)
}

// fsStats is what statfs tells of a filesystem: its size and free bytes,
// and its type (f_type).
type fsStats struct{ total, free, kind int64 }

func statfs(dir string) (fsStats, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fsStats{}, err
	}
	return fsStats{total: int64(st.Blocks) * int64(st.Bsize), free: int64(st.Bavail) * int64(st.Bsize), kind: int64(st.Type)}, nil
}
