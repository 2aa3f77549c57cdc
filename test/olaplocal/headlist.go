package olaplocal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// headResult is the function's documented answer to a HeadObject event.
type headResult struct {
	StatusCode   int                        `json:"statusCode"`
	ErrorCode    string                     `json:"errorCode"`
	ErrorMessage string                     `json:"errorMessage"`
	Headers      map[string]json.RawMessage `json:"headers"`
	Metadata     map[string]json.RawMessage `json:"metadata"`
}

// listResult is the function's documented answer to a ListObjects(V2)
// event: the XML as text, or the same as JSON (not both).
type listResult struct {
	StatusCode       int               `json:"statusCode"`
	ErrorCode        string            `json:"errorCode"`
	ErrorMessage     string            `json:"errorMessage"`
	ListResultXML    *string           `json:"listResultXml"`
	ListBucketResult *listBucketResult `json:"listBucketResult"`
}

type listBucketResult struct {
	XMLName               xml.Name       `json:"-" xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `json:"name" xml:"Name"`
	Prefix                string         `json:"prefix" xml:"Prefix"`
	Marker                *string        `json:"marker" xml:"Marker,omitempty"`
	NextMarker            *string        `json:"nextMarker" xml:"NextMarker,omitempty"`
	ContinuationToken     *string        `json:"continuationToken" xml:"ContinuationToken,omitempty"`
	NextContinuationToken *string        `json:"nextContinuationToken" xml:"NextContinuationToken,omitempty"`
	StartAfter            *string        `json:"startAfter" xml:"StartAfter,omitempty"`
	KeyCount              *int           `json:"keyCount" xml:"KeyCount,omitempty"`
	MaxKeys               int            `json:"maxKeys" xml:"MaxKeys"`
	Delimiter             *string        `json:"delimiter" xml:"Delimiter,omitempty"`
	IsTruncated           bool           `json:"isTruncated" xml:"IsTruncated"`
	EncodingType          *string        `json:"encodingType" xml:"EncodingType,omitempty"`
	Contents              []listObject   `json:"contents" xml:"Contents"`
	CommonPrefixes        []commonPrefix `json:"commonPrefixes" xml:"CommonPrefixes"`
}

type listObject struct {
	Key               string     `json:"key" xml:"Key"`
	LastModified      string     `json:"lastModified" xml:"LastModified"`
	ETag              string     `json:"eTag" xml:"ETag"`
	ChecksumAlgorithm string     `json:"checksumAlgorithm" xml:"ChecksumAlgorithm,omitempty"`
	Size              int64      `json:"size" xml:"Size"`
	Owner             *listOwner `json:"owner" xml:"Owner,omitempty"`
	StorageClass      string     `json:"storageClass" xml:"StorageClass,omitempty"`
}

type listOwner struct {
	DisplayName string `json:"displayName" xml:"DisplayName,omitempty"`
	ID          string `json:"id" xml:"ID"`
}

type commonPrefix struct {
	Prefix string `json:"prefix" xml:"Prefix"`
}

// runJSON invokes the function and decodes its JSON answer into v; it
// answers the client itself when that fails.
func (e *Endpoint) runJSON(w http.ResponseWriter, r *http.Request, reqID string, s *sigv4.Signed, op, key string, v any) bool {
	ev, err := e.event(r.Context(), r, reqID, s, op, key, nil)
	if err != nil {
		writeError(w, r, reqID, s3err(http.StatusInternalServerError, "InternalError", err.Error()))
		return false
	}
	out, err := e.invoke(r.Context(), reqID, ev)
	if err != nil {
		e.cfg.Logger.Warn("function failed", "request_id", reqID, "op", op, "error", err.Error())
		writeError(w, r, reqID, functionFailure(err))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(v); err != nil {
		writeError(w, r, reqID, errLambdaInvalid(fmt.Sprintf("%s answer is not the documented JSON: %v", op, err)))
		return false
	}
	return true
}

func validStatus(code int) bool { return code >= 100 && code <= 599 }

// headObject answers HeadObject from the function's statusCode and headers.
func (e *Endpoint) headObject(w http.ResponseWriter, r *http.Request, reqID string, s *sigv4.Signed, key string) {
	var res headResult
	if !e.runJSON(w, r, reqID, s, "HeadObject", key, &res) {
		return
	}
	if !validStatus(res.StatusCode) {
		writeError(w, r, reqID, errLambdaInvalid("statusCode is required and must be an HTTP status"))
		return
	}
	if res.StatusCode >= 400 {
		var v string
		if json.Unmarshal(res.Headers["Content-Range"], &v) == nil && v != "" {
			w.Header().Set("Content-Range", v) // "bytes */size" on a 416
		}
		writeError(w, r, reqID, s3err(res.StatusCode, res.ErrorCode, res.ErrorMessage))
		return
	}
	out := w.Header()
	for name, raw := range res.Headers {
		v, ok := scalar(raw)
		if !ok {
			writeError(w, r, reqID, errLambdaInvalid("header "+name+" is not a string, number or boolean"))
			return
		}
		out.Set(name, v)
	}
	for name, raw := range res.Metadata {
		v, ok := scalar(raw)
		if !ok {
			writeError(w, r, reqID, errLambdaInvalid("metadata "+name+" is not a string, number or boolean"))
			return
		}
		// S3 sends user metadata names in lower case, and clients such as
		// the AWS CLI keep the case they receive.
		out["x-amz-meta-"+strings.ToLower(name)] = []string{v}
	}
	out.Set("x-amz-request-id", reqID)
	out.Set("x-amz-id-2", hostID(reqID))
	w.WriteHeader(res.StatusCode)
}

// scalar renders a JSON string, number or boolean as a header value.
func scalar(raw json.RawMessage) (string, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// listObjects answers ListObjects or ListObjectsV2 from the function's
// listResultXml (sent as is) or listBucketResult (rendered as S3's XML).
func (e *Endpoint) listObjects(w http.ResponseWriter, r *http.Request, reqID string, s *sigv4.Signed, op string) {
	var res listResult
	if !e.runJSON(w, r, reqID, s, op, "", &res) {
		return
	}
	if !validStatus(res.StatusCode) {
		writeError(w, r, reqID, errLambdaInvalid("statusCode is required and must be an HTTP status"))
		return
	}
	if res.StatusCode >= 400 {
		writeError(w, r, reqID, s3err(res.StatusCode, res.ErrorCode, res.ErrorMessage))
		return
	}
	var body []byte
	switch {
	case res.ListResultXML != nil && res.ListBucketResult != nil:
		writeError(w, r, reqID, errLambdaInvalid("listResultXml and listBucketResult are mutually exclusive"))
		return
	case res.ListResultXML != nil:
		body = []byte(*res.ListResultXML)
	case res.ListBucketResult != nil:
		x, err := xml.Marshal(res.ListBucketResult)
		if err != nil {
			writeError(w, r, reqID, errLambdaInvalid(err.Error()))
			return
		}
		body = append([]byte(xml.Header), x...)
	default:
		writeError(w, r, reqID, errLambdaInvalid("neither listResultXml nor listBucketResult given"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amz-request-id", reqID)
	h.Set("x-amz-id-2", hostID(reqID))
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(body)
}
