package olaplocal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

const awsCLI = "/usr/bin/aws"

// inProcess answers every event kind simply: GetObject echoes the key
// through a hand-signed WriteGetObjectResponse, HeadObject and the
// listings answer fixed JSON.
func inProcess(t *testing.T, st **stack) func(ctx context.Context, raw []byte) ([]byte, error) {
	return func(ctx context.Context, raw []byte) ([]byte, error) {
		var ev events.S3ObjectLambdaEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		u, _ := url.Parse(ev.UserRequest.URL)
		_, key, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/") // path-style: drop the bucket
		switch {
		case ev.GetObjectContext != nil:
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, (*st).url+"/WriteGetObjectResponse", strings.NewReader(key))
			req.Header.Set("x-amz-request-route", ev.GetObjectContext.OutputRoute)
			req.Header.Set("x-amz-request-token", ev.GetObjectContext.OutputToken)
			req.Header.Set("x-amz-fwd-header-Content-Type", "text/plain")
			signReq(t, req, DefaultSecretKey, time.Now(), DefaultRegion, "s3-object-lambda", sigv4.UnsignedPayload)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return nil, fmt.Errorf("WriteGetObjectResponse: %s", resp.Status)
			}
			return []byte(`{}`), nil
		case ev.HeadObjectContext != nil:
			return []byte(fmt.Sprintf(`{"statusCode":200,"headers":{"Content-Length":%d,"ETag":"\"e\""}}`, len(key))), nil
		default:
			return []byte(`{"statusCode":200,"listResultXml":"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>s3archivefs</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"}`), nil
		}
	}
}

func signReq(t *testing.T, req *http.Request, secret string, at time.Time, region, service, payload string) {
	t.Helper()
	if payload != "" {
		req.Header.Set("X-Amz-Content-Sha256", payload)
	}
	creds := aws.Credentials{AccessKeyID: DefaultAccessKey, SecretAccessKey: secret}
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), creds, req, payload, service, region, at); err != nil {
		t.Fatal(err)
	}
}

func presignReq(t *testing.T, req *http.Request, at time.Time, expires string) string {
	t.Helper()
	q := req.URL.Query()
	q.Set("X-Amz-Expires", expires)
	req.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: DefaultAccessKey, SecretAccessKey: DefaultSecretKey}
	u, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).PresignHTTP(context.Background(), creds, req, sigv4.UnsignedPayload, "s3", DefaultRegion, at)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSigV4 sends hand-signed requests, good and bad, and checks S3's
// answer for each.
func TestSigV4(t *testing.T) {
	var st *stack
	st = newStack(t, stackOpts{handler: inProcess(t, &st)})
	list := st.url + "/" + DefaultBucket + "?list-type=2&prefix=a%20b"
	now := time.Now()
	tests := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
		wantCode   string
	}{
		{"header auth", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now, DefaultRegion, "s3", sigv4.EmptySHA256)
			return r
		}, 200, ""},
		{"unsigned payload", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now, DefaultRegion, "s3", sigv4.UnsignedPayload)
			return r
		}, 200, ""},
		{"wrong secret", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, "not-the-secret", now, DefaultRegion, "s3", sigv4.EmptySHA256)
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"unknown key", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now, DefaultRegion, "s3", sigv4.EmptySHA256)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Credential="+DefaultAccessKey, "Credential=AKIDUNKNOWN", 1))
			return r
		}, 403, "InvalidAccessKeyId"},
		{"tampered query", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now, DefaultRegion, "s3", sigv4.EmptySHA256)
			r.URL.RawQuery = "list-type=2&prefix=b"
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"tampered header", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			r.Header.Set("X-Amz-Request-Payer", "requester")
			signReq(t, r, DefaultSecretKey, now, DefaultRegion, "s3", sigv4.EmptySHA256)
			r.Header.Set("X-Amz-Request-Payer", "someone-else")
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"unsigned amz header", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now, DefaultRegion, "s3", sigv4.EmptySHA256)
			r.Header.Set("X-Amz-Expected-Bucket-Owner", "111122223333")
			return r
		}, 403, "AccessDenied"},
		{"anonymous", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			return r
		}, 403, "AccessDenied"},
		{"wrong region", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now, "eu-west-1", "s3", sigv4.EmptySHA256)
			return r
		}, 400, "AuthorizationHeaderMalformed"},
		{"clock skew", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now.Add(-time.Hour), DefaultRegion, "s3", sigv4.EmptySHA256)
			return r
		}, 403, "RequestTimeTooSkewed"},
		{"no content sha256", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			signReq(t, r, DefaultSecretKey, now, DefaultRegion, "s3", "")
			return r
		}, 400, "InvalidRequest"},
		{"sigv2", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			r.Header.Set("Authorization", "AWS "+DefaultAccessKey+":c2lnbmF0dXJl")
			return r
		}, 400, "InvalidArgument"},
		{"presigned", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			r, _ = http.NewRequest("GET", presignReq(t, r, now, "60"), nil)
			return r
		}, 200, ""},
		{"presigned expired", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			r, _ = http.NewRequest("GET", presignReq(t, r, now.Add(-2*time.Minute), "60"), nil)
			return r
		}, 403, "AccessDenied"},
		{"presigned tampered", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			r, _ = http.NewRequest("GET", strings.Replace(presignReq(t, r, now, "60"), "prefix=a%20b", "prefix=zzz", 1), nil)
			return r
		}, 403, "SignatureDoesNotMatch"},
		{"presigned over a week", func() *http.Request {
			r, _ := http.NewRequest("GET", list, nil)
			r, _ = http.NewRequest("GET", presignReq(t, r, now, "604801"), nil)
			return r
		}, 400, "AuthorizationQueryParametersError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || tc.wantCode != "" && !bytes.Contains(body, []byte("<Code>"+tc.wantCode+"</Code>")) {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, tc.wantStatus, tc.wantCode)
			}
		})
	}
}

