package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/squash"
	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

const (
	// checkParallel is how many archives are checked at once.
	checkParallel = 8
	// maxMapFile bounds a map file read from S3.
	maxMapFile = 16 << 20
)

func vmapCommand() *command {
	return &command{
		name:    "vmap",
		args:    "check [flags]",
		summary: "Check every entry of a virtual prefix map (VMAP).",
		help: `'vmap check' reads the map the function would read, from the environment
(S3ARCHIVEFS_PREFIX_VMAP1..20 and the file named by
S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE, a local path or s3://bucket/key), or
from the file given with --file (one "prefix|s3://bucket/key" per line,
"#" comments). For every entry it reads the object's superblock and
prints one line: prefix, archive, size, block size, compressor and inode
count, or the error. A line of the map that does not parse is reported
with where it came from, and the other lines are still checked.

An entry fails when its object is missing or unreadable, is not a
squashfs archive, is shorter than its superblock says, or carries
s3archivefs-superblock metadata that differs from its superblock (the
object was replaced without 's3archivefs install'). An object without
that metadata passes with a note. With --deep, each archive is also opened
as the function opens it (its metadata tables read and checked, through the
chunk cache) and its root directory read.

Exit status: 0 all entries pass, 3 one or more fail, 1 the map could not
be read at all, 2 usage.

Examples:
  s3archivefs vmap check --file vmap.txt
  s3archivefs vmap check --deep --file vmap.txt
  S3ARCHIVEFS_PREFIX_VMAP1='datasets/linux-6.1|s3://archive-bucket/archives/linux-6.1.sqfs' \
    s3archivefs vmap check`,
		flags: func(fl *flag.FlagSet) func(context.Context, *env, []string) error {
			var rf readFlags
			rf.register(fl)
			deep := fl.Bool("deep", false, "also open each archive as the function does and read its root directory")
			file := fl.String("file", "", "read the map from this `file` (local path or s3://bucket/key) instead of the environment")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 || args[0] != "check" {
					return usagef("want the subcommand 'check'")
				}
				client, err := rf.aws.client(ctx)
				if err != nil {
					return err
				}
				var opener *archive.Opener
				if *deep {
					if opener, err = rf.opener(e, client); err != nil {
						return err
					}
				}
				lines, err := mapLines(e.getenv, *file, readMapFile(ctx, client))
				if err != nil {
					return err
				}
				if len(lines) == 0 {
					return errors.New("the map is empty: set S3ARCHIVEFS_PREFIX_VMAP1..20 or S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE, or use --file")
				}
				return checkMap(ctx, e, client, opener, lines)
			}
		},
	}
}

// mapLines gathers the map's lines as the function does, without parsing
// them, so that each bad line can be reported.
func mapLines(getenv func(string) string, file string, readFile func(string) ([]byte, error)) ([]vmap.Line, error) {
	if file != "" {
		data, err := readFile(file)
		if err != nil {
			return nil, err
		}
		return vmap.FileLines(file, data), nil
	}
	var lines []vmap.Line
	for i := 1; i <= vmap.EnvMaxIndex; i++ {
		name := vmap.EnvPrefix + strconv.Itoa(i)
		if v := getenv(name); strings.TrimSpace(v) != "" {
			lines = append(lines, vmap.Line{Text: v, Source: name})
		}
	}
	if name := strings.TrimSpace(getenv(vmap.EnvExtFile)); name != "" {
		data, err := readFile(name)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", vmap.EnvExtFile, name, err)
		}
		lines = append(lines, vmap.FileLines(name, data)...)
	}
	return lines, nil
}

// readMapFile reads a local file or an S3 object (the form Terraform uses
// for maps too large for the environment).
func readMapFile(ctx context.Context, client *s3.Client) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if !strings.HasPrefix(name, "s3://") {
			return os.ReadFile(name)
		}
		u, err := parseS3URL(name)
		if err != nil {
			return nil, err
		}
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(u.bucket), Key: aws.String(u.key)})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", u, err)
		}
		defer out.Body.Close()
		data, err := io.ReadAll(io.LimitReader(out.Body, maxMapFile+1))
		if err == nil && len(data) > maxMapFile {
			err = fmt.Errorf("larger than %d bytes", maxMapFile)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", u, err)
		}
		return data, nil
	}
}

