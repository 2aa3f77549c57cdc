package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"text/tabwriter"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

func statCommand() *command {
	return &command{
		name:    "stat",
		args:    "[flags] <s3://bucket/key | file.sqfs> <path>",
		summary: "Describe one file inside an archive in S3.",
		help: `Prints the entry's fields, one "name: value" line each: path, type, mode,
uid, gid, size, modification time (RFC 3339, UTC), inode number, link
count and, for a symlink, its target (symlinks are not followed).
A final line gives the archive: its size, ETag, block size and compressor.

Examples:
  s3archivefs stat s3://archive-bucket/archives/linux-6.1.sqfs Makefile
  s3archivefs stat s3://archive-bucket/archives/linux-6.1.sqfs /
  s3archivefs stat linux-6.1.sqfs Makefile`,
		flags: func(fl *flag.FlagSet) func(context.Context, *env, []string) error {
			var rf readFlags
			rf.register(fl)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("want s3://bucket/key and a path, got %d arguments", len(args))
				}
				p := cleanPath(args[1])
				a, err := rf.open(ctx, e, args[0])
				if err != nil {
					return err
				}
				defer a.close()
				fsys := a.fs
				ent, err := fsys.Lstat(p)
				if err != nil {
					return pathError(p, err)
				}
				display := p
				if display == "" {
					display = "/"
				}
				info := fsys.Info()
				tw := tabwriter.NewWriter(e.stdout, 0, 8, 1, ' ', 0)
				fmt.Fprintf(tw, "path:\t%s\n", display)
				fmt.Fprintf(tw, "type:\t%s\n", typeName(ent.Mode))
				fmt.Fprintf(tw, "mode:\t%s (%04o)\n", squash.LsMode(ent.Mode), unixPerm(ent.Mode))
				fmt.Fprintf(tw, "uid:\t%d\n", ent.UID)
				fmt.Fprintf(tw, "gid:\t%d\n", ent.GID)
				fmt.Fprintf(tw, "size:\t%d\n", entrySize(ent))
				fmt.Fprintf(tw, "modified:\t%s\n", ent.ModTime.UTC().Format(time.RFC3339))
				fmt.Fprintf(tw, "inode:\t%d\n", ent.Inode)
				fmt.Fprintf(tw, "links:\t%d\n", ent.Nlink)
				if ent.Mode&fs.ModeSymlink != 0 {
					fmt.Fprintf(tw, "target:\t%s\n", ent.Target)
				}
				etag := ""
				if a.etag != "" {
					etag = " ETag " + a.etag
				}
				fmt.Fprintf(tw, "archive:\t%s %d bytes%s, block %d, %s\n", a.name, a.size, etag, info.BlockSize, info.Compressor)
				return tw.Flush()
			}
		},
	}
}

func typeName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "unknown"
}

// unixPerm is the mode's permission bits in their octal form.
func unixPerm(m fs.FileMode) uint32 {
	p := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}
