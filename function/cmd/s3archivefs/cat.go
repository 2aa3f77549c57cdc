package main

import (
	"context"
	"flag"
)

func catCommand() *command {
	return &command{
		name:    "cat",
		args:    "[flags] <s3://bucket/key | file.sqfs> <path>...",
		summary: "Write files from inside an archive in S3 to stdout.",
		help: `Streams each file's bytes, in order, reading only the data blocks that
hold them (through the chunk cache). Symbolic links are followed inside
the archive.

Examples:
  s3archivefs cat s3://archive-bucket/archives/linux-6.1.sqfs README
  s3archivefs cat s3://archive-bucket/archives/logs.sqfs 2024/01/app.log | grep ERROR`,
		flags: func(fl *flag.FlagSet) func(context.Context, *env, []string) error {
			var rf readFlags
			rf.register(fl)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) < 2 {
					return usagef("want s3://bucket/key and at least one path, got %d arguments", len(args))
				}
				a, err := rf.open(ctx, e, args[0])
				if err != nil {
					return err
				}
				defer a.close()
				fsys := a.fs
				for _, p := range args[1:] {
					p = cleanPath(p)
					if _, err := copyFile(fsys, p, e.stdout); err != nil {
						return pathError(p, err)
					}
				}
				return nil
			}
		},
	}
}
