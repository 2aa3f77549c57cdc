package httpfront

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/s3api"
	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// operationQuery is the query without a presigned URL's authentication.
func operationQuery(r *http.Request) url.Values {
	q, _ := url.ParseQuery(sigv4.WithoutAuthQuery(r.URL.RawQuery))
	return q
}

// coreOp is the core's operation for this front's.
func coreOp(op Op) s3api.Op {
	switch op {
	case GetObject:
		return s3api.GetObject
	case ListObjects:
		return s3api.ListObjects
	case ListObjectsV2:
		return s3api.ListObjectsV2
	}
	return s3api.HeadObject // HeadObject, and GetObjectAttributes's metadata
}

// parse decodes the request for the core (a malformed value is S3's error).
func (h *Handler) parse(r *request) (s3api.Request, error) {
	header, query := r.Header, operationQuery(r.Request)
	if r.addr.Op == GetObjectAttributes {
		// Neither a range nor a condition applies to the attributes.
		header, query = http.Header{}, url.Values{}
	}
	return s3api.ParseRequest(coreOp(r.addr.Op), r.addr.Bucket, r.addr.Key, query, header)
}

func (h *Handler) object(w http.ResponseWriter, r *request) {
	req, err := h.parse(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ans := objects.Serve(r.Context(), h.cfg.Objects, req)
	r.archive = ans.Archive
	if ans.Body != nil {
		defer ans.Body.Close()
	}
	if ans.Err != nil {
		for k, vs := range ans.Header() { // Content-Range of a 416
			w.Header()[k] = vs
		}
		h.writeError(w, r, ans.Err)
		return
	}
	if r.addr.Op == GetObjectAttributes {
		h.attributes(w, r, ans)
		return
	}
	if h.cfg.MaxResponseBytes > 0 && ans.Body != nil && ans.ContentLength > h.cfg.MaxResponseBytes {
		h.writeError(w, r, tooLarge(ans.ContentLength, h.cfg.MaxResponseBytes))
		return
	}
	for k, vs := range ans.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(ans.Status)
	if ans.Body == nil || r.Method == http.MethodHead {
		return
	}
	if err := copyBody(w, ans.Body); err != nil {
		// The status is out: the declared Content-Length, now unmet, is how
		// the client learns the body is short.
		r.errCode = "BodyInterrupted"
		h.cfg.Logger.Warn("object body interrupted", "request_id", r.id, "key", r.addr.Key, "err", err.Error())
	}
}

// tooLarge is the answer to a GET whose body passes a function URL's
// streaming limit: the client should ask for ranges instead.
func tooLarge(size, limit int64) *s3api.Error {
	e := s3api.InvalidRequest(fmt.Sprintf("The object is %d bytes; this endpoint (a Lambda function URL) streams at most %d bytes per response. "+
		"Request it in parts with a Range header (aws s3 cp, boto3's download_file and rclone do so by themselves).", size, limit))
	e.Details = []s3api.Detail{{Name: "ObjectSize", Value: strconv.FormatInt(size, 10)}, {Name: "MaxResponseBytes", Value: strconv.FormatInt(limit, 10)}}
	return e
}

// attributes answers GetObjectAttributes from the object's metadata (S3
// API reference, GetObjectAttributes): the attributes named in
// x-amz-object-attributes, of ETag, ObjectSize, StorageClass, Checksum
// and ObjectParts. Files in archives have no checksum and no parts, so
// those two are left out, as S3 leaves them out for objects without them.
func (h *Handler) attributes(w http.ResponseWriter, r *request, ans *s3api.Answer) {
	want := map[string]bool{}
	for _, v := range r.Header.Values("X-Amz-Object-Attributes") {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				want[a] = true
			}
		}
	}
	bad := func(value string) {
		e := s3api.InvalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", value)
		h.writeError(w, r, e)
	}
	if len(want) == 0 {
		bad("")
		return
	}
	for a := range want {
		switch a {
		case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
		default:
			bad(a)
			return
		}
	}
	doc := struct {
		XMLName      xml.Name `xml:"GetObjectAttributesResponse"`
		XMLNS        string   `xml:"xmlns,attr"`
		ETag         string   `xml:"ETag,omitempty"`
		StorageClass string   `xml:"StorageClass,omitempty"`
		ObjectSize   *int64   `xml:"ObjectSize,omitempty"`
	}{XMLNS: s3Namespace}
	info := ans.Info
	if want["ETag"] {
		doc.ETag = strings.Trim(info.ETag, `"`)
	}
	if want["StorageClass"] {
		doc.StorageClass = "STANDARD"
		if info.StorageClass != "" {
			doc.StorageClass = info.StorageClass
		}
	}
	if want["ObjectSize"] {
		doc.ObjectSize = &info.Size
	}
	if lm := ans.Header().Get("Last-Modified"); lm != "" {
		w.Header().Set("Last-Modified", lm)
	}
	writeXML(w, doc)
}

func (h *Handler) list(w http.ResponseWriter, r *request) {
	req, err := h.parse(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if !h.cfg.Keys.MayRead(r.accessKey, req.List.Prefix) {
		h.writeError(w, r, s3api.AccessDenied(nil))
		return
	}
	req.List.Bucket = h.cfg.Bucket
	ans := objects.Serve(r.Context(), h.cfg.Objects, req)
	if ans.Err != nil {
		h.writeError(w, r, ans.Err)
		return
	}
	body := ans.List.XML()
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
