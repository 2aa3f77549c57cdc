package main

import (
	"runtime"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// nativeNamed stands for the native engine, which needs libsquashfs.
type nativeNamed struct{ codec.Engine }

func (nativeNamed) Name() string { return "native" }

// TestDecoders: the commands decode twice as many blocks at once as there
// are cores with the native engine, the default (one per core) with Go.
func TestDecoders(t *testing.T) {
	if got := decoders(codec.Go); got != 0 {
		t.Errorf("go engine: %d decoders, want 0 (the default)", got)
	}
	if got, want := decoders(nativeNamed{codec.Go}), 2*runtime.GOMAXPROCS(0); got != want {
		t.Errorf("native engine: %d decoders, want %d", got, want)
	}
}
