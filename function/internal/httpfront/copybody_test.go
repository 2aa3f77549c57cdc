package httpfront

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/iotest"
)

// flushCounter is a ResponseWriter that counts flushes and can fail
// writes after room bytes, like a client that went away.
type flushCounter struct {
	*httptest.ResponseRecorder
	room    int
	flushes int
}

var errGone = errors.New("client went away")

func (f *flushCounter) Write(p []byte) (int, error) {
	n := min(len(p), f.room)
	f.room -= n
	f.ResponseRecorder.Write(p[:n])
	if n < len(p) {
		return n, errGone
	}
	return n, nil
}

func (f *flushCounter) Flush() { f.flushes++ }

// TestCopyBody streams bodies that write themselves out (io.WriterTo) and
// plain readers, whole, broken off by a read error, and to a client that
// goes away: the client gets the bytes in order, every write that went
// through is flushed, and the error that stopped the copy is returned.
func TestCopyBody(t *testing.T) {
	data := bytes.Repeat([]byte("squashfs "), 100_000) // 900 kB: several buffers' worth
	errRead := errors.New("corrupt block")
	bodies := map[string]func() io.Reader{
		"writer-to": func() io.Reader { return bytes.NewReader(data) },
		"plain":     func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} },
		"plain, broken off": func() io.Reader {
			return io.MultiReader(struct{ io.Reader }{bytes.NewReader(data[:1000])}, iotest.ErrReader(errRead))
		},
		"writer-to, broken off": func() io.Reader {
			return io.MultiReader(bytes.NewReader(data[:1000]), iotest.ErrReader(errRead))
		},
	}
	for name, body := range bodies {
		for _, room := range []int{len(data), 500} {
			w := &flushCounter{ResponseRecorder: httptest.NewRecorder(), room: room}
			err := copyBody(w, body())
			want, wantErr := data, error(nil)
			if room < len(data) {
				want, wantErr = data[:room], errGone
			} else if name == "plain, broken off" || name == "writer-to, broken off" {
				want, wantErr = data[:1000], errRead
			}
			if !errors.Is(err, wantErr) || !bytes.Equal(w.Body.Bytes(), want) {
				t.Errorf("%s, room %d: %d bytes, %v; want %d bytes, %v", name, room, w.Body.Len(), err, len(want), wantErr)
			}
			if wantErr != errGone && w.flushes == 0 {
				t.Errorf("%s, room %d: nothing flushed", name, room)
			}
		}
	}
}

// copyBody flushes through http.ResponseController, which finds Flush.
var _ http.Flusher = (*flushCounter)(nil)
