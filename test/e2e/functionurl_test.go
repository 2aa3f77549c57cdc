package e2e

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// testFunctionURL covers what only the function URL front does: it checks
// SigV4 itself, knows several access keys with their prefixes (rotated in
// the keys file without a restart), is read-only, answers the bucket calls
// and GetObjectAttributes, presigned URLs work with curl, and it accepts
// virtual-hosted addressing.
func (s *stack) testFunctionURL(t *testing.T) {
	const readme = prefix + "README.md"
	want := s.want(t, readme)

	s.sub(t, "aws-cli+curl", "presign+curl", func(t *testing.T) {
		skipWithoutCLI(t)
		u := strings.TrimSpace(s.awsOK(t, "s3", "presign", "s3://"+bucket+"/"+readme, "--expires-in", "300").stdout)
		if got := curl(t, u); !bytes.Equal(got, want) {
			t.Fatalf("curl of the presigned URL: %d bytes, want %d", len(got), len(want))
		}
	})
	s.sub(t, "aws-cli+curl", "presigned-expired", func(t *testing.T) {
		skipWithoutCLI(t)
		u := strings.TrimSpace(s.awsOK(t, "s3", "presign", "s3://"+bucket+"/"+readme, "--expires-in", "1").stdout)
		time.Sleep(2100 * time.Millisecond)
		status, body := httpGet(t, u, nil)
		if status != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") || !strings.Contains(body, "Request has expired") {
			t.Fatalf("expired presigned URL: %d %s", status, body)
		}
	})
	s.sub(t, "aws-cli+curl", "wrong-secret", func(t *testing.T) {
		skipWithoutCLI(t)
		// A GET or a listing: a HEAD answer has no body to name the code.
		s.awsWith(t, olaplocal.DefaultAccessKey, "not-the-secret", 254, "SignatureDoesNotMatch", "s3api", "get-object", "--bucket", bucket, "--key", readme, "/dev/null")
		s.awsWith(t, olaplocal.DefaultAccessKey, "not-the-secret", 254, "SignatureDoesNotMatch", "s3api", "list-objects-v2", "--bucket", bucket)
	})
	s.sub(t, "aws-cli+curl", "unknown-key", func(t *testing.T) {
		skipWithoutCLI(t)
		s.awsWith(t, "AKIANOBODY", "whatever", 254, "InvalidAccessKeyId", "s3api", "get-object", "--bucket", bucket, "--key", readme, "/dev/null")
	})
	s.sub(t, "aws-cli+curl", "clock-skew", func(t *testing.T) {
		for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
			req, _ := http.NewRequest("GET", s.url+"/"+bucket+"/"+readme, nil)
			signAt(t, req, olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, time.Now().Add(skew))
			status, body := do(t, req)
			if status != 403 || !strings.Contains(body, "<Code>RequestTimeTooSkewed</Code>") {
				t.Errorf("skew %v: %d %s", skew, status, body)
			}
		}
		req, _ := http.NewRequest("GET", s.url+"/"+bucket+"/"+readme, nil)
		signAt(t, req, olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, time.Now().Add(-10*time.Minute))
		if status, body := do(t, req); status != 200 || body != string(want) {
			t.Errorf("10 minutes slow, within S3's 15: %d", status)
		}
	})
	s.sub(t, "aws-cli+curl", "anonymous", func(t *testing.T) {
		status, body := httpGet(t, s.url+"/"+bucket+"/"+readme, nil)
		if status != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
			t.Fatalf("unsigned GET: %d %s", status, body)
		}
	})
	s.sub(t, "aws-cli+curl", "prefixes", func(t *testing.T) {
		skipWithoutCLI(t)
		// The limited key may read prefix+docs/ and real/, nothing else.
		s.awsWith(t, limitedAccessKey, limitedSecretKey, 254, "AccessDenied", "s3api", "get-object", "--bucket", bucket, "--key", readme, "/dev/null")
		s.awsWith(t, limitedAccessKey, limitedSecretKey, 254, "AccessDenied", "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix)
		s.awsWith(t, limitedAccessKey, limitedSecretKey, 254, "AccessDenied", "s3api", "get-object", "--bucket", bucket, "--key", "hello.txt", "/dev/null")
		s.awsWith(t, limitedAccessKey, limitedSecretKey, 0, "", "s3api", "get-object", "--bucket", bucket, "--key", prefix+"docs/part-1/chapter-01.txt", "/dev/null")
		s.awsWith(t, limitedAccessKey, limitedSecretKey, 0, "", "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix+"docs/")
		s.awsWith(t, limitedAccessKey, limitedSecretKey, 0, "", "s3", "cp", "s3://"+bucket+"/real/notes/a.txt", "-")
	})
	s.sub(t, "aws-cli+curl", "read-only", func(t *testing.T) {
		skipWithoutCLI(t)
		s.awsFails(t, 1, []string{"AccessDenied", "read-only"}, "s3", "cp", "/etc/hostname", "s3://"+bucket+"/new.txt")
		s.awsFails(t, 254, []string{"AccessDenied"}, "s3api", "delete-object", "--bucket", bucket, "--key", readme)
		s.awsFails(t, 254, []string{"AccessDenied"}, "s3api", "create-bucket", "--bucket", "another")
		if _, err := s.s3.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(supportingBucket), Key: aws.String("new.txt")}); err == nil {
			t.Error("a PUT through the read-only front reached the real bucket")
		}
	})
	s.sub(t, "aws-cli+curl", "bucket-calls", func(t *testing.T) {
		skipWithoutCLI(t)
		if out := s.awsOK(t, "s3", "ls").stdout; !strings.HasSuffix(strings.TrimSpace(out), " "+bucket) {
			t.Errorf("aws s3 ls: %q", out)
		}
		s.awsOK(t, "s3api", "head-bucket", "--bucket", bucket)
		var loc struct{ LocationConstraint *string }
		s.awsJSON(t, &loc, "s3api", "get-bucket-location", "--bucket", bucket)
		if loc.LocationConstraint != nil && *loc.LocationConstraint != "" {
			t.Errorf("us-east-1 is an empty LocationConstraint: %q", *loc.LocationConstraint)
		}
		s.awsFails(t, 254, []string{"NoSuchBucket"}, "s3api", "list-objects-v2", "--bucket", "other-bucket")
	})
	s.sub(t, "aws-cli+curl", "get-object-attributes", func(t *testing.T) {
		skipWithoutCLI(t)
		var head cliObject
		s.awsJSON(t, &head, "s3api", "head-object", "--bucket", bucket, "--key", readme)
		var attrs struct {
			ETag         string
			ObjectSize   int64
			StorageClass string
		}
		s.awsJSON(t, &attrs, "s3api", "get-object-attributes", "--bucket", bucket, "--key", readme, "--object-attributes", "ETag", "ObjectSize", "StorageClass")
		if `"`+attrs.ETag+`"` != head.ETag || attrs.ObjectSize != int64(len(want)) || attrs.StorageClass != "STANDARD" {
			t.Errorf("attributes %+v, head ETag %s size %d", attrs, head.ETag, len(want))
		}
	})
	s.sub(t, "aws-cli+curl", "virtual-hosted", func(t *testing.T) {
		// <bucket>.localhost resolves nowhere here: dial the endpoint for
		// any name, as DNS would for a real domain.
		addr := strings.TrimPrefix(s.url, "http://")
		_, port, _ := net.SplitHostPort(addr)
		dialer := &net.Dialer{}
		client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://localhost:" + port),
			Credentials: credentials.NewStaticCredentialsProvider(olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, ""),
			HTTPClient: &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, addr)
			}}}, Retryer: aws.NopRetryer{}})
		out, err := client.GetObject(ctxTimeout(t, time.Minute), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(readme)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, want) {
			t.Fatalf("virtual-hosted GET: %d bytes", len(got))
		}
		list, err := client.ListObjectsV2(ctxTimeout(t, time.Minute), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix + "docs/part-1/")})
		if err != nil || len(list.Contents) != 12 {
			t.Fatalf("virtual-hosted list: %v, %d keys", err, len(list.Contents))
		}
	})
	s.sub(t, "aws-cli+curl", "unsupported", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.url+"/"+bucket+"/"+readme+"?tagging", nil)
		signAt(t, req, olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, time.Now())
		if status, body := do(t, req); status != 501 || !strings.Contains(body, "<Code>NotImplemented</Code>") {
			t.Errorf("GetObjectTagging: %d %s", status, body)
		}
	})
	// Last: it changes the keys.
	s.sub(t, "aws-cli+curl", "rotation", func(t *testing.T) {
		skipWithoutCLI(t)
		const rotated = "limited-secret-rotated"
		writeKeys(t, s.tmp, keyFile{Keys: []keyEntry{{olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, []string{""}},
			{limitedAccessKey, rotated, []string{prefix + "docs/", "real/"}}}})
		time.Sleep(1200 * time.Millisecond) // S3ARCHIVEFS_KEYS_REFRESH_INTERVAL=1s
		// The first request after the interval re-reads the keys.
		s.awsWith(t, limitedAccessKey, rotated, 0, "", "s3", "cp", "s3://"+bucket+"/real/notes/a.txt", "-")
		s.awsWith(t, limitedAccessKey, limitedSecretKey, 254, "SignatureDoesNotMatch", "s3api", "get-object", "--bucket", bucket, "--key", "real/notes/a.txt", "/dev/null")
		writeKeys(t, s.tmp, keyFile{Keys: []keyEntry{{olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, []string{""}}}})
		time.Sleep(1200 * time.Millisecond)
		s.awsWith(t, limitedAccessKey, rotated, 254, "InvalidAccessKeyId", "s3api", "get-object", "--bucket", bucket, "--key", "real/notes/a.txt", "/dev/null")
	})
}

