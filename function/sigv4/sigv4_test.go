package sigv4

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The keys and clock of the examples in the S3 API reference
// ("Signature Calculations for the Authorization Header", "Authenticating
// Requests: Using Query Parameters").
const (
	docAccessKey = "AKIAIOSFODNN7EXAMPLE"
	docSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func docVerifierAt(now time.Time) *Verifier {
	return &Verifier{Region: "us-east-1", Keys: StaticKeys{docAccessKey: docSecretKey}, Now: func() time.Time { return now }}
}

// TestAWSExamples checks the verifier against the signatures AWS
// publishes: GetObject with a Range header, and a presigned GET.
func TestAWSExamples(t *testing.T) {
	get := httptest.NewRequest("GET", "http://examplebucket.s3.amazonaws.com/test.txt", nil)
	get.Host = "examplebucket.s3.amazonaws.com"
	get.Header.Set("Range", "bytes=0-9")
	get.Header.Set("X-Amz-Content-Sha256", EmptySHA256)
	get.Header.Set("X-Amz-Date", "20130524T000000Z")
	get.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	s, err := docVerifierAt(docTime.Add(time.Minute)).Verify(get, "s3")
	if err != nil {
		t.Fatalf("GetObject example refused: %v", err)
	}
	if s.AccessKeyID != docAccessKey || s.PayloadHash != EmptySHA256 || s.Presigned {
		t.Fatalf("GetObject example: %+v", s)
	}

	pre := httptest.NewRequest("GET", "http://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"+
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"+
		"&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", nil)
	pre.Host = "examplebucket.s3.amazonaws.com"
	s, err = docVerifierAt(docTime.Add(23*time.Hour)).Verify(pre, "s3")
	if err != nil {
		t.Fatalf("presigned example refused: %v", err)
	}
	if !s.Presigned || s.PayloadHash != UnsignedPayload {
		t.Fatalf("presigned example: %+v", s)
	}
	if _, err := docVerifierAt(docTime.Add(24*time.Hour+time.Second)).Verify(pre, "s3"); err == nil || err.Code != "AccessDenied" || err.Message != "Request has expired" {
		t.Fatalf("presigned example a second after expiry: %v", err)
	}
}

const (
	testKey    = "AKIDTESTKEY"
	testSecret = "test-secret"
	testRegion = "us-east-1"
)

func sign(t *testing.T, r *http.Request, secret string, at time.Time, region, service, payload string) *http.Request {
	t.Helper()
	if payload != "" {
		r.Header.Set("X-Amz-Content-Sha256", payload)
	}
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: secret}
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), creds, r, payload, service, region, at); err != nil {
		t.Fatal(err)
	}
	return r
}

func presign(t *testing.T, r *http.Request, at time.Time, expires string) *http.Request {
	t.Helper()
	q := r.URL.Query()
	q.Set("X-Amz-Expires", expires)
	r.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	u, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).PresignHTTP(context.Background(), creds, r, UnsignedPayload, "s3", testRegion, at)
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewRequest("GET", u, nil)
}

