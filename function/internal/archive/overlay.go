package archive

import "io"

// segment is a run of the archive's bytes held in memory.
type segment struct {
	off  int64
	data []byte
}

// overlay serves reads that fall wholly inside one of its segments from
// memory and everything else from rest. The segments are the bytes read at
// open; serving them from memory keeps every metadata read of a warm
// archive off the disk cache and the network.
type overlay struct {
	segments []segment
	rest     io.ReaderAt
}

func (o overlay) ReadAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	for _, s := range o.segments {
		if off >= s.off && end <= s.off+int64(len(s.data)) {
			return copy(p, s.data[off-s.off:end-s.off]), nil
		}
	}
	return o.rest.ReadAt(p, off)
}

// split sends reads below at to low and the rest to high, cutting a read
// that straddles the boundary in two.
type split struct {
	at        int64
	low, high io.ReaderAt
}

func (s split) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.at {
		return s.high.ReadAt(p, off)
	}
	if off+int64(len(p)) <= s.at {
		return s.low.ReadAt(p, off)
	}
	n, err := s.low.ReadAt(p[:s.at-off], off)
	if err != nil {
		return n, err
	}
	m, err := s.high.ReadAt(p[n:], s.at)
	return n + m, err
}
