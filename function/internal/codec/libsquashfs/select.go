package libsquashfs

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// Select returns the engine S3ARCHIVEFS_ENGINE asks for and logs the choice
// once (this runs at init):
//
//	go      the pure-Go engine
//	native  libsquashfs from dir, or an error saying why it did not load
//	auto    native if it loads, else go, logging why native did not load;
//	        either way gzip decodes in Go (see preferGo)
//
// A native engine falls back to Go for a compressor the library lacks (LZO,
// which libsquashfs leaves out for licensing reasons), so no archive fails
// for want of a codec.
func Select(mode, dir string, log *slog.Logger) (codec.Engine, error) {
	switch mode {
	case "go":
		log.Info("codec engine", "engine", "go", "requested", mode)
		return codec.Go, nil
	case "native", "auto":
		e, err := Load(dir)
		if err == nil && mode == "auto" {
			log.Info("codec engine", "engine", e.Name(), "requested", mode, "dir", dir, "go_for", "gzip")
			return preferGo{withFallback{e}}, nil
		}
		if err == nil {
			log.Info("codec engine", "engine", e.Name(), "requested", mode, "dir", dir)
			return withFallback{e}, nil
		}
		if mode == "native" {
			return nil, fmt.Errorf("S3ARCHIVEFS_ENGINE=native: %w", err)
		}
		log.Info("codec engine", "engine", "go", "requested", mode, "native_error", err.Error())
		return codec.Go, nil
	}
	return nil, fmt.Errorf("S3ARCHIVEFS_ENGINE=%q: want auto, go or native", mode)
}

// withFallback is the native engine, borrowing codec.Go's decoder for the
// compressors libsquashfs does not support.
type withFallback struct{ *Engine }

func (w withFallback) NewDecoder(id codec.ID, options []byte) (codec.Decoder, error) {
	d, err := w.Engine.NewDecoder(id, options)
	if errors.Is(err, codec.ErrUnsupported) {
		return codec.Go.NewDecoder(id, options)
	}
	return d, err
}

// preferGo is the native engine but for gzip, whose pure-Go decoder
// (codec/inflate) is the faster: `s3archivefs cat` of the bench's 1 GiB
// gzip file took 1.24 s with it, 1.46 s with libsquashfs's zlib
// (hyperfine, 5 runs each, one after the other).
type preferGo struct{ withFallback }

func (p preferGo) NewDecoder(id codec.ID, options []byte) (codec.Decoder, error) {
	if id == codec.GZIP {
		return codec.Go.NewDecoder(id, options)
	}
	return p.withFallback.NewDecoder(id, options)
}
