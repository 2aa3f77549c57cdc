package olaplocal

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// hopHeaders are not forwarded, nor the client's auth: the request is
// signed afresh with the function role's credentials.
var hopHeaders = map[string]bool{"Authorization": true, "X-Amz-Date": true, "X-Amz-Content-Sha256": true,
	"X-Amz-Security-Token": true, "Connection": true, "Keep-Alive": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true, "Expect": true}

// passthrough sends a request the endpoint does not transform to the S3
// server, as an Object Lambda access point sends it to its supporting
// access point: requests on the endpoint's bucket go to the supporting
// bucket, any other bucket is left as named.
func (e *Endpoint) passthrough(w http.ResponseWriter, r *http.Request, reqID string, s *sigv4.Signed, bucket, key string) {
	target := bucket
	if bucket == e.cfg.Bucket {
		target = e.cfg.Upstream.Bucket
	}
	path := "/" + target
	if strings.Count(r.URL.Path, "/") > 1 {
		path += "/" + key
	}
	u := *e.upstream
	u.Path = strings.TrimSuffix(e.upstream.Path, "/") + path
	u.RawPath = strings.TrimSuffix(e.upstream.EscapedPath(), "/") + sigv4.Escape(path, true)
	u.RawQuery = sigv4.WithoutAuthQuery(r.URL.RawQuery)

	payload := s.PayloadHash
	body, length := io.Reader(r.Body), r.ContentLength
	drop := map[string]bool{}
	switch payload {
	case sigv4.StreamingSigned, sigv4.StreamingSignedTrailer:
		// Chunk signatures chain from the client's signature, so they
		// cannot survive re-signing: check them here, send plain bytes.
		var serr *Error
		if body, length, serr = s.Body(r); serr != nil {
			writeError(w, r, reqID, serr)
			return
		}
		// Every chunk is checked before anything reaches the S3 server: a
		// forged last chunk must not leave a stored object behind (S3
		// stores nothing then; a server that sees the body cut short
		// may store what it got).
		spool, err := spoolBody(body)
		if err != nil {
			writeError(w, r, reqID, asS3Error(err))
			return
		}
		defer spool.Close()
		body = spool
		payload = sigv4.UnsignedPayload
		drop = map[string]bool{"X-Amz-Decoded-Content-Length": true, "X-Amz-Trailer": true, "Content-Encoding": true}
	case sigv4.StreamingUnsignedTrail:
		// No chunk signatures: the S3 server decodes it and checks the trailer.
	}
	if s.Presigned {
		payload = sigv4.UnsignedPayload
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), body)
	if err != nil {
		writeError(w, r, reqID, s3err(http.StatusInternalServerError, "InternalError", err.Error()))
		return
	}
	req.URL.RawPath = u.RawPath
	req.ContentLength = length
	if length == 0 {
		req.Body = http.NoBody
	}
	for name, vals := range r.Header {
		if hopHeaders[name] || drop[name] {
			continue
		}
		req.Header[name] = vals
	}
	if ce := r.Header.Get("Content-Encoding"); drop["Content-Encoding"] && ce != "" {
		if rest := strings.TrimPrefix(strings.TrimPrefix(ce, "aws-chunked"), ","); strings.TrimSpace(rest) != "" {
			req.Header.Set("Content-Encoding", strings.TrimSpace(rest))
		}
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: e.cfg.Upstream.AccessKeyID, SecretAccessKey: e.cfg.Upstream.SecretAccessKey}
	if err := e.signer.SignHTTP(r.Context(), creds, req, payload, "s3", e.cfg.Region, e.cfg.Now()); err != nil {
		writeError(w, r, reqID, s3err(http.StatusInternalServerError, "InternalError", err.Error()))
		return
	}
	resp, err := e.httpc.Do(req)
	if err != nil {
		var se *Error
		if !errors.As(err, &se) {
			se = s3err(http.StatusServiceUnavailable, "ServiceUnavailable", "The supporting S3 server did not answer: "+err.Error())
		}
		writeError(w, r, reqID, se)
		return
	}
	defer resp.Body.Close()
	for name, vals := range resp.Header {
		w.Header()[name] = vals
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, resp.Body)
	}
}

// spooled is a request body checked in full and kept in a temporary file.
type spooled struct{ *os.File }

func (s spooled) Close() error {
	err := s.File.Close()
	os.Remove(s.Name())
	return err
}

// spoolBody reads body to its end into a temporary file, so a body that
// fails its checks half way is refused before any of it is sent on.
func spoolBody(body io.Reader) (spooled, error) {
	f, err := os.CreateTemp("", "olaplocal-upload-")
	if err != nil {
		return spooled{}, err
	}
	s := spooled{f}
	if _, err := io.Copy(f, body); err != nil {
		s.Close()
		return spooled{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.Close()
		return spooled{}, err
	}
	return s, nil
}

// asS3Error keeps an *Error (a failed chunk check) and makes anything else
// an internal error.
func asS3Error(err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	return s3err(http.StatusInternalServerError, "InternalError", err.Error())
}