// checkRow is one line of the report.
type checkRow struct {
	prefix, archive string
	info            squash.Info
	size            int64
	note            string
	err             error
}

// checkMap checks every line; opener, when set, also opens each archive.
func checkMap(ctx context.Context, e *env, client *s3.Client, opener *archive.Opener, lines []vmap.Line) error {
	rows := make([]checkRow, len(lines))
	var good []vmap.Line
	entries := make([]*vmap.Entry, len(lines))
	for i, l := range lines {
		m, err := vmap.Parse([]vmap.Line{l})
		if err != nil {
			rows[i] = checkRow{prefix: "-", archive: "-", err: err}
			continue
		}
		ent := m.Entries()[0]
		entries[i] = &ent
		good = append(good, l)
		rows[i] = checkRow{prefix: "/" + ent.Prefix, archive: "s3://" + ent.Bucket + "/" + ent.Key}
	}
	// Lines that parse alone may still clash (a prefix mapped twice).
	if _, err := vmap.Parse(good); err != nil {
		rows = append(rows, checkRow{prefix: "-", archive: "-", err: err})
	}

	sem := make(chan struct{}, checkParallel)
	var wg sync.WaitGroup
	for i, ent := range entries {
		if ent == nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &rows[i]
			r.size, r.info, r.note, r.err = checkArchive(ctx, s3src.New(client, ent.Bucket, ent.Key))
			if r.err == nil && opener != nil {
				r.err = openArchive(ctx, opener, archive.Ref{Bucket: ent.Bucket, Key: ent.Key})
			}
		})
	}
	wg.Wait()

	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tARCHIVE\tSIZE\tBLOCK\tCOMPRESSOR\tINODES\tSTATUS")
	failed := 0
	for _, r := range rows {
		if r.err != nil {
			failed++
			size := "-"
			if r.size > 0 {
				size = strconv.FormatInt(r.size, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\tERROR: %v\n", r.prefix, r.archive, size, r.err)
			continue
		}
		status := "ok"
		if r.note != "" {
			status += " (" + r.note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%s\n", r.prefix, r.archive, r.size, r.info.BlockSize, r.info.Compressor, r.info.Inodes, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d entries", errCheckFailed, failed, len(rows))
	}
	return nil
}

// openArchive opens the archive as the function would and reads its root
// directory.
func openArchive(ctx context.Context, opener *archive.Opener, ref archive.Ref) error {
	a, err := opener.Open(ctx, ref)
	if err != nil {
		return err
	}
	if _, err := a.Image(ctx).ReadDir("", "", 1); err != nil {
		return fmt.Errorf("read the root directory: %w", err)
	}
	return nil
}

// checkArchive reads the object's superblock with one ranged GET.
func checkArchive(ctx context.Context, obj *s3src.Reader) (int64, squash.Info, string, error) {
	data, meta, err := obj.GetRange(ctx, 0, squash.SuperblockSize)
	switch {
	case errors.Is(err, s3src.ErrNotFound):
		return 0, squash.Info{}, "", errors.New("object not found")
	case errors.Is(err, s3src.ErrAccessDenied):
		return 0, squash.Info{}, "", errors.New("access denied (check the credentials' s3:GetObject permission)")
	case err != nil:
		return 0, squash.Info{}, "", err
	}
	info, err := squash.ParseSuperblock(data)
	if err != nil {
		return meta.Size, info, "", fmt.Errorf("not a squashfs archive: %w", err)
	}
	if info.BytesUsed > meta.Size {
		return meta.Size, info, "", fmt.Errorf("truncated: the superblock says %d bytes, the object has %d", info.BytesUsed, meta.Size)
	}
	if meta.Superblock == nil {
		return meta.Size, info, "no " + s3src.SuperblockMetadata + " metadata", nil
	}
	if !bytes.Equal(meta.Superblock, data) {
		return meta.Size, info, "", fmt.Errorf("the %s metadata differs from the object's superblock (replaced without 's3archivefs install'?)", s3src.SuperblockMetadata)
	}
	return meta.Size, info, "", nil
}
