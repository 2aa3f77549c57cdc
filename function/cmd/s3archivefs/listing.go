package main

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// longLine renders an entry as `unsquashfs -lln` does: mode, uid/gid and
// size (or device numbers) filling a fixed width, minute-precision time in
// loc, the name, and a symlink's target.
func longLine(e squash.Entry, name string, loc *time.Location) string {
	owner := fmt.Sprintf("%d/%d", e.UID, e.GID)
	// unsquashfs pads user plus group (without the slash) and the size
	// column to 25 characters, after one space; device numbers take 7.
	pad := max(25-(len(owner)-1), 0)
	var size string
	if e.Mode&fs.ModeDevice != 0 {
		size = fmt.Sprintf(" %*s%3d,%3d", max(pad-7, 1), "", e.Major(), e.Minor())
	} else {
		size = fmt.Sprintf(" %*d", pad, entrySize(e))
	}
	t := e.ModTime.In(loc)
	line := fmt.Sprintf("%s %s%s %s %s", squash.LsMode(e.Mode), owner, size, t.Format("2006-01-02 15:04"), name)
	if e.Mode&fs.ModeSymlink != 0 {
		line += " -> " + e.Target
	}
	return line
}

// entrySize is the size column: a symlink's is its target's length.
func entrySize(e squash.Entry) int64 {
	if e.Mode&fs.ModeSymlink != 0 {
		return int64(len(e.Target))
	}
	return e.Size
}
