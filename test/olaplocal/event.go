package olaplocal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

// presignExpiry is how long an event's inputS3Url stays valid.
const presignExpiry = "3600"

// authHeaders are left out of userRequest.headers.
var authHeaders = map[string]bool{"Authorization": true, "X-Amz-Security-Token": true}

// event builds the Object Lambda event for op ("GetObject", "HeadObject",
// "ListObjects" or "ListObjectsV2") on key, in the documented shape (see
// "Event context format and usage" in the S3 user guide).
func (e *Endpoint) event(ctx context.Context, r *http.Request, reqID string, s *sigv4.Signed, op, key string, get *pendingGet) ([]byte, error) {
	input, err := e.presign(ctx, r, op, key)
	if err != nil {
		return nil, err
	}
	ev := events.S3ObjectLambdaEvent{
		XAmzRequestID: reqID,
		Configuration: events.S3ObjectLambdaConfiguration{
			AccessPointARN:           fmt.Sprintf("arn:aws:s3-object-lambda:%s:%s:accesspoint/%s", e.cfg.Region, e.cfg.AccountID, e.cfg.Bucket),
			SupportingAccessPointARN: fmt.Sprintf("arn:aws:s3:%s:%s:accesspoint/%s", e.cfg.Region, e.cfg.AccountID, e.cfg.Upstream.Bucket),
			Payload:                  e.cfg.Payload,
		},
		UserRequest: e.userRequest(r, key),
		UserIdentity: events.S3ObjectLambdaUserIdentity{
			Type:        "IAMUser",
			PrincipalID: "AIDA" + strings.ToUpper(hex16(s.AccessKeyID)),
			ARN:         fmt.Sprintf("arn:aws:iam::%s:user/%s", e.cfg.AccountID, s.AccessKeyID),
			AccountID:   e.cfg.AccountID,
			AccessKeyID: s.AccessKeyID,
		},
		ProtocolVersion: "1.00",
	}
	switch op {
	case "GetObject":
		ev.GetObjectContext = &events.S3ObjectLambdaGetObjectContext{InputS3URL: input, OutputRoute: get.route, OutputToken: get.token}
	case "HeadObject":
		ev.HeadObjectContext = &events.S3ObjectLambdaHeadObjectContext{InputS3URL: input}
	case "ListObjects":
		ev.ListObjectsContext = &events.S3ObjectLambdaListObjectsContext{InputS3URL: input}
	case "ListObjectsV2":
		ev.ListObjectsV2Context = &events.S3ObjectLambdaListObjectsV2Context{InputS3URL: input}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // '&' in URLs stays '&', as in AWS's events
	if err := enc.Encode(ev); err != nil {
		return nil, fmt.Errorf("olaplocal: event: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// userRequest describes the original call as Object Lambda does: the URL
// as received (path-style here: /<bucket>/<key>, as the client sent it),
// auth query parameters and auth headers removed, repeated headers joined
// with commas.
func (e *Endpoint) userRequest(r *http.Request, key string) events.S3ObjectLambdaUserRequest {
	path := "/" + e.cfg.Bucket
	if key != "" {
		path += "/" + key
	}
	u := url.URL{Scheme: "http", Host: r.Host, Path: path, RawPath: sigv4.Escape(path, true)}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	u.RawQuery = sigv4.WithoutAuthQuery(r.URL.RawQuery)
	headers := map[string]string{"Host": r.Host}
	for name, vals := range r.Header {
		if !authHeaders[name] {
			headers[name] = strings.Join(vals, ",")
		}
	}
	return events.S3ObjectLambdaUserRequest{URL: u.String(), Headers: headers}
}

// presign makes the event's inputS3Url: the same operation on the
// supporting bucket, signed with the function role's credentials. GetObject
// and HeadObject carry only versionId (Range, partNumber and conditional
// headers stay in userRequest, as on AWS); listings carry the whole query.
func (e *Endpoint) presign(ctx context.Context, r *http.Request, op, key string) (string, error) {
	method := http.MethodGet
	if op == "HeadObject" {
		method = http.MethodHead
	}
	path := "/" + e.cfg.Upstream.Bucket
	if key != "" {
		path += "/" + key
	}
	q := url.Values{}
	switch op {
	case "GetObject", "HeadObject":
		if v := r.URL.Query().Get("versionId"); v != "" {
			q.Set("versionId", v)
		}
	default:
		for k, vs := range r.URL.Query() {
			if !sigv4.IsAuthParam(k) {
				q[k] = vs
			}
		}
	}
	q.Set("X-Amz-Expires", presignExpiry)
	u := *e.upstream
	u.Path = strings.TrimSuffix(e.upstream.Path, "/") + path
	u.RawPath = strings.TrimSuffix(e.upstream.EscapedPath(), "/") + sigv4.Escape(path, true)
	u.RawQuery = encodeSorted(q)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("olaplocal: presign %s: %w", op, err)
	}
	creds := aws.Credentials{AccessKeyID: e.cfg.Upstream.AccessKeyID, SecretAccessKey: e.cfg.Upstream.SecretAccessKey}
	signed, _, err := e.signer.PresignHTTP(ctx, creds, req, sigv4.UnsignedPayload, "s3", e.cfg.Region, e.cfg.Now())
	if err != nil {
		return "", fmt.Errorf("olaplocal: presign %s: %w", op, err)
	}
	return signed, nil
}

// encodeSorted encodes q with SigV4's escaping, keys in order.
func encodeSorted(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range q[k] {
			parts = append(parts, sigv4.Escape(k, false)+"="+sigv4.Escape(v, false))
		}
	}
	return strings.Join(parts, "&")
}

func hex16(s string) string {
	return fmt.Sprintf("%x", s+strings.Repeat("0", 16))[:16]
}
