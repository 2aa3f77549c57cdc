package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// genVersion is part of every cache key: bump it when generated content
// or packing options change.
const genVersion = "bench-v1"

// blockSize is the archives' block size, as the issue asks (1 MiB).
const blockSize = 1 << 20

// Sizes describe one run's workloads: the quick run keeps the shape with
// small numbers.
type Sizes struct {
	SmallFiles int     // files in the many-files archive
	HugeFiles  []int   // files in each millions-of-files archive (gensquashfs from a pack file), ascending
	Files      []int64 // the single-file workloads, ascending: 1 MiB, 10 MiB, 100 MiB, 1 GiB
}

// FullSizes and QuickSizes are the two runs `make bench` and
// `make bench-quick` make.
var (
	FullSizes  = Sizes{SmallFiles: 200_000, HugeFiles: []int{2_000_000, 10_000_000}, Files: []int64{1 << 20, 10 << 20, 100 << 20, 1 << 30}}
	QuickSizes = Sizes{SmallFiles: 2_000, HugeFiles: []int{20_000, 100_000}, Files: []int64{256 << 10, 1 << 20, 4 << 20, 8 << 20}}
)

// Compressors the archives are packed with.
var Compressors = []string{"zstd", "xz", "gzip"}

// Workloads are the generated trees and their archives, on disk.
type Workloads struct {
	Sizes    Sizes
	FilesDir string            // the many-files tree
	FilesSqf string            // its archive (zstd)
	HugeSrc  string            // the distinct files the millions-of-files archives are made of
	HugeSqf  map[int]string    // files → that archive (zstd, gensquashfs)
	BigDir   string            // the single files
	BigSqf   map[string]string // compressor (or stored) → archive of BigDir
}

// FileName is the name of the single file of the given size.
func FileName(size int64) string { return humanSize(size) + ".log" }

// SmallFilePath is the path, inside the many-files archive, of file i.
func SmallFilePath(i int) string { return fmt.Sprintf("d%03d/f%06d.txt", i/1000, i) }

// hugeSources is how many distinct files the millions-of-files archives'
// entries point at: its data is small, its metadata as large as the real
// thing (every inode and directory entry is its own).
const hugeSources = 400

// HugeFilePath is the path, inside a millions-of-files archive, of file
// i (1,000 per directory), and HugeSource the file of HugeSrc it holds.
func HugeFilePath(i int) string { return fmt.Sprintf("d%04d/f%07d.txt", i/1000, i) }
func HugeSource(i int) string   { return fmt.Sprintf("s%03d.txt", i%hugeSources) }

// smallFileSize is how long file i of the many-files tree is: 100 to 2,099
// bytes, like source files, configs and small records.
func smallFileSize(i int) int { return 100 + (i*7919)%2000 }

