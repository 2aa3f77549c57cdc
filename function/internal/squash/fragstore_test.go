package squash_test

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// memStore is a squash.BlockStore in memory, counting its use.
type memStore struct {
	mu            sync.Mutex
	blocks        map[int64][]byte
	reads, stores int
	refuse        bool // every read fails, as with a damaged store
}

func (m *memStore) ReadAt(key int64, p []byte, off int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blocks[key]
	if !ok || m.refuse || off < 0 || off+int64(len(p)) > int64(len(b)) {
		return false
	}
	copy(p, b[off:])
	m.reads++
	return true
}

func (m *memStore) Store(key int64, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blocks == nil {
		m.blocks = map[int64][]byte{}
	}
	m.blocks[key] = data
	m.stores++
}

// readEvery reads every regular file of a and compares it with src.
func readEvery(t *testing.T, a *squash.Image, src string) {
	t.Helper()
	fs.WalkDir(a.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := a.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want, err := os.ReadFile(filepath.Join(src, p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: bytes differ from the source", p)
		}
		return nil
	})
}

// TestFragmentsFromBlockStore: the fragment blocks one process decodes
// are stored; another process on the same store reads the small files'
// tails from it without decoding those blocks, and decodes them again
// when the store cannot give them.
func TestFragmentsFromBlockStore(t *testing.T) {
	archive, src := fixture.Build(t, fixture.Files20k)
	store := &memStore{}
	first := &countingEngine{Engine: codec.Go}
	a, _ := openArchive(t, archive, squash.Options{Engine: first, Fragments: store})
	readEvery(t, a, src)
	if store.stores == 0 || store.stores != len(store.blocks) || store.reads != 0 {
		t.Fatalf("first process: %d stores of %d blocks, %d reads; want each fragment block stored once, no reads", store.stores, len(store.blocks), store.reads)
	}
	stored := store.stores

	plain := &countingEngine{Engine: codec.Go}
	readEvery(t, must(openArchive(t, archive, squash.Options{Engine: plain})), src)

	second := &countingEngine{Engine: codec.Go}
	readEvery(t, must(openArchive(t, archive, squash.Options{Engine: second, Fragments: store})), src)
	if store.stores != stored || store.reads == 0 {
		t.Errorf("second process: %d more stores, %d reads; want none and some", store.stores-stored, store.reads)
	}
	if got, want := second.decodes.Load(), plain.decodes.Load()-int64(stored); got != want {
		t.Errorf("second process decoded %d blocks, want %d (%d without the store, less the %d fragment blocks)", got, want, plain.decodes.Load(), stored)
	}

	store.refuse = true
	refused := &countingEngine{Engine: codec.Go}
	readEvery(t, must(openArchive(t, archive, squash.Options{Engine: refused, Fragments: store})), src)
	if got, want := refused.decodes.Load(), plain.decodes.Load(); got != want {
		t.Errorf("store refusing reads: %d blocks decoded, want %d, as without it", got, want)
	}
}

func must[T, U any](v T, _ U) T { return v }
