package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

func getCommand() *command {
	return &command{
		name:    "get",
		args:    "[flags] <s3://bucket/key | file.sqfs> <path> [dest]",
		summary: "Copy one file from inside an archive in S3 to a local file.",
		help: `Writes the file to dest (default: its base name in the current
directory; into dest if dest is a directory), with the archive's
permission bits and modification time. The file is written under a
temporary name and renamed, so an interrupted get leaves no partial file.
An existing file is replaced.

Examples:
  s3archivefs get s3://archive-bucket/archives/linux-6.1.sqfs Documentation/filesystems/squashfs.rst
  s3archivefs get s3://archive-bucket/archives/linux-6.1.sqfs Makefile /tmp/linux-Makefile`,
		flags: func(fl *flag.FlagSet) func(context.Context, *env, []string) error {
			var rf readFlags
			rf.register(fl)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) < 2 || len(args) > 3 {
					return usagef("want s3://bucket/key, a path and an optional destination, got %d arguments", len(args))
				}
				p := cleanPath(args[1])
				if p == "" {
					return usagef("%q is the archive's root directory: get copies one file", args[1])
				}
				dest := path.Base(p)
				if len(args) == 3 {
					dest = args[2]
					if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
						dest = filepath.Join(dest, path.Base(p))
					}
				}
				a, err := rf.open(ctx, e, args[0])
				if err != nil {
					return err
				}
				defer a.close()
				fsys := a.fs
				tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
				if err != nil {
					return err
				}
				defer os.Remove(tmp.Name())
				n, err := copyFile(fsys, p, tmp)
				if cerr := tmp.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return pathError(p, err)
				}
				ent, err := fsys.Stat(p)
				if err != nil {
					return pathError(p, err)
				}
				if err := os.Chmod(tmp.Name(), ent.Mode.Perm()); err != nil {
					return err
				}
				if err := os.Chtimes(tmp.Name(), ent.ModTime, ent.ModTime); err != nil {
					return err
				}
				if err := os.Rename(tmp.Name(), dest); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "%s -> %s (%d bytes)\n", p, dest, n)
				return nil
			}
		},
	}
}
