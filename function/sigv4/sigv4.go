// Package sigv4 verifies AWS Signature Version 4 on incoming requests as
// S3 does: the Authorization header and presigned query strings, signed,
// UNSIGNED-PAYLOAD and aws-chunked payloads, a ±15-minute clock skew and
// presigned URLs valid for at most seven days, each failure answered with
// the error code S3 gives.
//
// It serves the function URL front (function/internal/httpfront) and the
// local Object Lambda endpoint (test/olaplocal), which is why it lives
// outside function/internal: Go lets only function/... import that.
//
// Nothing here logs; an Error carries what S3 puts in its error document
// (the string to sign, never the secret or the expected signature).
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The payload modes a request may be signed with (x-amz-content-sha256),
// besides the hex SHA-256 of the body.
const (
	UnsignedPayload        = "UNSIGNED-PAYLOAD"
	StreamingSigned        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrail = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	// EmptySHA256 is the hash of an empty body, what SDKs sign a GET with.
	EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// AmzDateFormat is the layout of X-Amz-Date.
	AmzDateFormat = "20060102T150405Z"
)

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	// MaxSkew is how far a header-signed request's time may be from the
	// server's clock (S3: 15 minutes).
	MaxSkew = 15 * time.Minute
	// MaxPresignExpiry is the longest X-Amz-Expires S3 accepts (7 days).
	MaxPresignExpiry = 7 * 24 * time.Hour
)

// Keys finds the secret of an access key. It is asked on every request,
// so an implementation that reloads its keys makes rotation take effect
// without a restart.
type Keys interface {
	SecretKey(accessKeyID string) (secret string, ok bool)
}

// StaticKeys is a fixed set of keys: access key id to secret access key.
type StaticKeys map[string]string

// SecretKey implements Keys.
func (k StaticKeys) SecretKey(id string) (string, bool) {
	s, ok := k[id]
	return s, ok
}

// Verifier checks AWS Signature Version 4 on incoming requests the way S3
// does: Authorization header or presigned query, one region.
type Verifier struct {
	Region string
	Keys   Keys
	// Now is the server clock; nil means time.Now.
	Now func() time.Time
}

// Signed describes a request whose signature checked out.
type Signed struct {
	AccessKeyID string
	// PayloadHash is the x-amz-content-sha256 value the request was signed
	// with: a hex digest, UNSIGNED-PAYLOAD or one of the STREAMING- modes.
	PayloadHash string
	Presigned   bool

	amzDate   string
	scope     string
	signature string
	key       []byte
}

// authParams is the parsed signature material, from header or query.
type authParams struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
	amzDate                          string
	expires                          int64 // presigned only
}