// Prepare generates the trees and packs the archives that are not in the
// cache yet.
func Prepare(ctx context.Context, cache string, sz Sizes, log func(string, ...any)) (*Workloads, error) {
	w := &Workloads{Sizes: sz, BigSqf: map[string]string{}, HugeSqf: map[int]string{}}
	var err error
	w.FilesDir, err = cachedDir(filepath.Join(cache, "trees", fmt.Sprintf("files-%d-%s", sz.SmallFiles, genVersion)), func(dir string) error {
		log("generating %d small files", sz.SmallFiles)
		return writeSmallFiles(dir, sz.SmallFiles)
	})
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("big-%x-%s", sha256.Sum256(fmt.Append(nil, sz.Files)), genVersion)
	w.BigDir, err = cachedDir(filepath.Join(cache, "trees", key[:20]), func(dir string) error {
		for _, s := range sz.Files {
			log("generating %s of text", humanSize(s))
			if err := writeTextFile(filepath.Join(dir, FileName(s)), s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.FilesSqf, err = pack(ctx, cache, w.FilesDir, "zstd", log)
	if err != nil {
		return nil, err
	}
	w.HugeSrc, err = cachedDir(filepath.Join(cache, "trees", "huge-sources-"+genVersion), func(dir string) error {
		var buf []byte
		for i := range hugeSources {
			buf = appendText(buf[:0], newRand("huge", uint64(i)), smallFileSize(i))
			if err := os.WriteFile(filepath.Join(dir, HugeSource(i)), buf, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range sz.HugeFiles {
		if w.HugeSqf[n], err = packHuge(ctx, cache, w.HugeSrc, n, log); err != nil {
			return nil, err
		}
	}
	for _, c := range streamVariants() {
		if w.BigSqf[c], err = pack(ctx, cache, w.BigDir, c, log); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// cachedDir returns dir, running fill on a temporary directory and
// renaming it into place when dir does not exist yet.
func cachedDir(dir string, fill func(string) error) (string, error) {
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return "", fmt.Errorf("generating %s: %w", filepath.Base(dir), err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// pack builds src into a 1 MiB-block archive with mksquashfs, once: with
// the compressor comp, or with data blocks and fragments left uncompressed
// when comp is stored.
func pack(ctx context.Context, cache, src, comp string, log func(string, ...any)) (string, error) {
	out := filepath.Join(cache, "archives", filepath.Base(src)+"-"+comp+".sqfs")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	log("packing %s with %s", filepath.Base(src), comp)
	tmp := out + ".tmp-" + strconv.Itoa(os.Getpid())
	defer os.Remove(tmp)
	args := []string{src, tmp, "-noappend", "-quiet", "-no-progress", "-no-xattrs", "-all-root",
		"-b", strconv.Itoa(blockSize), "-mkfs-time", "1684318830"}
	if comp == stored {
		args = append(args, "-comp", "zstd", "-noD", "-noF")
	} else {
		args = append(args, "-comp", comp)
	}
	if msg, err := exec.CommandContext(ctx, "mksquashfs", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mksquashfs %v: %w\n%s", args, err, msg)
	}
	return out, os.Rename(tmp, out)
}

// packHuge builds the n-file archive with gensquashfs from a pack file
// whose entries point at the files of src, once.
func packHuge(ctx context.Context, cache, src string, n int, log func(string, ...any)) (string, error) {
	out := filepath.Join(cache, "archives", fmt.Sprintf("huge-%d-%s-zstd.sqfs", n, genVersion))
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	log("packing %d files with gensquashfs (pack file)", n)
	tmp := out + ".tmp-" + strconv.Itoa(os.Getpid())
	defer os.Remove(tmp)
	list := tmp + ".list"
	defer os.Remove(list)
	f, err := os.Create(list)
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		if i%1000 == 0 {
			fmt.Fprintf(bw, "dir /%s 0755 0 0\n", filepath.Dir(HugeFilePath(i)))
		}
		fmt.Fprintf(bw, "file /%s 0644 0 0 %s\n", HugeFilePath(i), HugeSource(i))
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	args := []string{"--pack-file", list, "--pack-dir", src, "--compressor", "zstd", "--block-size", strconv.Itoa(blockSize),
		"--defaults", "mtime=1684318830", "--quiet", "--force", tmp}
	if msg, err := exec.CommandContext(ctx, "gensquashfs", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("gensquashfs %v: %w\n%s", args, err, msg)
	}
	return out, os.Rename(tmp, out)
}

func writeSmallFiles(dir string, n int) error {
	var buf []byte
	for i := range n {
		p := filepath.Join(dir, filepath.FromSlash(SmallFilePath(i)))
		if i%1000 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
		buf = appendText(buf[:0], newRand("small", uint64(i)), smallFileSize(i))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeTextFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := writeText(bw, newRand("big", uint64(size)), size); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func newRand(kind string, n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(n, uint64(len(kind))<<32|uint64(crc32.ChecksumIEEE([]byte(kind)))))
}

// The text is log lines: a timestamp, a level, a component, words and
// numbers. It compresses like real logs (3-6x), not like random bytes
// (1x) nor like a repeated line (100x).
var (
	levels     = []string{"INFO ", "INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"}
	components = []string{"api", "auth", "cache", "db", "fetch", "gc", "http", "index", "queue", "s3", "scheduler", "worker"}
	vocabulary = []string{
		"request", "served", "from", "the", "a", "cache", "miss", "hit", "for", "key", "object", "bucket",
		"archive", "block", "read", "write", "retry", "after", "timeout", "connection", "closed", "opened",
		"user", "session", "token", "expired", "refreshed", "query", "rows", "returned", "in", "ms", "bytes",
		"upload", "download", "completed", "failed", "started", "job", "task", "queued", "dequeued", "by",
		"node", "shard", "replica", "leader", "elected", "snapshot", "compaction", "merged", "segments",
		"throttled", "rate", "limit", "exceeded", "backoff", "checksum", "mismatch", "verified", "ok",
		"partition", "offset", "committed", "consumer", "lag", "heartbeat", "missed", "healthy", "degraded",
	}
)

// appendText appends n bytes of log text to b.
func appendText(b []byte, r *rand.Rand, n int) []byte {
	end := len(b) + n
	ts := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1e9)) * time.Millisecond)
	for len(b) < end {
		ts = ts.Add(time.Duration(r.IntN(2000)) * time.Millisecond)
		b = ts.AppendFormat(b, "2006-01-02T15:04:05.000Z ")
		b = append(b, levels[r.IntN(len(levels))]...)
		b = append(b, " ["...)
		b = append(b, components[r.IntN(len(components))]...)
		b = append(b, "] "...)
		for range 4 + r.IntN(10) {
			b = append(b, vocabulary[r.IntN(len(vocabulary))]...)
			b = append(b, ' ')
		}
		b = append(b, "id="...)
		b = strconv.AppendUint(b, r.Uint64()>>40, 16)
		b = append(b, " dur="...)
		b = strconv.AppendInt(b, int64(r.IntN(5000)), 10)
		b = append(b, "ms\n"...)
	}
	return b[:end]
}

// writeText writes size bytes of log text to w.
func writeText(w io.Writer, r *rand.Rand, size int64) error {
	buf := make([]byte, 0, 1<<20)
	for size > 0 {
		n := int(min(size, 1<<20))
		buf = appendText(buf[:0], r, n)
		if _, err := w.Write(buf); err != nil {
			return err
		}
		size -= int64(n)
	}
	return nil
}

// humanSize renders a power-of-two size: 256KiB, 10MiB, 1GiB.
func humanSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10) + "B"
}
