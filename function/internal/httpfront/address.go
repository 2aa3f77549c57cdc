package httpfront

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Op is the S3 operation a request asks for.
type Op string

// The operations this front answers, and the two ways it refuses others.
const (
	ListBuckets         Op = "ListBuckets"
	HeadBucket          Op = "HeadBucket"
	GetBucketLocation   Op = "GetBucketLocation"
	ListObjects         Op = "ListObjects"
	ListObjectsV2       Op = "ListObjectsV2"
	GetObject           Op = "GetObject"
	HeadObject          Op = "HeadObject"
	GetObjectAttributes Op = "GetObjectAttributes"
	// Write is any request that would change something: refused as a
	// read-only endpoint refuses it.
	Write Op = "Write"
	// Unsupported is a read this front does not implement (ACLs, tagging,
	// bucket configuration).
	Unsupported Op = "Unsupported"
)

// Address is where a request points and what it asks.
type Address struct {
	Op Op
	// Bucket is empty for the service (ListBuckets); Key is empty for a
	// bucket-level request.
	Bucket, Key string
	// VirtualHosted is set when the bucket came from the Host header.
	VirtualHosted bool
	// Subresource names the query parameter that made the request an
	// Unsupported or Write one (acl, tagging...), for the error message.
	Subresource string
}

// Query parameters that turn a bucket GET into something other than a
// listing, and an object GET or HEAD into something other than GetObject
// (S3 API reference, each operation's request syntax).
var bucketSubresources = []string{"accelerate", "acl", "analytics", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "lifecycle", "location", "logging", "metadataTable", "metrics",
	"notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock",
	"replication", "requestPayment", "session", "tagging", "uploads", "versioning", "versions", "website"}

var objectSubresources = []string{"acl", "attributes", "legal-hold", "restore", "retention", "select",
	"tagging", "torrent", "uploadId", "uploads"}

func subresource(q url.Values, names []string) string {
	for _, n := range names {
		if q.Has(n) {
			return n
		}
	}
	return ""
}

// Locate reads the bucket, key and operation of a request. bucket is the
// one bucket name this endpoint serves: a Host of "<bucket>.<anything>"
// is virtual-hosted addressing, any other Host (an IP, a function URL's
// own domain) path-style.
func Locate(r *http.Request, bucket string) Address {
	var a Address
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	if bucket != "" && strings.HasPrefix(host, bucket+".") && net.ParseIP(host) == nil {
		a.Bucket, a.Key, a.VirtualHosted = bucket, strings.TrimPrefix(path, "/"), true
	} else {
		a.Bucket, a.Key, _ = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	}
	q := r.URL.Query()
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	switch {
	case a.Bucket == "":
		a.Op = ListBuckets
		if write {
			a.Op = Write
		}
	case a.Key == "":
		a.Subresource = subresource(q, bucketSubresources)
		switch {
		case write:
			a.Op = Write
		case r.Method == http.MethodHead:
			a.Op = HeadBucket
		case a.Subresource == "location":
			a.Op = GetBucketLocation
		case a.Subresource != "":
			a.Op = Unsupported
		case q.Get("list-type") == "2":
			a.Op = ListObjectsV2
		default:
			a.Op = ListObjects
		}
	default:
		a.Subresource = subresource(q, objectSubresources)
		switch {
		case write:
			a.Op = Write
		case a.Subresource == "attributes" && r.Method == http.MethodGet:
			a.Op = GetObjectAttributes
		case a.Subresource != "":
			a.Op = Unsupported
		case r.Method == http.MethodHead:
			a.Op = HeadObject
		default:
			a.Op = GetObject
		}
	}
	return a
}
