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
	line := fmt.Sprintf("%s %s%s %s %s", modeString(e.Mode), owner, size, t.Format("2006-01-02 15:04"), name)
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

// modeString renders a mode as ls -l does, with setuid, setgid and sticky
// bits in the execute columns.
func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if m&(1<<(8-i)) != 0 {
			b[1+i] = rwx[i]
		}
	}
	special := func(pos int, set bool, lower, upper byte) {
		if !set {
			return
		}
		if b[pos] == 'x' {
			b[pos] = lower
		} else {
			b[pos] = upper
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b)
}
