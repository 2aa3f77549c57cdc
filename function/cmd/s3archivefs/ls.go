package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

const (
	// lsPage is how many directory entries are read at a time.
	lsPage = 1024
	// maxDepth bounds -R: deeper than any real tree (PATH_MAX is 4096),
	// and a corrupt archive whose directories loop stops here.
	maxDepth = 2048
)

func lsCommand() *command {
	return &command{
		name:    "ls",
		args:    "[flags] <s3://bucket/key | file.sqfs> [path]",
		summary: "List a directory inside an archive in S3.",
		help: `Reads an archive in S3 through the chunk cache, as the function does:
only the metadata blocks the listing needs are fetched. A local archive
file can be listed too, to look inside before installing it.

Without -R, prints the names in the directory (the path itself if it is
not a directory). With -R, prints every entry below the path, depth first
in byte order, as paths from the archive root. -l prints the long form of
'unsquashfs -lln': mode, uid/gid, size, time (local, or UTC with --utc),
name and symlink target; 'ls -lR' prints the lines of 'unsquashfs -lln'
for the same entries, with paths from the archive root.

Examples:
  s3archivefs ls s3://archive-bucket/archives/linux-6.1.sqfs
  s3archivefs ls s3://archive-bucket/archives/linux-6.1.sqfs Documentation -l
  s3archivefs ls -lR --utc s3://archive-bucket/archives/linux-6.1.sqfs fs/squashfs
  s3archivefs ls -lR linux-6.1.sqfs`,
		flags: func(fl *flag.FlagSet) func(context.Context, *env, []string) error {
			var rf readFlags
			rf.register(fl)
			long := fl.Bool("l", false, "long listing, as unsquashfs -lln")
			recursive := fl.Bool("R", false, "list subdirectories recursively")
			utc := fl.Bool("utc", false, "print times in UTC (default: local time, TZ)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) < 1 || len(args) > 2 {
					return usagef("want s3://bucket/key and an optional path, got %d arguments", len(args))
				}
				p := ""
				if len(args) == 2 {
					p = cleanPath(args[1])
				}
				a, err := rf.open(ctx, e, args[0])
				if err != nil {
					return err
				}
				defer a.close()
				fsys := a.fs
				loc := time.Local
				if *utc {
					loc = time.UTC
				}
				w := bufio.NewWriter(e.stdout)
				l := &lister{ctx: ctx, fsys: fsys, w: w, long: *long, loc: loc}
				if err := l.list(p, *recursive); err != nil {
					w.Flush()
					return err
				}
				return w.Flush()
			}
		},
	}
}

type lister struct {
	ctx  context.Context
	fsys *squash.Image
	w    io.Writer
	long bool
	loc  *time.Location
}

func (l *lister) list(p string, recursive bool) error {
	// A long listing describes a symlink named on the command line; a
	// short one lists the directory it points to, as ls does.
	stat := l.fsys.Stat
	if l.long {
		stat = l.fsys.Lstat
	}
	e, err := stat(p)
	if err != nil {
		return pathError(p, err)
	}
	if !e.IsDir() {
		return l.print(e, p)
	}
	if recursive {
		return l.walk(p, 0)
	}
	return l.readDir(p, func(e squash.Entry) error { return l.print(e, e.Name) })
}

// walk prints every entry below dir, depth first.
func (l *lister) walk(dir string, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("%s: deeper than %d levels (corrupt archive?)", dir, maxDepth)
	}
	return l.readDir(dir, func(e squash.Entry) error {
		name := path.Join(dir, e.Name)
		if err := l.print(e, name); err != nil {
			return err
		}
		if e.IsDir() {
			return l.walk(name, depth+1)
		}
		return nil
	})
}

// readDir calls fn for each entry of dir in byte order, a page at a time.
func (l *lister) readDir(dir string, fn func(squash.Entry) error) error {
	after := ""
	for {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		page, err := l.fsys.ReadDir(dir, after, lsPage)
		if err != nil {
			return pathError(dir, err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < lsPage {
			return nil
		}
		after = page[len(page)-1].Name
	}
}

func (l *lister) print(e squash.Entry, name string) error {
	if name == "" {
		name = "."
	}
	var err error
	if l.long {
		_, err = fmt.Fprintln(l.w, longLine(e, name, l.loc))
	} else {
		_, err = fmt.Fprintln(l.w, name)
	}
	return err
}

// pathError words a lookup failure for people.
func pathError(p string, err error) error {
	if p == "" {
		p = "/"
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file or directory in the archive", p)
	case errors.Is(err, squash.ErrNotDir):
		return fmt.Errorf("%s: a path component is not a directory", p)
	case errors.Is(err, squash.ErrIsDir):
		return fmt.Errorf("%s: is a directory", p)
	}
	return err
}
