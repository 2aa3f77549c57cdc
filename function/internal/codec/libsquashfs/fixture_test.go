package libsquashfs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

// recipe makes one squashfs image with a real tool.
type recipe struct {
	name      string
	tool      string // "mksquashfs" or "gensquashfs"
	comp      string
	id        codec.ID
	args      []string // compressor-specific options
	blockSize int
	blocks    int
}

// fixture is an image and what the test needs to check its data blocks
// against the input: the file's block list from rdsquashfs -s.
type fixture struct {
	recipe
	data    []byte // the file's content
	image   []byte
	options []byte // the compressor options block, nil if none
	blocks  []block
	meta    []byte // the first metadata block of the inode table (with header)
}

type block struct {
	off, size  int
	compressed bool
}

// text makes n bytes of deterministic, text-like data that compresses about
// 3:1, with a sprinkle of random bytes so no block is trivial.
func text(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := []string{"squashfs", "block", "archive", "lambda", "object", "range", "the", "of", "a",
		"compress", "fragment", "inode", "directory", "table", "bucket", "key", "cache", "chunk"}
	var b bytes.Buffer
	for b.Len() < n {
		if r.IntN(50) == 0 {
			for range r.IntN(32) {
				b.WriteByte(byte(r.Uint32()))
			}
		}
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(" \n"[r.IntN(8)/7])
	}
	return b.Bytes()[:n]
}

// build makes the image for r under dir with the recipe's tool and reads
// its block list back with rdsquashfs.
func build(dir string, r recipe) (fixture, error) {
	dir = filepath.Join(dir, r.name)
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		return fixture{}, err
	}
	// A whole number of blocks: no tail end, so no fragment.
	f := fixture{recipe: r, data: text(uint64(len(r.name)), r.blockSize*r.blocks)}
	if err := os.WriteFile(filepath.Join(in, "f"), f.data, 0o644); err != nil {
		return fixture{}, err
	}
	img := filepath.Join(dir, "img.sqfs")
	bs := strconv.Itoa(r.blockSize)
	var cmd *exec.Cmd
	switch r.tool {
	case "mksquashfs":
		args := append([]string{in, img, "-comp", r.comp, "-b", bs, "-noappend", "-no-fragments", "-quiet", "-processors", "1"}, r.args...)
		cmd = exec.Command("mksquashfs", args...)
	case "gensquashfs":
		args := []string{"-D", in, "-c", r.comp, "-b", bs, "-j", "1", "-q", "-f"}
		if len(r.args) > 0 {
			args = append(args, "-X", r.args[0])
		}
		cmd = exec.Command("gensquashfs", append(args, img)...)
	default:
		return fixture{}, fmt.Errorf("unknown tool %s", r.tool)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fixture{}, fmt.Errorf("%v: %w\n%s", cmd.Args, err, out)
	}
	var err error
	if f.image, err = os.ReadFile(img); err != nil {
		return fixture{}, err
	}
	out, err := exec.Command("rdsquashfs", "-s", "/f", img).Output()
	if err != nil {
		return fixture{}, fmt.Errorf("rdsquashfs -s: %w", err)
	}
	if f.blocks, err = parseStat(out); err != nil {
		return fixture{}, err
	}
	if len(f.blocks) != r.blocks {
		return fixture{}, fmt.Errorf("%s: rdsquashfs lists %d blocks, want %d", r.name, len(f.blocks), r.blocks)
	}
	if err := f.readSuperblock(); err != nil {
		return fixture{}, fmt.Errorf("%s: %w", r.name, err)
	}
	return f, nil
}

var (
	blocksStart = regexp.MustCompile(`(?m)^Blocks start: (\d+)$`)
	blockLine   = regexp.MustCompile(`^\s*Block #(\d+) size: (\d+) \((compressed|uncompressed)\)$`)
)

func parseStat(out []byte) ([]block, error) {
	m := blocksStart.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("no 'Blocks start' in rdsquashfs -s output:\n%s", out)
	}
	off, _ := strconv.Atoi(string(m[1]))
	var bl []block
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		if m := blockLine.FindStringSubmatch(s.Text()); m != nil {
			size, _ := strconv.Atoi(m[2])
			bl = append(bl, block{off: off, size: size, compressed: m[3] == "compressed"})
			off += size
		}
	}
	return bl, nil
}

// readSuperblock checks the compressor id and finds the options block and
// the first inode-table metadata block (squashfs 4.0 superblock layout).
func (f *fixture) readSuperblock() error {
	le := binary.LittleEndian
	if id := codec.ID(le.Uint16(f.image[20:])); id != f.id {
		return fmt.Errorf("superblock says %v, want %v", id, f.id)
	}
	if le.Uint16(f.image[24:])&0x0400 != 0 {
		hdr := le.Uint16(f.image[96:])
		if hdr&0x8000 == 0 {
			return fmt.Errorf("compressor options block is compressed")
		}
		f.options = f.image[98 : 98+int(hdr&0x7fff)]
	}
	start := le.Uint64(f.image[64:])
	hdr := le.Uint16(f.image[start:])
	f.meta = f.image[start : int(start)+2+int(hdr&0x7fff)]
	return nil
}

func (f fixture) String() string { return fmt.Sprintf("%s (%s)", f.name, f.tool) }
