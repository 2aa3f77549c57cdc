package chunkcache

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type cachedFile struct {
	path  string
	size  int64
	mtime time.Time
}

// evict scans the cache and removes the least recently used chunks until
// it is within 90% of the cap and, when needed, the filesystem has its
// minimum free space again. One scan runs at a time in a process; a
// caller that finds one running returns at once unless must is set.
// Files vanishing under the scan (other processes evict too) are fine.
func (c *Cache) evict(must bool) {
	if must {
		c.evictMu.Lock()
	} else if !c.evictMu.TryLock() {
		return
	}
	defer c.evictMu.Unlock()
	c.usageMu.Lock()
	c.scanning, c.published = true, map[string]int64{}
	c.usageMu.Unlock()
	var total int64
	// The usage becomes what the scan counted, with the chunks published
	// meanwhile that it has not counted yet.
	defer func() {
		c.usageMu.Lock()
		late := sizes(c.published)
		total += late
		c.usage.Store(total)
		c.scanning, c.published = false, nil
		c.usageMu.Unlock()
		if late > 0 && total > c.cap {
			c.bg.Go(func() { c.evict(false) })
		}
	}()
	if c.hooks.scan != nil {
		c.hooks.scan()
	}

	var files []cachedFile
	now := time.Now()
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // unreadable or vanished: skip it
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".nfs") {
			// An NFS client's file removed while open: it goes when closed.
			return nil
		}
		if strings.HasPrefix(d.Name(), tempPrefix) {
			// Left by a process that died mid-write.
			if now.Sub(info.ModTime()) > staleTemp {
				os.Remove(path)
			}
			return nil
		}
		files = append(files, cachedFile{path, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	}
	// Other directories beside the layouts (the archive's open records)
	// are not chunks: left alone.
	filepath.WalkDir(c.root, walk)
	filepath.WalkDir(c.old, walk)

	target := c.cap / 100 * evictLowPercent
	var needFree int64
	if st, err := statfs(c.fsDir); err == nil && st.free < c.minFree {
		needFree = c.minFree - st.free
	}
	total += c.publishedUnseen(files)
	if total <= c.cap && needFree <= 0 {
		return
	}
	slices.SortFunc(files, func(a, b cachedFile) int { return a.mtime.Compare(b.mtime) })
	var freed int64
	for _, f := range files {
		if total <= target && freed >= needFree {
			break
		}
		c.handles.forget(f.path)
		if err := os.Remove(f.path); err != nil && !os.IsNotExist(err) {
			continue
		}
		total -= f.size
		freed += f.size
		c.evictions.Add(1)
		// Drop the object's directory once empty; it fails while not.
		os.Remove(filepath.Dir(f.path))
	}
	c.log.Debug("chunkcache: evicted", "dir", c.root, "bytes", freed, "remaining", total, "cap", c.cap)
}

// publishedUnseen returns the bytes of the chunks published since the scan
// began that its walk, which found files, missed; the scan counts them
// now and the ones published later when it ends.
func (c *Cache) publishedUnseen(files []cachedFile) int64 {
	c.usageMu.Lock()
	defer c.usageMu.Unlock()
	for _, f := range files {
		delete(c.published, f.path)
	}
	n := sizes(c.published)
	clear(c.published)
	return n
}

// sizes is the total of the chunk sizes in published.
func sizes(published map[string]int64) int64 {
	var n int64
	for _, size := range published {
		n += size
	}
	return n
}
