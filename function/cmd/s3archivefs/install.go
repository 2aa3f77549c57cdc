package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/function/internal/upload"
)

// Environment variables read by install (names shared with the reference
// implementation).
const (
	partSizeVar     = "S3ARCHIVEFS_MPU_CHUNK_SIZE"
	storageClassVar = "S3ARCHIVEFS_STORAGE_CLASS"
)

func installCommand() *command {
	return &command{
		name:    "install",
		args:    "[flags] <file.sqfs> s3://bucket/key",
		summary: "Upload a squashfs archive to S3 the way the function expects it.",
		help: `Checks that the file is a squashfs archive, uploads it by multipart upload
with parallel parts, stores its superblock as the user metadata
s3archivefs-superblock (base64), and verifies the object (size, and the
multipart ETag computed from the parts' MD5s). Every part is sent with its
Content-MD5, so S3 rejects a part damaged on the way.

On any failure, Ctrl-C included, the multipart upload is aborted: nothing
is left behind (no object, no incomplete upload to pay for).

Progress goes to stderr: a bar on a terminal, plain lines otherwise.
The result line goes to stdout.

Environment:
  S3ARCHIVEFS_MPU_CHUNK_SIZE  part size in bytes, or with a KiB/MiB/GiB suffix
                              (default 5 MiB; S3 allows 5 MiB to 5 GiB); raised
                              automatically to stay within 10,000 parts
  S3ARCHIVEFS_STORAGE_CLASS   STANDARD (default), INTELLIGENT_TIERING, GLACIER_IR,
                              STANDARD_IA, ONEZONE_IA, ... (GLACIER and
                              DEEP_ARCHIVE are refused: they cannot be read
                              without a restore)

Examples:
  s3archivefs install linux-6.1.sqfs s3://archive-bucket/archives/linux-6.1.sqfs
  S3ARCHIVEFS_STORAGE_CLASS=INTELLIGENT_TIERING s3archivefs install data.sqfs s3://b/data.sqfs
  s3archivefs install --part-size 64MiB --concurrency 8 big.sqfs s3://b/big.sqfs
  s3archivefs install --endpoint-url http://127.0.0.1:7070 a.sqfs s3://test/a.sqfs`,
		flags: func(fl *flag.FlagSet) func(context.Context, *env, []string) error {
			var af awsFlags
			af.register(fl)
			partSize := fl.String("part-size", "", "part `size` (overrides "+partSizeVar+")")
			class := fl.String("storage-class", "", "storage `class` (overrides "+storageClassVar+")")
			conc := fl.Int("concurrency", upload.DefaultConcurrency, "parts uploaded at once")
			quiet := fl.Bool("quiet", false, "no progress output")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("want a local archive and s3://bucket/key, got %d arguments", len(args))
				}
				dst, err := parseS3URL(args[1])
				if err != nil {
					return err
				}
				opts, err := installOptions(e.getenv, *partSize, *class, *conc)
				if err != nil {
					return err
				}
				client, err := af.client(ctx)
				if err != nil {
					return err
				}
				return install(ctx, e, client, args[0], dst, opts, *quiet)
			}
		},
	}
}

// installOptions resolves flags over the environment.
func installOptions(getenv func(string) string, partSize, class string, conc int) (upload.Options, error) {
	var o upload.Options
	src := "--part-size"
	if partSize == "" {
		partSize, src = getenv(partSizeVar), partSizeVar
	}
	if partSize != "" {
		n, err := parseSize(partSize)
		if err == nil && (n < upload.MinPartSize || n > upload.MaxPartSize) {
			err = fmt.Errorf("S3 accepts 5 MiB (%d) to 5 GiB (%d)", upload.MinPartSize, int64(upload.MaxPartSize))
		}
		if err != nil {
			return o, usagef("%s=%q: %v", src, partSize, err)
		}
		o.PartSize = n
	}
	src = "--storage-class"
	if class == "" {
		class, src = getenv(storageClassVar), storageClassVar
	}
	sc, err := upload.ParseStorageClass(class)
	if err != nil {
		return o, usagef("%s: %v", src, err)
	}
	o.StorageClass = sc
	if conc < 1 || conc > 64 {
		return o, usagef("--concurrency %d: want 1 to 64", conc)
	}
	o.Concurrency = conc
	return o, nil
}

