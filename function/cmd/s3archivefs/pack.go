package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// packBlockSize is the recommended block size: large blocks mean few
// ranged GETs per file and a small block index.
const packBlockSize = 1 << 20

func packCommand() *command {
	return &command{
		name:    "pack",
		args:    "[flags] <dir> <file.sqfs>",
		summary: "Build a squashfs archive of a directory with the recommended settings.",
		help: `Runs mksquashfs (squashfs-tools) or, if it is missing, gensquashfs
(squashfs-tools-ng) with 1 MiB blocks, file times kept and the chosen
compressor. The archive is written to a temporary file and renamed into
place, so a failed pack leaves no partial archive.

Examples:
  s3archivefs pack ./linux-6.1 linux-6.1.sqfs
  s3archivefs pack --comp xz --tool gensquashfs ./data data.sqfs`,
		flags: func(fl *flag.FlagSet) func(context.Context, *env, []string) error {
			comp := fl.String("comp", "zstd", "compressor: `zstd` (fast reads) or xz (smaller)")
			tool := fl.String("tool", "auto", "`program` to run: auto, mksquashfs or gensquashfs")
			force := fl.Bool("force", false, "overwrite an existing output file")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("want a directory and an output file, got %d arguments", len(args))
				}
				if *comp != "zstd" && *comp != "xz" {
					return usagef("--comp %q: want zstd or xz", *comp)
				}
				return pack(ctx, e, args[0], args[1], *comp, *tool, *force)
			}
		},
	}
}

func pack(ctx context.Context, e *env, dir, out, comp, tool string, force bool) error {
	if fi, err := os.Stat(dir); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s: not a directory", dir)
	}
	if _, err := os.Lstat(out); err == nil && !force {
		return fmt.Errorf("%s exists (use --force to overwrite)", out)
	}
	prog, err := packTool(tool)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	bs := strconv.Itoa(packBlockSize)
	var args []string
	switch filepath.Base(prog) {
	case "mksquashfs":
		// mksquashfs keeps file times by default; -noappend because the
		// temp file exists.
		args = []string{dir, tmp.Name(), "-noappend", "-comp", comp, "-b", bs}
		if !isTerminal(e.stderr) {
			args = append(args, "-no-progress")
		}
	default:
		args = []string{"--pack-dir", dir, "--compressor", comp, "--block-size", bs, "--keep-time", "--force"}
		if !isTerminal(e.stderr) {
			args = append(args, "--quiet")
		}
		args = append(args, tmp.Name())
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	// The tool's report is a message, not data: stderr.
	cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w", filepath.Base(prog), err)
	}
	info, err := archiveInfo(tmp.Name())
	if err != nil {
		return fmt.Errorf("%s wrote an unreadable archive: %w", filepath.Base(prog), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	fi, err := os.Stat(tmp.Name())
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\t%d bytes\t%s\tblock %d\t%d inodes\n", out, fi.Size(), info.Compressor, info.BlockSize, info.Inodes)
	return nil
}

// packTool finds the program to run.
func packTool(want string) (string, error) {
	switch want {
	case "auto":
		for _, name := range []string{"mksquashfs", "gensquashfs"} {
			if p, err := exec.LookPath(name); err == nil {
				return p, nil
			}
		}
		return "", errors.New("neither mksquashfs nor gensquashfs is installed: install squashfs-tools " +
			"(apt-get install squashfs-tools, dnf install squashfs-tools, brew install squashfs) or squashfs-tools-ng")
	case "mksquashfs", "gensquashfs":
		p, err := exec.LookPath(want)
		if err != nil {
			pkg := map[string]string{"mksquashfs": "squashfs-tools", "gensquashfs": "squashfs-tools-ng"}[want]
			return "", fmt.Errorf("%s is not installed (it comes with %s): %w", want, pkg, err)
		}
		return p, nil
	}
	return "", usagef("--tool %q: want auto, mksquashfs or gensquashfs", want)
}

// archiveInfo reads and checks the superblock of a local archive.
func archiveInfo(name string) (squash.Info, error) {
	f, err := os.Open(name)
	if err != nil {
		return squash.Info{}, err
	}
	defer f.Close()
	_, info, err := readSuperblock(f, name)
	return info, err
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
