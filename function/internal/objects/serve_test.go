package objects

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
)

// oneObject is a Namespace of one object whose body is body().
type oneObject struct {
	size int64
	body func() io.Reader
}

func (n oneObject) Object(_ context.Context, key string, _ Hint) (Object, error) {
	return &fakeObject{n: n, key: key}, nil
}
func (n oneObject) Sources(string) []s3api.Source { return nil }

type fakeObject struct {
	n      oneObject
	key    string
	closed bool
}

func (o *fakeObject) Info() s3api.ObjectInfo {
	return s3api.ObjectInfo{Key: o.key, Size: o.n.size, ETag: `"e"`}
}
func (o *fakeObject) Open(context.Context, int64, int64) (io.ReadCloser, error) {
	return io.NopCloser(o.n.body()), nil
}
func (o *fakeObject) Close() error    { o.closed = true; return nil }
func (o *fakeObject) Archive() string { return "" }

// TestServePrereads: a failure before the first byte is an error answer
// a client retries (503 SlowDown) or not (500 InternalError), never a 200
// with a broken body; a failure after the first block is left to the
// stream, which the front must cut.
func TestServePrereads(t *testing.T) {
	get := s3api.Request{Op: s3api.GetObject, Key: "k"}
	transient := &s3src.Error{Op: "GET", Err: &netTimeout{}}
	tests := []struct {
		name   string
		size   int64
		body   func() io.Reader
		status int
		code   string
	}{
		{"S3 unavailable at the first byte", 10, func() io.Reader { return iotest.ErrReader(transient) }, 503, "SlowDown"},
		{"timeout at the first byte", 10, func() io.Reader { return iotest.ErrReader(context.DeadlineExceeded) }, 503, "SlowDown"},
		{"corrupt first block", 10, func() io.Reader { return iotest.ErrReader(errors.New("squash: corrupt archive")) }, 500, "InternalError"},
		{"body that ends before its first byte", 10, func() io.Reader { return bytes.NewReader(nil) }, 500, "InternalError"},
		{"whole body", 10, func() io.Reader { return bytes.NewReader([]byte("0123456789")) }, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Serve(context.Background(), oneObject{size: tt.size, body: tt.body}, get)
			if a.Status != tt.status || (a.Err == nil) != (tt.code == "") || a.Err != nil && a.Err.Code != tt.code {
				t.Fatalf("answer %d %v, want %d %s", a.Status, a.Err, tt.status, tt.code)
			}
			if a.Err != nil && a.Body != nil {
				t.Fatal("an error answer has a body")
			}
			if a.Body != nil {
				b, err := io.ReadAll(a.Body)
				a.Body.Close()
				if err != nil || string(b) != "0123456789" {
					t.Fatalf("body %q, %v", b, err)
				}
			}
		})
	}
	t.Run("failure after the first block reaches the stream", func(t *testing.T) {
		size := int64(prereadBytes + 10)
		body := func() io.Reader {
			return io.MultiReader(bytes.NewReader(make([]byte, prereadBytes)), iotest.ErrReader(transient))
		}
		a := Serve(context.Background(), oneObject{size: size, body: body}, get)
		if a.Status != 200 || a.Body == nil {
			t.Fatalf("answer %d %v", a.Status, a.Err)
		}
		defer a.Body.Close()
		n, err := io.Copy(io.Discard, a.Body)
		if err == nil || n != prereadBytes {
			t.Fatalf("read %d bytes, %v: the failure must end the stream with an error", n, err)
		}
	})
}

type netTimeout struct{}

func (netTimeout) Error() string   { return "i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

// failingWriter takes room bytes, then fails with errFull.
type failingWriter struct {
	buf  bytes.Buffer
	room int
}

var errFull = errors.New("client went away")

func (w *failingWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.room)
	w.buf.Write(p[:n])
	w.room -= n
	if n < len(p) {
		return n, errFull
	}
	return n, nil
}

// TestServeWriteTo: a body that writes itself out (as an archive file's
// stream does) stays an io.WriterTo behind the bytes read ahead, and a
// writer failing inside the read-ahead bytes or after them gets the
// count it took and its own error, the rest still readable from there; a
// body that cannot write itself out is a plain reader.
func TestServeWriteTo(t *testing.T) {
	get := s3api.Request{Op: s3api.GetObject, Key: "k"}
	data := bytes.Repeat([]byte("0123456789abcdef"), (3*prereadBytes)/16+7)
	ns := oneObject{size: int64(len(data)), body: func() io.Reader { return bytes.NewReader(data) }}
	for _, room := range []int{0, 10, prereadBytes, prereadBytes + 5, len(data)} {
		a := Serve(context.Background(), ns, get)
		if a.Err != nil {
			t.Fatal(a.Err)
		}
		wt, ok := a.Body.(io.WriterTo)
		if !ok {
			t.Fatalf("the body of a WriterTo object is a %T, not an io.WriterTo", a.Body)
		}
		w := &failingWriter{room: room}
		n, err := wt.WriteTo(w)
		if wantErr := error(errFull); room == len(data) {
			if n != int64(len(data)) || err != nil {
				t.Errorf("room %d: WriteTo = %d, %v; want the whole body", room, n, err)
			}
		} else if n != int64(room) || !errors.Is(err, wantErr) {
			t.Errorf("room %d: WriteTo = %d, %v; want %d, %v", room, n, err, room, wantErr)
		}
		rest, err := io.ReadAll(a.Body)
		a.Body.Close()
		if err != nil || !bytes.Equal(append(w.buf.Bytes(), rest...), data) {
			t.Errorf("room %d: %d bytes written, %d read on (%v): not the body", room, w.buf.Len(), len(rest), err)
		}
	}
	plain := oneObject{size: int64(len(data)), body: func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} }}
	a := Serve(context.Background(), plain, get)
	defer a.Body.Close()
	if _, ok := a.Body.(io.WriterTo); ok {
		t.Error("the body of a plain reader claims to be an io.WriterTo")
	}
}