// Verify checks r's signature for the given signing service ("s3" for
// clients, "s3-object-lambda" for WriteGetObjectResponse). It does not read
// the body; see BodyVerifier for that.
func (v *Verifier) Verify(r *http.Request, service string) (*Signed, *Error) {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	q := r.URL.Query()
	authz := r.Header.Get("Authorization")
	presigned := q.Has("X-Amz-Credential") || q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature")
	switch {
	case authz != "" && presigned:
		return nil, s3err("InvalidArgument",
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case authz == "" && !presigned:
		if q.Has("Signature") || q.Has("AWSAccessKeyId") {
			return nil, s3err("InvalidArgument", "Signature Version 2 is not supported; use AWS4-HMAC-SHA256")
		}
		return nil, errAccessDenied("Access Denied")
	}
	if r.Header.Get("X-Amz-Security-Token") != "" || q.Get("X-Amz-Security-Token") != "" {
		return nil, s3err("InvalidToken", "The provided token is malformed or otherwise invalid.")
	}

	var (
		p    *authParams
		perr *Error
	)
	if presigned {
		p, perr = parsePresigned(q)
	} else {
		p, perr = parseAuthorization(authz, r)
	}
	if perr != nil {
		return nil, perr
	}
	malformed := func(msg string, extra ...[2]string) *Error {
		if presigned {
			return s3err("AuthorizationQueryParametersError", msg, extra...)
		}
		return s3err("AuthorizationHeaderMalformed", "The authorization header is malformed; "+msg, extra...)
	}
	secret, ok := "", false
	if v.Keys != nil {
		secret, ok = v.Keys.SecretKey(p.accessKey)
	}
	if !ok {
		return nil, s3err("InvalidAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records.", [2]string{"AWSAccessKeyId", p.accessKey})
	}
	t, err := time.Parse(AmzDateFormat, p.amzDate)
	if err != nil {
		return nil, errAccessDenied("AWS authentication requires a valid Date or x-amz-date header")
	}
	if p.date != p.amzDate[:8] {
		return nil, malformed("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	if p.region != v.Region {
		return nil, malformed(fmt.Sprintf("the region '%s' is wrong; expecting '%s'", p.region, v.Region), [2]string{"Region", v.Region})
	}
	if p.service != service {
		return nil, malformed(fmt.Sprintf("the service '%s' is wrong; expecting '%s'", p.service, service))
	}
	server := now().UTC()
	if presigned {
		if t.After(server.Add(MaxSkew)) {
			return nil, errAccessDenied("Request is not valid yet")
		}
		if expiry := t.Add(time.Duration(p.expires) * time.Second); server.After(expiry) {
			return nil, s3err("AccessDenied", "Request has expired",
				[2]string{"X-Amz-Expires", strconv.FormatInt(p.expires, 10)},
				[2]string{"Expires", expiry.Format(time.RFC3339)},
				[2]string{"ServerTime", server.Format(time.RFC3339)})
		}
	} else if d := server.Sub(t); d > MaxSkew || d < -MaxSkew {
		return nil, s3err("RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.",
			[2]string{"RequestTime", p.amzDate}, [2]string{"ServerTime", server.Format(time.RFC3339)},
			[2]string{"MaxAllowedSkewMilliseconds", "900000"})
	}

	payload := UnsignedPayload
	if presigned {
		if h := q.Get("X-Amz-Content-Sha256"); h != "" {
			payload = h
		}
	} else {
		payload = r.Header.Get("X-Amz-Content-Sha256")
		if payload == "" {
			return nil, s3err("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
		}
	}
	if !validPayloadHash(payload) {
		return nil, s3err("InvalidArgument",
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
	}
	if missing := unsignedHeaders(r, p.signedHeaders, presigned); len(missing) > 0 {
		return nil, s3err("AccessDenied", "There were headers present in the request which were not signed",
			[2]string{"HeadersNotSigned", strings.Join(missing, ", ")})
	}

	creq := canonicalRequest(r, p.signedHeaders, payload, presigned)
	scope := strings.Join([]string{p.date, p.region, p.service, "aws4_request"}, "/")
	sts := sigAlgorithm + "\n" + p.amzDate + "\n" + scope + "\n" + HexSHA256([]byte(creq))
	key := SigningKey(secret, p.date, p.region, p.service)
	want := hex.EncodeToString(HMACSHA256(key, sts))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(p.signature))) {
		return nil, s3err("SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			[2]string{"AWSAccessKeyId", p.accessKey}, [2]string{"StringToSign", sts},
			[2]string{"SignatureProvided", p.signature}, [2]string{"CanonicalRequest", creq})
	}
	return &Signed{AccessKeyID: p.accessKey, PayloadHash: payload, Presigned: presigned,
		amzDate: p.amzDate, scope: scope, signature: want, key: key}, nil
}

func parseAuthorization(authz string, r *http.Request) (*authParams, *Error) {
	bad := func(msg string) *Error {
		return s3err("AuthorizationHeaderMalformed", "The authorization header is malformed; "+msg)
	}
	alg, rest, _ := strings.Cut(authz, " ")
	if alg != sigAlgorithm {
		return nil, s3err("InvalidArgument", "Unsupported Authorization Type",
			[2]string{"ArgumentName", "Authorization"}, [2]string{"ArgumentValue", alg})
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, bad("the Authorization header component \"" + part + "\" is malformed.")
		}
		fields[k] = v
	}
	p := &authParams{signature: fields["Signature"]}
	if fields["Credential"] == "" || fields["SignedHeaders"] == "" || p.signature == "" {
		return nil, bad("it must contain Credential, SignedHeaders and Signature.")
	}
	if err := p.setCredential(fields["Credential"]); err != "" {
		return nil, bad(err)
	}
	p.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	p.amzDate = r.Header.Get("X-Amz-Date")
	if p.amzDate == "" {
		if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
			p.amzDate = t.UTC().Format(AmzDateFormat)
		}
	}
	return p, nil
}

