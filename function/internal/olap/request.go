package olap

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// request is what the function needs of the user's original request.
type request struct {
	Bucket string // the access point alias the client addressed
	Key    string
	Query  url.Values
	Header http.Header
}

// parseUserRequest reads the key, query and headers of the user's request
// from the event. Object Lambda sends the URL the client called: virtual
// hosted (https://<alias>.s3-object-lambda.<region>.amazonaws.com/<key>),
// or path style (https://host/<alias>/<key>) when the client used that.
func parseUserRequest(ur events.S3ObjectLambdaUserRequest) (request, error) {
	u, err := url.Parse(ur.URL)
	if err != nil {
		return request{}, fmt.Errorf("olap: user request url: %w", err)
	}
	p := u.EscapedPath()
	key, err := url.PathUnescape(strings.TrimPrefix(p, "/"))
	if err != nil {
		return request{}, fmt.Errorf("olap: user request path %q: %w", p, err)
	}
	var bucket string
	if host := u.Hostname(); virtualHosted(host) {
		bucket, _, _ = strings.Cut(host, ".")
	} else {
		bucket, key, _ = strings.Cut(key, "/")
	}
	h := make(http.Header, len(ur.Headers))
	for k, v := range ur.Headers {
		h.Set(k, v)
	}
	return request{Bucket: bucket, Key: key, Query: u.Query(), Header: h}, nil
}

// virtualHosted reports whether host names the access point itself
// ("<alias>.s3-object-lambda.<region>.amazonaws.com" and the like).
func virtualHosted(host string) bool {
	return strings.Contains(host, ".s3-object-lambda.") || strings.Contains(host, ".s3-accesspoint.")
}
