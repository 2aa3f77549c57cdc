package squash

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/s3archivefs/s3archivefs/function/internal/codec"
)

const (
	// maxRunBlocks bounds the blocks one read-ahead fetch covers. The
	// first fetch of a stream is one block (the first byte waits for one
	// block only); each next one doubles up to this.
	maxRunBlocks = 4
	// minWindow is the fewest decoded blocks a stream holds ahead of its
	// consumer: two fetches' worth, so one is decoded while the next is
	// read.
	minWindow = 2 * maxRunBlocks
)

// piece is one block of a stream (or the file's tail), decoded by a
// worker; done is closed once data or err is set.
type piece struct {
	done chan struct{}
	data []byte  // the bytes to deliver
	buf  *[]byte // the stream's block buffer data lies in, nil if none
	run  *run    // the run data lies in (a block stored uncompressed), nil if none
	err  error
}

// run is the compressed bytes of adjacent blocks fetched with one ReadAt,
// shared by the workers decoding them and by the pieces delivered from it
// (blocks stored uncompressed): the last one returns it.
type run struct {
	start int64 // archive offset of src[0]
	src   []byte
	buf   *[]byte // the stream's buffer src lies in
	refs  atomic.Int32
}

// bufList is a stream's own buffers of one kind, reused for its life and
// gone with it. The window bounds how many are out at once, so a stream
// allocates a few and then nothing: a sync.Pool dropped its idle buffers
// at every collection, the stream made them again, and that churn drove
// the collections and the heap's peaks (the function's peak memory grew
// with the number of 1 GiB GETs it served).
type bufList struct {
	size  int // bytes of a new buffer
	slack int // and capacity past them
	mu    sync.Mutex
	free  []*[]byte
}

func (l *bufList) get() *[]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free = l.free[:n-1]
		return b
	}
	b := make([]byte, l.size, l.size+l.slack)
	return &b
}

func (l *bufList) put(b *[]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.free = append(l.free, b)
}

// stream delivers [off, end) of a file in order while it reads and
// decodes ahead: a producer goroutine fetches runs of blocks, workers (at
// most Options.Decoders at once, GOMAXPROCS by default) decode them into
// the stream's block buffers (blocks stored uncompressed are delivered
// from the run itself), and the queue of pieces in file order, bounded by the
// window, bounds memory: window blocks, plus the runs their pieces lie in
// and the runs being decoded (consecutive pieces share runs of at most
// maxRunBlocks blocks), whatever the archive claims. Close stops the
// producer and waits for it and the workers, so an early Close leaves no
// goroutine behind.
type stream struct {
	f     *File
	queue chan *piece
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup // the producer and the workers
	fail  atomic.Bool    // a worker failed: stop producing

	runs   bufList // compressed runs
	blocks bufList // decoded blocks

	cur  *piece
	rest []byte
	err  error
}

func newStream(f *File, off, end int64) *stream {
	workers := f.a.decoders
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	bs := int(f.a.info.BlockSize)
	s := &stream{
		f:      f,
		queue:  make(chan *piece, max(minWindow, 2*workers)),
		stop:   make(chan struct{}),
		runs:   bufList{size: maxRunBlocks * bs},
		blocks: bufList{size: bs, slack: codec.DstSlack},
	}
	s.wg.Add(1)
	go s.produce(off, end, workers)
	return s
}

// push queues p, unless the stream is closed.
func (s *stream) push(p *piece) bool {
	select {
	case s.queue <- p:
		return true
	case <-s.stop:
		return false
	}
}

// pushErr queues a failed piece.
func (s *stream) pushErr(err error) {
	p := &piece{done: make(chan struct{}), err: err}
	close(p.done)
	s.push(p)
}

func (s *stream) produce(off, end int64, workers int) {
	defer s.wg.Done()
	defer close(s.queue)
	f := s.f
	a := f.a
	bs := int64(a.info.BlockSize)
	if off >= end {
		return
	}
	first, last := off/bs, (end-1)/bs
	// span returns the part of block i the stream delivers, relative to
	// the block's start.
	span := func(i int64) (lo, hi int64) {
		return max(off, i*bs) - i*bs, min(end, i*bs+f.blockLen(i)) - i*bs
	}
	sem := make(chan struct{}, workers)
	dataLast := min(last, f.nblocks-1)
	runLen := int64(1)
	for i := first; i <= dataLast; {
		if s.fail.Load() {
			return
		}
		j := min(i+runLen-1, dataLast)
		blocks, err := f.blockList(j)
		if err != nil {
			s.pushErr(err)
			return
		}
		b := blocks[i]
		if b.sparse() {
			lo, hi := span(i)
			bp := s.blocks.get()
			data := (*bp)[lo:hi]
			clear(data)
			p := &piece{done: make(chan struct{}), data: data, buf: bp}
			close(p.done)
			if !s.push(p) {
				s.blocks.put(bp)
				return
			}
			i++
			continue
		}
		// The run: adjacent stored blocks from i, within maxRun bytes.
		k := i
		for k+1 <= j && !blocks[k+1].sparse() && blocks[k+1].start-b.start+blocks[k+1].size <= maxRun {
			k++
		}
		r := s.fetch(blocks[i].start, blocks[k].start+blocks[k].size)
		if r == nil {
			return
		}
		r.refs.Store(int32(k - i + 1))
		for n := i; n <= k; n++ {
			lo, hi := span(n)
			p := &piece{done: make(chan struct{})}
			select {
			case sem <- struct{}{}:
			case <-s.stop:
				return
			}
			// Every queued piece gets its worker: Close waits for them all.
			if !s.push(p) {
				<-sem
				return
			}
			s.wg.Add(1)
			go func(n int64, blk dataBlock) {
				defer s.wg.Done()
				defer func() { <-sem }()
				s.decode(p, r, blk, n, lo, hi)
			}(n, blocks[n])
		}
		i = k + 1
		runLen = min(2*runLen, maxRunBlocks)
	}
	if last >= f.nblocks && f.ino.frag != noFragment {
		tail, err := f.tail()
		if err != nil {
			s.pushErr(err)
			return
		}
		lo, hi := span(f.nblocks)
		p := &piece{done: make(chan struct{}), data: tail[lo:hi]}
		close(p.done)
		s.push(p)
	}
}