func parsePresigned(q url.Values) (*authParams, *Error) {
	bad := func(msg string) *Error { return s3err("AuthorizationQueryParametersError", msg) }
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			return nil, bad("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	if q.Get("X-Amz-Algorithm") != sigAlgorithm {
		return nil, bad(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	}
	p := &authParams{signature: q.Get("X-Amz-Signature"), amzDate: q.Get("X-Amz-Date"),
		signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";")}
	if err := p.setCredential(q.Get("X-Amz-Credential")); err != "" {
		return nil, bad(err)
	}
	exp, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	switch {
	case err != nil || exp < 0:
		return nil, bad("X-Amz-Expires should be a number")
	case exp > int64(MaxPresignExpiry/time.Second):
		return nil, bad("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	p.expires = exp
	return p, nil
}

// setCredential parses "AKID/20060102/region/service/aws4_request".
func (p *authParams) setCredential(cred string) string {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || len(parts[1]) != 8 || parts[4] != "aws4_request" {
		return "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	}
	p.accessKey, p.date, p.region, p.service = parts[0], parts[1], parts[2], parts[3]
	return ""
}

func validPayloadHash(h string) bool {
	switch h {
	case UnsignedPayload, StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrail:
		return true
	}
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// unsignedHeaders lists what S3 insists be signed but was not: host always,
// and for header auth every x-amz-* header present.
func unsignedHeaders(r *http.Request, signed []string, presigned bool) []string {
	set := map[string]bool{}
	for _, h := range signed {
		set[h] = true
	}
	var missing []string
	if !set["host"] {
		missing = append(missing, "host")
	}
	if presigned {
		return missing
	}
	for name := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") && !set[l] {
			missing = append(missing, l)
		}
	}
	sort.Strings(missing)
	return missing
}

func canonicalRequest(r *http.Request, signed []string, payload string, presigned bool) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	b.WriteString(Escape(path, true))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, presigned))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

func canonicalQuery(raw string, presigned bool) string {
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescapeLoose(k), unescapeLoose(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{Escape(k, false), Escape(v, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// unescapeLoose decodes %XX; SDKs never send '+' for a space, so '+' stays.
func unescapeLoose(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		if r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
		return ""
	case "transfer-encoding":
		return strings.Join(r.TransferEncoding, ",")
	}
	vals := r.Header.Values(name)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// Escape percent-encodes everything but RFC 3986 unreserved characters
// (and '/' in paths, with keepSlash), as SigV4 prescribes.
func Escape(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// SigningKey derives the key that signs for one date, region and service.
func SigningKey(secret, date, region, service string) []byte {
	k := HMACSHA256([]byte("AWS4"+secret), date)
	k = HMACSHA256(k, region)
	k = HMACSHA256(k, service)
	return HMACSHA256(k, "aws4_request")
}

// HMACSHA256 is HMAC-SHA256 of data under key.
func HMACSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// HexSHA256 is the hex SHA-256 of b.
func HexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// authQueryParams are the query parameters of presigned requests (and the
// session token): not part of the operation the request asks for.
var authQueryParams = map[string]bool{"X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true,
	"X-Amz-Expires": true, "X-Amz-SignedHeaders": true, "X-Amz-Signature": true, "X-Amz-Security-Token": true}

// IsAuthParam reports whether a (decoded) query parameter name is one of
// a presigned URL's authentication parameters.
func IsAuthParam(name string) bool { return authQueryParams[name] }

// WithoutAuthQuery returns a raw query string without the presigned
// authentication parameters, every other parameter as it was sent.
func WithoutAuthQuery(raw string) string {
	var kept []string
	for _, part := range strings.Split(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		if part != "" && !authQueryParams[unescapeLoose(name)] {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, "&")
}
