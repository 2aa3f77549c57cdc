package chunkcache

import (
	"context"
	"io"
	"sync"
)

// flight is one chunk being fetched; done is closed once data or err is
// final. While the fetch runs, data fills in one or two stretches (a fetch
// split at its first reader's offset fills [at, len) and [0, at) at once),
// and a reader whose bytes have arrived takes them without waiting for
// the rest of the chunk. A fetched chunk's flight stays until the chunk is
// on disk (or could not be put there), so readers that miss on disk
// meanwhile share its bytes instead of fetching them again.
type flight struct {
	done chan struct{}
	data []byte
	err  error

	mu      sync.Mutex
	filling bool          // data is being filled and readers may take parts
	at      int64         // where the second stretch starts (0: one stretch)
	low     int64         // [0, low) has arrived (with a second stretch)
	high    int64         // [at, at+high) has arrived
	wake    chan struct{} // closed and replaced as bytes arrive
}

func newFlight() *flight {
	return &flight{done: make(chan struct{}), wake: make(chan struct{})}
}

// delivered reports whether f has all its bytes.
func (f *flight) delivered() bool {
	select {
	case <-f.done:
		return f.err == nil
	default:
		return false
	}
}

// finish makes data or err final and wakes every reader. A failed fetch
// stops the filling: its buffer goes, and readers of bytes that had
// arrived get the error too (they have only the buffer to copy from).
func (f *flight) finish(data []byte, err error) {
	f.mu.Lock()
	f.data, f.err = data, err
	f.filling = f.filling && err == nil
	f.mu.Unlock()
	close(f.done)
}

// fill starts filling buf, the chunk's buffer, split at at (0: not split).
func (f *flight) fill(buf []byte, at int64) {
	f.mu.Lock()
	f.data, f.at, f.filling = buf, at, true
	f.mu.Unlock()
}

// arrived records n more bytes of the stretch that starts at from (a
// flight not filling, whose readers wait for the end, ignores it).
func (f *flight) arrived(from int64, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.filling {
		return
	}
	if from == 0 && f.at > 0 {
		f.low += int64(n)
	} else {
		f.high += int64(n)
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// has reports whether [lo, hi) has arrived (f.mu held).
func (f *flight) has(lo, hi int64) bool {
	switch {
	case f.at > 0 && hi <= f.low:
		return true
	case lo >= f.at && hi <= f.at+f.high:
		return true
	}
	return f.low == f.at && hi <= f.at+f.high // both stretches, contiguous
}

// wait returns the chunk's buffer once [lo, hi) of it has arrived (those
// bytes no longer change), or the fetch's error.
func (f *flight) wait(ctx context.Context, lo, hi int64) ([]byte, error) {
	for {
		f.mu.Lock()
		wake, data := f.wake, f.data
		ready := f.filling && f.has(lo, hi)
		f.mu.Unlock()
		if ready {
			return data, nil
		}
		select {
		case <-f.done:
			return f.data, f.err
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// readInto fills dst from r, recording each read in f as the stretch
// starting at from, so waiting readers see the bytes at once.
func readInto(r io.Reader, dst []byte, f *flight, from int64) error {
	for got := 0; got < len(dst); {
		n, err := r.Read(dst[got:])
		got += n
		if n > 0 {
			f.arrived(from, n)
		}
		if err == io.EOF && got < len(dst) {
			return io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}
