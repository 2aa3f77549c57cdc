// Package libsquashfs is the native codec engine: libsquashfs (from
// squashfs-tools-ng, shipped in the Lambda layer under /opt/lib) loaded at
// run time with purego, so the function binary is still built with
// CGO_ENABLED=0.
//
// The library is never unloaded: an engine lives as long as the process.
package libsquashfs

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"structs"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// DefaultDir is where Lambda extracts a layer's lib/.
const DefaultDir = "/opt/lib"

// Soname is the file name the dynamic loader knows libsquashfs by.
const Soname = "libsquashfs.so.1"

const (
	flagUncompress = 0x8000  // SQFS_COMP_FLAG_UNCOMPRESS
	errUnsupported = -6      // SQFS_ERROR_UNSUPPORTED
	maxBlock       = 1 << 20 // SQFS_MAX_BLOCK_SIZE; config_init wants a valid block size
	// maxOut bounds the out size handed to do_block: libsquashfs keeps sizes
	// in 32-bit values and its xz backend refuses 0x7FFFFFFF and above.
	maxOut = 1 << 30
)

// config mirrors sqfs_compressor_config_t: id, flags, block_size, level, then
// an 8-byte aligned 16-byte union of backend options.
type config struct {
	_         structs.HostLayout
	id        uint16
	flags     uint16
	blockSize uint32
	level     uint32
	_         uint32
	opt       [2]uint64
}

// compressor mirrors the head of sqfs_compressor_t: the sqfs_object_t
// (destroy, copy) and then the compressor's own function pointers.
type compressor struct {
	_         structs.HostLayout
	destroy   uintptr
	copy      uintptr
	getConfig uintptr
	writeOpts uintptr
	readOpts  uintptr
	doBlock   uintptr
}

// Engine decodes blocks with libsquashfs. It implements codec.Engine.
type Engine struct {
	dir        string
	configInit uintptr // sqfs_compressor_config_init
	create     uintptr // sqfs_compressor_create
}

var _ codec.Engine = (*Engine)(nil)

// Load opens libsquashfs.so.1 from dir. The libraries it needs are opened
// from dir first when they are there, so the layer's copies are used
// whatever LD_LIBRARY_PATH says; the rest (glibc) come from the system.
// With dir "" the dynamic loader finds the library itself (LD_LIBRARY_PATH,
// then the system paths).
func Load(dir string) (*Engine, error) {
	name := Soname
	if dir != "" {
		name = filepath.Join(dir, Soname)
		if _, err := os.Stat(name); err != nil {
			return nil, fmt.Errorf("libsquashfs: %w", err)
		}
		if err := preloadDeps(dir, name, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("libsquashfs: loading %s: %w", name, err)
	}
	e := &Engine{dir: dir}
	for sym, p := range map[string]*uintptr{
		"sqfs_compressor_config_init": &e.configInit,
		"sqfs_compressor_create":      &e.create,
	} {
		if *p, err = purego.Dlsym(h, sym); err != nil {
			return nil, fmt.Errorf("libsquashfs: %s has no symbol %s: %w", name, sym, err)
		}
	}
	return e, nil
}

// preloadDeps opens, dependencies first, every DT_NEEDED library of path
// that exists in dir. The loader then satisfies libsquashfs's own NEEDED
// entries with these already-loaded objects (it matches them by SONAME).
func preloadDeps(dir, path string, seen map[string]bool) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("libsquashfs: %s: %w", path, err)
	}
	needed, err := f.ImportedLibraries()
	f.Close()
	if err != nil {
		return fmt.Errorf("libsquashfs: %s: %w", path, err)
	}
	for _, dep := range needed {
		if seen[dep] {
			continue
		}
		seen[dep] = true
		p := filepath.Join(dir, dep)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue // a runtime library, such as libc.so.6
		}
		if err := preloadDeps(dir, p, seen); err != nil {
			return err
		}
		if _, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_LOCAL); err != nil {
			return fmt.Errorf("libsquashfs: loading %s: %w", p, err)
		}
	}
	return nil
}

// Name reports "native", the engine name of S3ARCHIVEFS_ENGINE.
func (e *Engine) Name() string { return "native" }

