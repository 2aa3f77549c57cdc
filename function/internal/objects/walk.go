package objects

import (
	"container/heap"
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/internal/squash"
)

// readDirPage is how many directory entries the walker asks for at a time.
const readDirPage = 256

// file is a regular file found by the walk, with its key relative to the
// archive root.
type file struct {
	key   string
	entry squash.Entry // the file's own entry (a symlink's target)
}

// walk yields the regular files of the archive (and symlinks that resolve to
// one) whose keys are >= from, in byte order of their keys.
//
// Keys order a directory "d" by "d/", not by "d": "d-x" and "d.txt" come
// before everything in "d/". The walker emits a directory only once every
// entry that sorts before it has been seen, and starts each directory at
// `from` without reading what comes before it, so the cost of a page is the
// page plus a few lookups per level, whatever the archive's size.
func walk(ctx context.Context, a *squash.Image, from string, yield func(file, error) bool) bool {
	return walkDir(ctx, a, "", from, yield)
}

// pending is an entry waiting for its turn in key order.
type pending struct {
	sortKey string // name, or name+"/" for a directory
	name    string
	typ     fs.FileMode
	// inode returns the entry's attributes (read only for entries yielded).
	inode func() (squash.Entry, error)
	from  string // where to start inside a directory ("" = all of it)
}

type pendingHeap []pending

func (h pendingHeap) Len() int           { return len(h) }
func (h pendingHeap) Less(i, j int) bool { return h[i].sortKey < h[j].sortKey }
func (h pendingHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)        { *h = append(*h, x.(pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func walkDir(ctx context.Context, a *squash.Image, dir, from string, yield func(file, error) bool) bool {
	first, rest, descend := strings.Cut(from, "/")
	var h pendingHeap
	// consider queues an entry if any of its keys can be >= from.
	consider := func(name string, typ fs.FileMode, inode func() (squash.Entry, error)) {
		k := name
		if typ.IsDir() {
			k += "/"
		}
		switch {
		case typ.IsDir() && name == first && descend:
			heap.Push(&h, pending{sortKey: k, name: name, typ: typ, inode: inode, from: rest})
		case k >= from:
			heap.Push(&h, pending{sortKey: k, name: name, typ: typ, inode: inode})
		}
	}
	// lookup considers the entry at dir/name, if there is one.
	lookup := func(name string, dirsOnly bool) error {
		if name == "." || name == ".." {
			// No entry has these names; path.Join would resolve them to
			// another directory, whose keys would then be listed under a
			// spelling no GET accepts.
			return nil
		}
		e, err := a.Lstat(path.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return err
		case !dirsOnly || e.Mode.IsDir():
			consider(name, e.Mode.Type(), func() (squash.Entry, error) { return e, nil })
		}
		return nil
	}
	// emit yields, in order, every queued entry that sorts before bound:
	// no entry still unread can sort before it.
	emit := func(bound string, all bool) bool {
		for h.Len() > 0 && (all || h[0].sortKey < bound) {
			p := heap.Pop(&h).(pending)
			if !visit(ctx, a, dir, p, yield) {
				return false
			}
		}
		return true
	}

	if first != "" {
		// Directories whose names are proper prefixes of `first` followed by
		// a byte below '/' sort after `from` although their names sort
		// before it: look each up directly.
		for i := 1; i < len(first); i++ {
			if first[i] < '/' {
				if err := lookup(first[:i], true); err != nil {
					return yield(file{}, err)
				}
			}
		}
		if err := lookup(first, false); err != nil {
			return yield(file{}, err)
		}
	}
	after := first
	for {
		if err := ctx.Err(); err != nil {
			return yield(file{}, err)
		}
		entries, err := a.ReadDirTypes(dir, after, readDirPage)
		if err != nil {
			return yield(file{}, err)
		}
		for _, e := range entries {
			if !emit(e.Name, false) {
				return false
			}
			consider(e.Name, e.Type, func() (squash.Entry, error) { return a.EntryOf(e) })
			after = e.Name
		}
		if len(entries) < readDirPage {
			return emit("", true)
		}
	}
}

func visit(ctx context.Context, a *squash.Image, dir string, p pending, yield func(file, error) bool) bool {
	name := path.Join(dir, p.name)
	switch {
	case p.typ.IsDir():
		return walkDir(ctx, a, name, p.from, yield)
	case p.typ.IsRegular():
		e, err := p.inode()
		if err != nil {
			return yield(file{}, err)
		}
		return yield(file{key: name, entry: e}, nil)
	case p.typ&fs.ModeSymlink != 0:
		// A symlink to a regular file is an object with the target's
		// content; links to directories are not followed (they could
		// loop) and dangling links are no object at all.
		target, err := a.Stat(name)
		if err != nil || !target.Mode.IsRegular() {
			return true
		}
		return yield(file{key: name, entry: target}, nil)
	}
	return true // devices, fifos, sockets: not objects
}