// awsWith runs the CLI with other credentials and checks its exit code and
// that stderr names the error code.
func (s *stack) awsWith(t *testing.T, id, secret string, code int, errCode string, args ...string) {
	t.Helper()
	env := append([]string(nil), s.cliEnv...)
	for i, kv := range env {
		switch {
		case strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID="):
			env[i] = "AWS_ACCESS_KEY_ID=" + id
		case strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY="):
			env[i] = "AWS_SECRET_ACCESS_KEY=" + secret
		}
	}
	saved := s.cliEnv
	s.cliEnv = env
	r := s.aws(t, args...)
	s.cliEnv = saved
	if r.code != code || !strings.Contains(r.stderr, errCode) {
		t.Errorf("aws %s as %s: %v; want exit %d and %q", strings.Join(args, " "), id, r, code, errCode)
	}
}

// signAt signs req as the SDK does, at a given time.
func signAt(t *testing.T, req *http.Request, id, secret string, at time.Time) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
	err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, sigv4.EmptySHA256, "s3", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req.WithContext(ctxTimeout(t, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func httpGet(t *testing.T, u string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	return do(t, req)
}

// curl fetches u with curl, as a browser or a shell script would.
func curl(t *testing.T, u string) []byte {
	t.Helper()
	needTool(t, "curl")
	out, err := exec.CommandContext(ctxTimeout(t, time.Minute), "curl", "-sS", "--fail", u).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	return out
}

// needTool skips when a tool is missing, or fails under make test
// (S3ARCHIVEFS_REQUIRE_TOOLS), where every tool must be there.
func needTool(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("S3ARCHIVEFS_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s not installed (S3ARCHIVEFS_REQUIRE_TOOLS is set): make tools", path)
		}
		t.Skipf("%s not installed: make tools", path)
	}
}