// Dir is the directory the library was loaded from ("" for the loader's
// search path).
func (e *Engine) Dir() string { return e.dir }

// NewDecoder returns a Decoder for id. The options are validated; they do
// not change decompression (every backend's stream describes itself), so
// the decompressor is created from libsquashfs's defaults. Compressors the
// library lacks (its Debian build has no LZO) give codec.ErrUnsupported.
func (e *Engine) NewDecoder(id codec.ID, options []byte) (codec.Decoder, error) {
	if err := checkOptions(id, options); err != nil {
		return nil, err
	}
	d := &decoder{id: id, create: e.create, idle: make(chan unsafe.Pointer, runtime.GOMAXPROCS(0))}
	r1, _, _ := purego.SyscallN(e.configInit, uintptr(unsafe.Pointer(&d.cfg)), uintptr(id), maxBlock, flagUncompress)
	if rc := int32(r1); rc != 0 {
		return nil, fmt.Errorf("%w: %v: libsquashfs config error %d", codec.ErrUnsupported, id, rc)
	}
	// Create one now: it proves the library supports id.
	c, err := d.newCompressor()
	if err != nil {
		return nil, err
	}
	d.idle <- c
	runtime.AddCleanup(d, drain, d.idle)
	return d, nil
}

// decoder pools libsquashfs compressor objects: one is used by one goroutine
// at a time, idle ones wait in idle (at most GOMAXPROCS of them; extra ones
// are destroyed), and when the decoder is garbage the idle ones are freed.
type decoder struct {
	id     codec.ID
	create uintptr
	cfg    config
	idle   chan unsafe.Pointer // *compressor in C memory
}

func (d *decoder) newCompressor() (unsafe.Pointer, error) {
	var c unsafe.Pointer
	r1, _, _ := purego.SyscallN(d.create, uintptr(unsafe.Pointer(&d.cfg)), uintptr(unsafe.Pointer(&c)))
	switch rc := int32(r1); {
	case rc == errUnsupported:
		return nil, fmt.Errorf("%w: %v: not built into this libsquashfs", codec.ErrUnsupported, d.id)
	case rc != 0 || c == nil:
		return nil, fmt.Errorf("libsquashfs: creating a %v decompressor: error %d", d.id, rc)
	}
	return c, nil
}

func destroy(c unsafe.Pointer) {
	purego.SyscallN((*compressor)(c).destroy, uintptr(c))
}

func drain(idle chan unsafe.Pointer) {
	for {
		select {
		case c := <-idle:
			destroy(c)
		default:
			return
		}
	}
}

// Decode implements codec.Decoder.
func (d *decoder) Decode(dst, src []byte) (int, error) {
	if len(src) == 0 {
		return 0, fmt.Errorf("%w: %v: empty block", codec.ErrCorrupt, d.id)
	}
	if len(src) > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %v: %d-byte block", codec.ErrCorrupt, d.id, len(src))
	}
	if len(dst) == 0 {
		return 0, fmt.Errorf("%w: %v: block expands beyond 0 bytes", codec.ErrCorrupt, d.id)
	}
	out := min(len(dst), maxOut)
	var c unsafe.Pointer
	select {
	case c = <-d.idle:
	default:
		var err error
		if c, err = d.newCompressor(); err != nil {
			return 0, err
		}
	}
	// SyscallN is go:uintptrescapes: src and dst stay put during the call.
	r1, _, _ := purego.SyscallN((*compressor)(c).doBlock, uintptr(c),
		uintptr(unsafe.Pointer(&src[0])), uintptr(len(src)),
		uintptr(unsafe.Pointer(&dst[0])), uintptr(out))
	n := int32(r1)
	if n <= 0 || int(n) > out {
		// A failed object may hold half-reset stream state: never reuse it.
		destroy(c)
		if n == 0 {
			return 0, fmt.Errorf("%w: %v: block expands beyond %d bytes", codec.ErrCorrupt, d.id, out)
		}
		return 0, fmt.Errorf("%w: %v: libsquashfs error %d", codec.ErrCorrupt, d.id, n)
	}
	select {
	case d.idle <- c:
	default:
		destroy(c)
	}
	return int(n), nil
}
