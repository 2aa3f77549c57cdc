package s3api

import (
	"bytes"
	"strconv"
	"strings"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// XML renders the page as S3's ListBucketResult document, which is also
// what an Object Lambda function returns for ListObjects and
// ListObjectsV2 (the "listResultXml" field of its JSON answer; S3 user
// guide, "Working with ListObjectsV2 requests in Lambda").
//
// Element order follows S3's responses. With encoding-type=url, Key,
// Prefix, Delimiter, StartAfter, Marker, NextMarker and the common
// prefixes are URL-encoded (S3 API reference, ListObjectsV2
// "EncodingType"). V1 shows each object's owner when the source knows
// it; V2 only with fetch-owner=true.
func (r *ListResult) XML() []byte {
	q := r.Request
	enc := func(s string) string { return s }
	if q.EncodingType == "url" {
		enc = urlEncode
	}
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<ListBucketResult xmlns="` + s3Namespace + `">`)
	element(&b, "Name", q.Bucket)
	element(&b, "Prefix", enc(q.Prefix))
	if q.V2 {
		if q.StartAfter != "" {
			element(&b, "StartAfter", enc(q.StartAfter))
		}
		if q.HasContinuationToken || q.ContinuationToken != "" {
			element(&b, "ContinuationToken", q.ContinuationToken)
		}
		if r.NextContinuationToken != "" {
			element(&b, "NextContinuationToken", r.NextContinuationToken)
		}
		element(&b, "KeyCount", strconv.Itoa(len(r.Objects)+len(r.CommonPrefixes)))
	} else {
		element(&b, "Marker", enc(q.Marker))
		if r.NextMarker != "" {
			element(&b, "NextMarker", enc(r.NextMarker))
		}
	}
	element(&b, "MaxKeys", strconv.Itoa(q.maxKeys()))
	if q.Delimiter != "" {
		element(&b, "Delimiter", enc(q.Delimiter))
	}
	if q.EncodingType != "" {
		element(&b, "EncodingType", q.EncodingType)
	}
	element(&b, "IsTruncated", strconv.FormatBool(r.IsTruncated))
	showOwner := !q.V2 || q.FetchOwner
	for _, o := range r.Objects {
		b.WriteString("<Contents>")
		element(&b, "Key", enc(o.Key))
		element(&b, "LastModified", o.LastModified.UTC().Format(lastModifiedLayout))
		element(&b, "ETag", quoteETag(o.ETag))
		element(&b, "Size", strconv.FormatInt(o.Size, 10))
		if showOwner && o.Owner != nil {
			b.WriteString("<Owner>")
			element(&b, "ID", o.Owner.ID)
			if o.Owner.DisplayName != "" {
				element(&b, "DisplayName", o.Owner.DisplayName)
			}
			b.WriteString("</Owner>")
		}
		sc := o.StorageClass
		if sc == "" {
			sc = "STANDARD"
		}
		element(&b, "StorageClass", sc)
		b.WriteString("</Contents>")
	}
	for _, p := range r.CommonPrefixes {
		b.WriteString("<CommonPrefixes>")
		element(&b, "Prefix", enc(p))
		b.WriteString("</CommonPrefixes>")
	}
	b.WriteString("</ListBucketResult>")
	return b.Bytes()
}

// lastModifiedLayout is S3's timestamp in listings: ISO 8601, UTC,
// milliseconds.
const lastModifiedLayout = "2006-01-02T15:04:05.000Z"

// urlEncode percent-encodes every byte but the unreserved characters and
// "/", as S3 does for encoding-type=url: a space is %20 and "+" is %2B
// (ceph s3-tests test_bucket_listv2_encoding_basic, run against AWS).
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