// TestVerify signs requests with the AWS SDK's signer, good and bad, and
// checks the verifier's answer for each.
func TestVerify(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := &Verifier{Region: testRegion, Keys: StaticKeys{testKey: testSecret}, Now: func() time.Time { return now }}
	target := "http://127.0.0.1:9000/bucket/dir/a%20b%2Bc~%C3%BC.txt?list-type=2&prefix=a%20b"
	get := func() *http.Request { return httptest.NewRequest("GET", target, nil) }
	tests := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
		wantCode   string
	}{
		{"header auth, empty-body hash", func() *http.Request { return sign(t, get(), testSecret, now, testRegion, "s3", EmptySHA256) }, 0, ""},
		{"header auth, UNSIGNED-PAYLOAD", func() *http.Request { return sign(t, get(), testSecret, now, testRegion, "s3", UnsignedPayload) }, 0, ""},
		{"14 minutes slow", func() *http.Request {
			return sign(t, get(), testSecret, now.Add(-14*time.Minute), testRegion, "s3", EmptySHA256)
		}, 0, ""},
		{"14 minutes fast", func() *http.Request {
			return sign(t, get(), testSecret, now.Add(14*time.Minute), testRegion, "s3", EmptySHA256)
		}, 0, ""},
		{"16 minutes slow", func() *http.Request {
			return sign(t, get(), testSecret, now.Add(-16*time.Minute), testRegion, "s3", EmptySHA256)
		}, 403, "RequestTimeTooSkewed"},
		{"16 minutes fast", func() *http.Request {
			return sign(t, get(), testSecret, now.Add(16*time.Minute), testRegion, "s3", EmptySHA256)
		}, 403, "RequestTimeTooSkewed"},
		{"wrong secret", func() *http.Request { return sign(t, get(), "not-the-secret", now, testRegion, "s3", EmptySHA256) }, 403, "SignatureDoesNotMatch"},
		{"unknown key", func() *http.Request {
			r := sign(t, get(), testSecret, now, testRegion, "s3", EmptySHA256)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Credential="+testKey, "Credential=AKIDUNKNOWN", 1))
			return r
		}, 403, "InvalidAccessKeyId"},
		{"tampered query", func() *http.Request {
			r := sign(t, get(), testSecret, now, testRegion, "s3", EmptySHA256)
			r.URL.RawQuery = "list-type=2&prefix=b"
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"tampered path", func() *http.Request {
			r := sign(t, get(), testSecret, now, testRegion, "s3", EmptySHA256)
			r.URL.Path = "/bucket/other.txt"
			r.URL.RawPath = ""
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"tampered signed header", func() *http.Request {
			r := get()
			r.Header.Set("Range", "bytes=0-9")
			sign(t, r, testSecret, now, testRegion, "s3", EmptySHA256)
			r.Header.Set("Range", "bytes=0-99")
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"payload hash changed", func() *http.Request {
			r := sign(t, get(), testSecret, now, testRegion, "s3", EmptySHA256)
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"unsigned x-amz header", func() *http.Request {
			r := sign(t, get(), testSecret, now, testRegion, "s3", EmptySHA256)
			r.Header.Set("X-Amz-Expected-Bucket-Owner", "111122223333")
			return r
		}, 403, "AccessDenied"},
		{"anonymous", get, 403, "AccessDenied"},
		{"wrong region", func() *http.Request { return sign(t, get(), testSecret, now, "eu-west-1", "s3", EmptySHA256) }, 400, "AuthorizationHeaderMalformed"},
		{"wrong service", func() *http.Request {
			return sign(t, get(), testSecret, now, testRegion, "s3-object-lambda", EmptySHA256)
		}, 400, "AuthorizationHeaderMalformed"},
		{"no x-amz-content-sha256", func() *http.Request { return sign(t, get(), testSecret, now, testRegion, "s3", "") }, 400, "InvalidRequest"},
		{"bad x-amz-content-sha256", func() *http.Request { return sign(t, get(), testSecret, now, testRegion, "s3", "abc") }, 400, "InvalidArgument"},
		{"SigV2", func() *http.Request {
			r := get()
			r.Header.Set("Authorization", "AWS "+testKey+":c2lnbmF0dXJl")
			return r
		}, 400, "InvalidArgument"},
		{"SigV2 query", func() *http.Request {
			return httptest.NewRequest("GET", "http://127.0.0.1:9000/bucket/k?AWSAccessKeyId="+testKey+"&Signature=x&Expires=1", nil)
		}, 400, "InvalidArgument"},
		{"session token", func() *http.Request {
			r := get()
			r.Header.Set("X-Amz-Security-Token", "token")
			return sign(t, r, testSecret, now, testRegion, "s3", EmptySHA256)
		}, 400, "InvalidToken"},
		{"header and query auth", func() *http.Request {
			r := presign(t, get(), now, "60")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, 400, "InvalidArgument"},
		{"malformed Authorization", func() *http.Request {
			r := get()
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/s3")
			return r
		}, 400, "AuthorizationHeaderMalformed"},
		{"presigned", func() *http.Request { return presign(t, get(), now, "60") }, 0, ""},
		{"presigned for 7 days, on its last second", func() *http.Request { return presign(t, get(), now.Add(-7*24*time.Hour), "604800") }, 0, ""},
		{"presigned, expired", func() *http.Request { return presign(t, get(), now.Add(-2*time.Minute), "60") }, 403, "AccessDenied"},
		{"presigned, not yet valid", func() *http.Request { return presign(t, get(), now.Add(20*time.Minute), "3600") }, 403, "AccessDenied"},
		{"presigned, over 7 days", func() *http.Request { return presign(t, get(), now, "604801") }, 400, "AuthorizationQueryParametersError"},
		{"presigned, negative expiry", func() *http.Request {
			r := presign(t, get(), now, "60")
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=-1", 1)
			return r
		}, 400, "AuthorizationQueryParametersError"},
		{"presigned, tampered", func() *http.Request {
			r := presign(t, get(), now, "60")
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "prefix=a%20b", "prefix=zzz", 1)
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"presigned, parameter missing", func() *http.Request {
			r := presign(t, get(), now, "60")
			q := r.URL.Query()
			q.Del("X-Amz-Date")
			r.URL.RawQuery = q.Encode()
			return r
		}, 400, "AuthorizationQueryParametersError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := v.Verify(tc.req(), "s3")
			switch {
			case tc.wantCode == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantCode == "" && s.AccessKeyID != testKey:
				t.Fatalf("signed by %q", s.AccessKeyID)
			case tc.wantCode != "" && (err == nil || err.Code != tc.wantCode || err.Status != tc.wantStatus):
				t.Fatalf("got %v, want %d %s", err, tc.wantStatus, tc.wantCode)
			}
		})
	}
}

// TestErrorsRevealNoSecret checks that what an error carries back to the
// client (S3 sends StringToSign and CanonicalRequest) never holds the
// secret, the signing key or the signature the server expected.
func TestErrorsRevealNoSecret(t *testing.T) {
	now := time.Now()
	v := &Verifier{Region: testRegion, Keys: StaticKeys{testKey: testSecret}}
	good := sign(t, httptest.NewRequest("GET", "http://h/b/k", nil), testSecret, now, testRegion, "s3", EmptySHA256)
	bad := sign(t, httptest.NewRequest("GET", "http://h/b/k", nil), "wrong", now, testRegion, "s3", EmptySHA256)
	expected := good.Header.Get("Authorization")[strings.LastIndex(good.Header.Get("Authorization"), "=")+1:]
	_, err := v.Verify(bad, "s3")
	if err == nil || err.Code != "SignatureDoesNotMatch" {
		t.Fatalf("%v", err)
	}
	all := err.Error()
	for _, kv := range err.Extra {
		all += " " + kv[0] + "=" + kv[1]
	}
	for _, secret := range []string{testSecret, expected} {
		if strings.Contains(all, secret) {
			t.Fatalf("error reveals %q: %s", secret, all)
		}
	}
}

// TestRotation checks that Keys is asked on every request: a key that
// disappears is refused at once.
func TestRotation(t *testing.T) {
	keys := StaticKeys{testKey: testSecret}
	v := &Verifier{Region: testRegion, Keys: keys}
	req := func() *http.Request {
		return sign(t, httptest.NewRequest("GET", "http://h/b/k", nil), testSecret, time.Now(), testRegion, "s3", EmptySHA256)
	}
	if _, err := v.Verify(req(), "s3"); err != nil {
		t.Fatal(err)
	}
	delete(keys, testKey)
	if _, err := v.Verify(req(), "s3"); err == nil || err.Code != "InvalidAccessKeyId" {
		t.Fatalf("removed key: %v", err)
	}
}

// TestEscape checks SigV4's URI encoding against Go's, on the characters
// where they differ.
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a b+c~!*'()": "a%20b%2Bc~%21%2A%27%28%29",
		"ü/x":         "%C3%BC%2Fx",
		"A-Z_a.z0-9":  "A-Z_a.z0-9",
	} {
		if got := Escape(in, false); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Escape("/a b/c", true); got != "/a%20b/c" {
		t.Errorf("path escape: %q", got)
	}
	if got, _ := url.PathUnescape(Escape("x%y", false)); got != "x%y" {
		t.Errorf("percent round trip: %q", got)
	}
}

// FuzzVerify feeds arbitrary Authorization headers, dates and queries to
// the verifier: a clean S3 error or success, never a panic.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature=00", "a=b&c", "20130524T000000Z")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aa", "")
	f.Add("AWS4-HMAC-SHA256 Credential=/,SignedHeaders=,Signature=", "%zz&=&X-Amz-Expires=-1", "2013")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", "", "20130524T000000Z")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2013052/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=0", "", "2013052")
	f.Fuzz(func(t *testing.T, authz, query, date string) {
		r := httptest.NewRequest("GET", "http://s3.amazonaws.com/examplebucket/key", nil)
		r.URL.RawQuery = query
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		r.Header.Set("X-Amz-Date", date)
		r.Header.Set("X-Amz-Content-Sha256", EmptySHA256)
		s, err := docVerifierAt(docTime).Verify(r, "s3")
		if err == nil && s == nil || err != nil && (err.Code == "" || err.Status < 400) {
			t.Fatalf("bad outcome %v %v", s, err)
		}
	})
}