// fetch reads the compressed bytes [start, end) of the archive into a run,
// or queues the error and returns nil.
func (s *stream) fetch(start, end int64) *run {
	// A run is at most maxRunBlocks blocks, each at most the block size
	// (checkBlock refuses more): it fits the stream's run buffers.
	buf := s.runs.get()
	src := (*buf)[:end-start]
	if err := s.f.a.readAt(src, start); err != nil {
		s.runs.put(buf)
		s.pushErr(fmt.Errorf("squash: data blocks at %d: %w", start, err))
		return nil
	}
	return &run{start: start, src: src, buf: buf}
}

// decode decompresses block n (stored as blk, inside r) into a block
// buffer and completes p with the bytes [lo, hi) of it. A block stored
// uncompressed is delivered from r itself, without a copy: p then holds
// r until it is released.
func (s *stream) decode(p *piece, r *run, blk dataBlock, n, lo, hi int64) {
	a, f := s.f.a, s.f
	defer close(p.done)
	off := blk.start - r.start
	want := int(f.blockLen(n))
	if blk.uncompressed {
		if blk.size != int64(want) {
			s.unref(r)
			p.err = corruptf("block %d of %q: %d bytes stored, want %d", n, f.entry.Name, blk.size, want)
			s.fail.Store(true)
			return
		}
		p.data, p.run = r.src[off+lo:off+hi], r
		return
	}
	defer s.unref(r)
	bp := s.blocks.get()
	got, err := a.decode((*bp)[:want:want+codec.DstSlack], r.src[off:off+blk.size], blk)
	if err == nil && got != want {
		err = corruptf("block %d of %q: %d bytes, want %d", n, f.entry.Name, got, want)
	}
	if err != nil {
		s.blocks.put(bp)
		p.err = err
		s.fail.Store(true)
		return
	}
	p.data, p.buf = (*bp)[lo:hi], bp
}

// unref drops one hold on r; the last returns its buffer to the pool.
func (s *stream) unref(r *run) {
	if r.refs.Add(-1) == 0 {
		s.runs.put(r.buf)
	}
}

// free returns what p's data lies in.
func (s *stream) free(p *piece) {
	if p.buf != nil {
		s.blocks.put(p.buf)
	}
	if p.run != nil {
		s.unref(p.run)
	}
}

// next returns the next piece in order, waiting for its decode, or the
// stream's error (io.EOF at the end). The previous piece's buffer goes
// back to the pool.
func (s *stream) next() (*piece, error) {
	s.release()
	if s.err != nil {
		return nil, s.err
	}
	if s.closed() {
		s.err = fs.ErrClosed
		return nil, s.err
	}
	p, ok := <-s.queue
	if !ok {
		s.err = io.EOF
		if s.closed() { // drained by a concurrent Close: not the end
			s.err = fs.ErrClosed
		}
		return nil, s.err
	}
	<-p.done
	if p.err != nil {
		s.err = p.err
		s.Close()
		return nil, s.err
	}
	s.cur = p
	return p, nil
}

func (s *stream) closed() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

func (s *stream) release() {
	if s.cur != nil {
		s.free(s.cur)
	}
	s.cur, s.rest = nil, nil
}

func (s *stream) Read(b []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.closed() {
		return 0, fs.ErrClosed
	}
	if len(s.rest) == 0 {
		if len(b) == 0 {
			return 0, nil
		}
		for len(s.rest) == 0 {
			p, err := s.next()
			if err != nil {
				return 0, err
			}
			s.rest = p.data
		}
	}
	n := copy(b, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}

// WriteTo writes the rest of the stream to w straight from the decoded
// blocks (io.Copy uses it: one copy fewer than Read). When w fails, the
// bytes it did not take stay in the stream: a later Read or WriteTo goes
// on from there.
func (s *stream) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if s.err != nil {
		return 0, s.err
	}
	if s.closed() {
		return 0, fs.ErrClosed
	}
	for {
		if len(s.rest) == 0 {
			p, err := s.next()
			if err == io.EOF {
				return total, nil
			}
			if err != nil {
				return total, err
			}
			s.rest = p.data
			continue
		}
		n, err := w.Write(s.rest)
		if n < 0 || n > len(s.rest) {
			return total, errors.New("squash: invalid write count")
		}
		total += int64(n)
		s.rest = s.rest[n:]
		if err == nil && len(s.rest) > 0 {
			err = io.ErrShortWrite // as io.Copy: a writer that takes less must say why
		}
		if err != nil {
			return total, err
		}
	}
}

// Close stops the read-ahead and waits for the producer and the workers.
// It may be called while a Read is in flight (net/http does so).
func (s *stream) Close() error {
	s.once.Do(func() {
		close(s.stop)
		s.wg.Wait()
		for p := range s.queue {
			<-p.done
			s.free(p)
		}
	})
	return nil
}