// TestSigV4SDK checks requests the Go SDK makes, with keys and queries
// that need escaping, and its presigned URLs.
func TestSigV4SDK(t *testing.T) {
	var st *stack
	st = newStack(t, stackOpts{handler: inProcess(t, &st)})
	ctx := context.Background()
	for _, key := range []string{"plain.txt", "dir/a b+c~!*'()&=;:,@$.txt", "ünï/çødé/%41.txt", "a//b/"} {
		body, err := st.get(t, key)
		if err != nil || body != key {
			t.Errorf("get %q: %q, %v", key, body, err)
		}
	}
	if _, err := st.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(DefaultBucket),
		Prefix: aws.String("a b+c/ü"), Delimiter: aws.String("/"), StartAfter: aws.String("x=y&z")}); err != nil {
		t.Errorf("list v2: %v", err)
	}
	if _, err := st.client.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(DefaultBucket), Marker: aws.String("m")}); err != nil {
		t.Errorf("list v1: %v", err)
	}
	bad := sdkClient(st.url, "wrong")
	_, err := bad.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(DefaultBucket)})
	if code, status := apiError(t, err); code != "SignatureDoesNotMatch" || status != 403 {
		t.Errorf("wrong secret: %q %d", code, status)
	}
	pre, err := s3.NewPresignClient(st.client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String("pre signed.txt")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pre.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "pre signed.txt" {
		t.Errorf("presigned get: %d %s", resp.StatusCode, b)
	}
}

// cli runs /usr/bin/aws against the endpoint with only the given credentials.
func cli(t *testing.T, endpoint, secret string, args ...string) (string, string, error) {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		skipOrFail(t, "AWS CLI v2 not installed at "+awsCLI)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", endpoint}, args...)...)
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_ACCESS_KEY_ID=" + DefaultAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=" + DefaultRegion, "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestSigV4CLI checks that the AWS CLI's requests are accepted, and that
// a wrong secret is refused as S3 refuses it.
func TestSigV4CLI(t *testing.T) {
	var st *stack
	st = newStack(t, stackOpts{handler: inProcess(t, &st)})
	if out, errs, err := cli(t, st.url, DefaultSecretKey, "s3api", "list-objects-v2", "--bucket", DefaultBucket, "--prefix", "a b+c/ü"); err != nil {
		t.Fatalf("list-objects-v2: %v\n%s%s", err, out, errs)
	}
	if out, errs, err := cli(t, st.url, DefaultSecretKey, "s3api", "head-object", "--bucket", DefaultBucket, "--key", "dir/a b+c=.txt"); err != nil ||
		!strings.Contains(out, `"ContentLength": 14`) {
		t.Fatalf("head-object: %v\n%s%s", err, out, errs)
	}
	if out, errs, err := cli(t, st.url, DefaultSecretKey, "s3", "cp", "s3://"+DefaultBucket+"/dir/x y.txt", "-"); err != nil || out != "dir/x y.txt" {
		t.Fatalf("s3 cp: %v\n%q%s", err, out, errs)
	}
	url, errs, err := cli(t, st.url, DefaultSecretKey, "s3", "presign", "s3://"+DefaultBucket+"/cli/pre.txt", "--expires-in", "60")
	if err != nil {
		t.Fatalf("presign: %v %s", err, errs)
	}
	resp, err := http.Get(strings.TrimSpace(url))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "cli/pre.txt" {
		t.Fatalf("CLI presigned URL: %d %s", resp.StatusCode, b)
	}
	_, errs, err = cli(t, st.url, "wrong", "s3api", "list-objects-v2", "--bucket", DefaultBucket)
	if err == nil || !strings.Contains(errs, "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret accepted or wrong error: %v %s", err, errs)
	}
}