// parseSize reads a byte count: digits, optionally followed by K/KiB, M/MiB
// or G/GiB (powers of 1024).
func parseSize(s string) (int64, error) {
	num := strings.TrimRight(s, "KMGiBkmgb")
	shift := 0
	switch strings.ToUpper(strings.TrimSpace(s[len(num):])) {
	case "":
	case "K", "KIB", "KB":
		shift = 10
	case "M", "MIB", "MB":
		shift = 20
	case "G", "GIB", "GB":
		shift = 30
	default:
		return 0, fmt.Errorf("unknown unit %q (want bytes, KiB, MiB or GiB)", s[len(num):])
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("not a size")
	}
	return n << shift, nil
}

func install(ctx context.Context, e *env, client upload.API, name string, dst objectURL, opts upload.Options, quiet bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", name)
	}
	sb, info, err := readSuperblock(f, name)
	if err != nil {
		return err
	}
	if info.BytesUsed > fi.Size() {
		return fmt.Errorf("%s: truncated squashfs archive: superblock says %d bytes, file has %d", name, info.BytesUsed, fi.Size())
	}
	opts.Metadata = map[string]string{s3src.SuperblockMetadata: base64.StdEncoding.EncodeToString(sb)}
	opts.ContentType = "application/vnd.squashfs"
	partSize, err := upload.PartSize(fi.Size(), opts.PartSize)
	if err != nil {
		return err
	}
	if !quiet {
		p := newProgress(e.stderr, fi.Size(), isTerminal(e.stderr))
		opts.Progress = p.update
		defer p.finish()
		fmt.Fprintf(e.stderr, "uploading %s (%s) to %s in %d parts of %s\n", name, describe(fi.Size()), dst,
			max(1, (fi.Size()+partSize-1)/partSize), describe(partSize))
	}
	res, err := upload.Upload(ctx, client, dst.bucket, dst.key, f, fi.Size(), opts)
	if err != nil {
		return err
	}
	if !hasMetadata(res.Metadata, s3src.SuperblockMetadata, opts.Metadata[s3src.SuperblockMetadata]) {
		return fmt.Errorf("verify %s: %w: the %s metadata did not survive the upload (does the server keep user metadata?)",
			dst, upload.ErrVerify, s3src.SuperblockMetadata)
	}
	verified := "size and ETag verified"
	if !res.ETagChecked {
		verified = "size verified (ETag of an encrypted object: parts checked by Content-MD5)"
	}
	fmt.Fprintf(e.stdout, "%s\t%d bytes\tETag %s\t%d parts\t%s\n", dst, res.Size, res.ETag, res.Parts, verified)
	return nil
}

// hasMetadata reports whether meta holds key (in any case: HTTP headers
// are case-insensitive) with value.
func hasMetadata(meta map[string]string, key, value string) bool {
	for k, v := range meta {
		if strings.EqualFold(k, key) {
			return v == value
		}
	}
	return false
}

// readSuperblock reads and checks the superblock of a local archive.
func readSuperblock(r io.ReaderAt, name string) ([]byte, squash.Info, error) {
	sb := make([]byte, squash.SuperblockSize)
	if _, err := r.ReadAt(sb, 0); err != nil {
		return nil, squash.Info{}, fmt.Errorf("%s: not a squashfs archive: %w", name, err)
	}
	info, err := squash.ParseSuperblock(sb)
	if err != nil {
		return nil, squash.Info{}, fmt.Errorf("%s: not a squashfs archive: %w", name, err)
	}
	return sb, info, nil
}
