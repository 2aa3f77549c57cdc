package objects

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
)

// prereadBytes bounds the first read of a GET's body, made before Serve
// answers: the reader then holds its first block (a squashfs block is
// decoded whole; a real object's first bytes have arrived), so a failure to
// reach S3 or a corrupt first block is an S3 error the client can retry,
// not a broken stream after a 200, and the first byte waits for one block
// only.
const prereadBytes = 64 << 10

// Serve answers one request from the namespace with S3's rules. It never
// returns nil; every failure is an answer with an S3 error.
func Serve(ctx context.Context, ns Namespace, req s3api.Request) *s3api.Answer {
	switch req.Op {
	case s3api.GetObject, s3api.HeadObject:
		return serveObject(ctx, ns, req)
	case s3api.ListObjects, s3api.ListObjectsV2:
		res, err := s3api.List(ctx, req.List, ns.Sources(req.List.Prefix))
		if err != nil {
			return s3api.ErrorAnswer(err)
		}
		return &s3api.Answer{Status: 200, List: res}
	}
	return s3api.ErrorAnswer(s3api.NotImplemented("This operation is not supported."))
}

func serveObject(ctx context.Context, ns Namespace, req s3api.Request) *s3api.Answer {
	head := req.Op == s3api.HeadObject
	obj, err := ns.Object(ctx, req.Key, Hint{Head: head, Range: req.Range})
	if err != nil {
		a := s3api.ErrorAnswer(err)
		var named interface{ ArchiveName() string }
		if errors.As(err, &named) {
			a.Archive = named.ArchiveName()
		}
		return a
	}
	a, off, n := s3api.Select(req, obj.Info())
	a.Archive = obj.Archive()
	if head || a.Err != nil || n == 0 {
		obj.Close()
		return a
	}
	body, err := obj.Open(ctx, off, n)
	if err != nil {
		obj.Close()
		return failed(a, ReadError(err))
	}
	first, err := readFirst(body, min(n, prereadBytes))
	if err != nil {
		body.Close()
		obj.Close()
		return failed(a, ReadError(err))
	}
	a.Body = newPreread(first, body, obj)
	return a
}

// readFirst reads until the body yields its first bytes (up to max): what
// one block gives. An error, or an end before any byte, is returned.
func readFirst(body io.Reader, max int64) ([]byte, error) {
	buf := make([]byte, max)
	for {
		m, err := body.Read(buf)
		switch {
		case m > 0 && (err == nil || err == io.EOF && int64(m) == max):
			return buf[:m], nil
		case err == io.EOF:
			return nil, errShort
		case err != nil:
			return nil, err
		}
	}
}

var errShort = errors.New("objects: the body ended before its length")

// failed is the error answer for a failure after the object was found.
func failed(a *s3api.Answer, err error) *s3api.Answer {
	e := s3api.ErrorAnswer(err)
	e.Archive = a.Archive
	return e
}

// preread is a body whose first bytes were read ahead.
type preread struct {
	io.Reader
	body io.Closer
	obj  Object
}

// prereadTo is a preread whose body writes itself out (an archive file's
// stream hands over its decoded blocks): io.Copy gives it the writer,
// which saves copying every byte through a buffer.
type prereadTo struct{ *preread }

// newPreread returns the body that delivers first, then the rest of body;
// it is an io.WriterTo when body is one.
func newPreread(first []byte, body io.ReadCloser, obj Object) io.ReadCloser {
	p := &preread{Reader: io.MultiReader(bytes.NewReader(first), body), body: body, obj: obj}
	if _, ok := body.(io.WriterTo); ok {
		return prereadTo{p}
	}
	return p
}

// WriteTo writes the rest of the body to w: the multi-reader passes w to
// the bytes read ahead and then to the body.
func (p prereadTo) WriteTo(w io.Writer) (int64, error) {
	return p.Reader.(io.WriterTo).WriteTo(w)
}

func (p *preread) Close() error {
	err := p.body.Close()
	p.obj.Close()
	return err
}
