package squash_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/test/fixture"
)

// walk opens the archive in b and visits everything: every directory
// listed, every entry stat'ed, every regular file read whole (up to a
// bound). Directory cycles in a corrupt archive are cut by a depth and an
// entry bound. It returns the first error.
func walk(b []byte) error {
	a, err := squash.Open(bytes.NewReader(b), int64(len(b)), squash.Options{CacheBytes: 1 << 20})
	if err != nil {
		return err
	}
	budget := 5000
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	var visit func(dir string, depth int)
	visit = func(dir string, depth int) {
		if depth > 40 || budget <= 0 {
			return
		}
		ents, err := a.ReadDir(dir, "", 0)
		note(err)
		for _, e := range ents {
			if budget--; budget <= 0 {
				return
			}
			p := dir + "/" + e.Name
			_, err := a.Stat(p)
			note(err)
			switch {
			case e.IsDir():
				visit(p, depth+1)
			case e.Mode.IsRegular():
				f, err := a.Open(p)
				note(err)
				if err == nil {
					buf := make([]byte, min(f.Size(), 1<<20))
					_, err := f.ReadAt(buf, 0)
					if err != io.EOF {
						note(err)
					}
					if f.Size() > 10 {
						_, err = f.ReadAt(buf[:10], f.Size()-10)
						note(err)
					}
				}
			}
		}
	}
	visit("", 0)
	return first
}

func smallArchive(t testing.TB) []byte {
	archive, _ := fixture.Build(t, fixture.Small)
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCorruptSuperblock(t *testing.T) {
	good := smallArchive(t)
	if err := walk(good); err != nil {
		t.Fatalf("intact archive: %v", err)
	}
	le := binary.LittleEndian
	tests := []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"empty", func(b []byte) []byte { return nil }},
		{"short superblock", func(b []byte) []byte { return b[:50] }},
		{"magic", func(b []byte) []byte { b[0] ^= 1; return b }},
		{"version", func(b []byte) []byte { le.PutUint16(b[28:], 3); return b }},
		{"block size not power of two", func(b []byte) []byte { le.PutUint32(b[12:], 3<<16); return b }},
		{"block size 2 MiB", func(b []byte) []byte { le.PutUint32(b[12:], 1<<21); le.PutUint16(b[22:], 21); return b }},
		{"block log mismatch", func(b []byte) []byte { le.PutUint16(b[22:], 12); return b }},
		{"compressor", func(b []byte) []byte { le.PutUint16(b[20:], 9); return b }},
		{"bytes used huge", func(b []byte) []byte { le.PutUint64(b[40:], 1<<60); return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"inode table past end", func(b []byte) []byte { le.PutUint64(b[64:], uint64(len(b))+10); return b }},
		{"directory before inodes", func(b []byte) []byte { le.PutUint64(b[72:], le.Uint64(b[64:])-1); return b }},
		{"id count huge", func(b []byte) []byte { le.PutUint16(b[26:], 65535); return b }},
		{"fragments huge", func(b []byte) []byte { le.PutUint32(b[16:], 1<<31); le.PutUint32(b[4:], 1<<31); return b }},
		{"root inode ref", func(b []byte) []byte { le.PutUint64(b[32:], 0xffff_ffff_0000); return b }},
		{"root inode offset", func(b []byte) []byte { le.PutUint64(b[32:], 9000); return b }},
		{"no inodes", func(b []byte) []byte { le.PutUint32(b[4:], 0); return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.edit(bytes.Clone(good))
			err := walk(b)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, squash.ErrCorrupt) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v does not wrap ErrCorrupt or io.ErrUnexpectedEOF", err)
			}
		})
	}
}

// TestCorruptTables damages the metadata tables: every byte flip must end
// in an error or a clean walk, never a panic or a hang, and flips in the
// compressed inode and directory tables are detected.
func TestCorruptTables(t *testing.T) {
	good := smallArchive(t)
	info, err := squash.ParseSuperblock(good)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	detected := 0
	const flips = 300
	for range flips {
		b := bytes.Clone(good)
		// Within the metadata: from the inode table to the end of the
		// archive proper (mksquashfs pads the file; nothing reads that).
		pos := info.InodeTableStart + rng.Int64N(info.BytesUsed-info.InodeTableStart)
		b[pos] ^= byte(1 + rng.IntN(255))
		if err := walk(b); err != nil {
			detected++
		}
	}
	t.Logf("%d of %d byte flips in the metadata detected", detected, flips)
	if detected < flips/2 {
		t.Errorf("only %d of %d flips detected", detected, flips)
	}
}

// TestCorruptInodes rewrites fields of the file inodes in an archive with
// uncompressed tables to absurd values.
func TestCorruptInodes(t *testing.T) {
	archive, _ := fixture.Build(t, fixture.Recipe{Tree: fixture.SmallTree, Tool: fixture.Mksquashfs, Compressor: "gzip", BlockSize: 4096, Args: []string{"-noI", "-noId"}})
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := walk(good); err != nil {
		t.Fatal(err)
	}
	info, _ := squash.ParseSuperblock(good)
	// Every basic file inode in the (uncompressed) inode table: type 2 at a
	// plausible position. Patch each field in turn.
	le := binary.LittleEndian
	table := good[info.InodeTableStart+2 : info.DirectoryTableStart]
	var offs []int
	for i := 0; i+32 <= len(table); i++ {
		if le.Uint16(table[i:]) == 2 && le.Uint32(table[i+12:]) >= 1 && le.Uint32(table[i+12:]) <= info.Inodes && le.Uint32(table[i+28:]) == 200_000 {
			offs = append(offs, i)
		}
	}
	if len(offs) == 0 {
		t.Fatal("blob.bin inode not found")
	}
	base := int(info.InodeTableStart) + 2 + offs[0]
	tests := []struct {
		field int
		val   uint32
	}{
		{0, 99},                 // inode type
		{4, 500},                // uid index
		{16, uint32(len(good))}, // blocks start past the end
		{20, 1 << 30},           // fragment index
		{28, 0xffff_ffff},       // file size: the block list runs into the next inodes
		{32, 0x00ff_ffff},       // first block size larger than the block size
		{32, 1 << 27},           // block size word with unknown bits
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d=%#x", tt.field, tt.val), func(t *testing.T) {
			b := bytes.Clone(good)
			le.PutUint32(b[base+tt.field:], tt.val)
			if err := walk(b); !errors.Is(err, squash.ErrCorrupt) {
				t.Errorf("walk = %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	// Seeds: small real archives in testdata/fuzz/FuzzOpen (see
	// testdata/fuzz/README), replayed by every go test run.
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = walk(b)
	})
}
