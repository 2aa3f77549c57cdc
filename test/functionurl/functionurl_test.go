package functionurl

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

var urlFunc string // the test function, built once

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "functionurl-test-")
	if err != nil {
		panic(err)
	}
	urlFunc = filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", urlFunc, "./testdata/urlfunc")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building the test function: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T, timeout time.Duration) *Server {
	t.Helper()
	s, err := StartServer(ServerConfig{Addr: "127.0.0.1:0", Binary: urlFunc, FunctionTimeout: timeout, Instances: 2,
		AccessKeyID: "role", SecretAccessKey: "role-secret", FunctionOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, err
}

// TestEvent checks what the function's http.Handler sees of a request
// (through the payload 2.0 event and lambdaurl): method, host, the path
// and query exactly as sent, headers, cookies and a binary body.
func TestEvent(t *testing.T) {
	s := start(t, 10*time.Second)
	body := []byte{0, 1, 2, 0xff, 'x'}
	req, _ := http.NewRequest("PUT", s.URL()+"/echo/a%2Bb%20c/%C3%BC~?list-type=2&prefix=a%20b&x=1&x=2", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Meta-Two", "v")
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	req.Header.Set("Cookie", "c1=a; c2=b")
	resp, out, err := do(t, req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s %v", resp.StatusCode, out, err)
	}
	var got struct {
		Method, Host, Path, EscapedPath, RawQuery string
		Headers                                   http.Header
		Body                                      []byte
		Event                                     events.LambdaFunctionURLRequest
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(s.URL(), "http://")
	switch {
	case got.Method != "PUT" || got.Host != host:
		t.Errorf("method %s host %s", got.Method, got.Host)
	case got.EscapedPath != "/echo/a%2Bb%20c/%C3%BC~" || got.Path != "/echo/a+b c/ü~":
		t.Errorf("path %q (escaped %q)", got.Path, got.EscapedPath)
	case got.RawQuery != "list-type=2&prefix=a%20b&x=1&x=2":
		t.Errorf("query %q", got.RawQuery)
	case got.Headers.Get("X-Amz-Meta-Two") != "v" || got.Headers.Get("X-Multi") != "1,2" || got.Headers.Get("Content-Length") != "5":
		t.Errorf("headers %v", got.Headers)
	case !bytes.Equal(got.Body, body) || !got.Event.IsBase64Encoded:
		t.Errorf("body %v (base64 %v)", got.Body, got.Event.IsBase64Encoded)
	case strings.Join(got.Event.Cookies, ";") != "c1=a;c2=b" || got.Event.Headers["cookie"] != "":
		t.Errorf("cookies %v, cookie header %q", got.Event.Cookies, got.Event.Headers["cookie"])
	case got.Event.Version != "2.0" || got.Event.RequestContext.HTTP.Method != "PUT" || got.Event.QueryStringParameters["x"] != "1,2" ||
		got.Event.RequestContext.DomainName != host || got.Event.Headers["x-forwarded-proto"] != "http":
		t.Errorf("event %+v", got.Event)
	case resp.Header.Get("X-Amzn-Requestid") != got.Event.RequestContext.RequestID:
		t.Errorf("request id %q vs %q", resp.Header.Get("X-Amzn-Requestid"), got.Event.RequestContext.RequestID)
	}
}

// TestSignatureSurvives signs requests to the URL with the AWS SDK's
// signer, header and presigned, and has the function verify them: the
// translation to an event keeps everything SigV4 covers.
func TestSignatureSurvives(t *testing.T) {
	s := start(t, 10*time.Second)
	creds := aws.Credentials{AccessKeyID: "AKIDURLTEST", SecretAccessKey: "url-test-secret"}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	target := s.URL() + "/sigv4/dir/a%20b%2Bc~%C3%BC.txt?list-type=2&prefix=a%2Fb%20c&start-after=x%3Dy"
	for _, secret := range []string{creds.SecretAccessKey, "wrong"} {
		req, _ := http.NewRequest("GET", target, nil)
		req.Header.Set("X-Amz-Content-Sha256", sigv4.EmptySHA256)
		req.Header.Set("Range", "bytes=0-9")
		c := creds
		c.SecretAccessKey = secret
		// A signer per secret: it caches derived keys by access key id.
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err := signer.SignHTTP(context.Background(), c, req, sigv4.EmptySHA256, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, out, _ := do(t, req)
		if secret == "wrong" {
			if resp.StatusCode != 403 || !strings.Contains(string(out), "SignatureDoesNotMatch") {
				t.Errorf("wrong secret: %d %s", resp.StatusCode, out)
			}
			continue
		}
		if resp.StatusCode != 200 || string(out) != "signed by AKIDURLTEST" {
			t.Errorf("header auth: %d %s", resp.StatusCode, out)
		}
	}
	req, _ := http.NewRequest("GET", target+"&X-Amz-Expires=60", nil)
	u, _, err := signer.PresignHTTP(context.Background(), creds, req, sigv4.UnsignedPayload, "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(out) != "signed by AKIDURLTEST" {
		t.Errorf("presigned: %d %s", resp.StatusCode, out)
	}
}

// TestStreaming checks that the body reaches the client as the function
// writes it, not when it has finished.
func TestStreaming(t *testing.T) {
	s := start(t, 10*time.Second)
	begin := time.Now()
	resp, err := http.Get(s.URL() + "/stream/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 64)
	n, err := resp.Body.Read(buf)
	first := time.Since(begin)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "chunk 0") {
		t.Fatalf("first read: %q %v", buf[:n], err)
	}
	rest, err := io.ReadAll(resp.Body)
	total := time.Since(begin)
	if err != nil || !strings.HasSuffix(string(rest), "chunk 4\n") {
		t.Fatalf("rest: %q %v", rest, err)
	}
	if total < 1200*time.Millisecond || first > total-900*time.Millisecond {
		t.Fatalf("first byte after %v, all after %v: not streamed", first, total)
	}
}

func TestAnswers(t *testing.T) {
	s := start(t, 3*time.Second)
	get := func(path, method string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest(method, s.URL()+path, nil)
		return do(t, req)
	}
	t.Run("status, headers, cookies", func(t *testing.T) {
		resp, body, err := get("/status/418", "GET")
		if err != nil || resp.StatusCode != 418 || string(body) != "hello" || resp.Header.Get("X-Test") != "yes" ||
			strings.Join(resp.Header.Values("Set-Cookie"), ";") != "a=1;b=2" {
			t.Fatalf("%d %q %v %v", resp.StatusCode, body, resp.Header, err)
		}
	})
	t.Run("HEAD keeps Content-Length", func(t *testing.T) {
		resp, body, err := get("/status/200", "HEAD")
		if err != nil || resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != 5 {
			t.Fatalf("%d %q length %d %v", resp.StatusCode, body, resp.ContentLength, err)
		}
	})
	t.Run("large body", func(t *testing.T) {
		resp, body, err := get("/bytes/20000000", "GET")
		if err != nil || resp.StatusCode != 200 || len(body) != 20000000 {
			t.Fatalf("%d %d bytes %v", resp.StatusCode, len(body), err)
		}
	})
	t.Run("error before the answer", func(t *testing.T) {
		resp, body, _ := get("/error/", "GET")
		if resp.StatusCode != 502 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("error in trailers, midway", func(t *testing.T) {
		resp, body, err := get("/midway/", "GET")
		if resp.StatusCode != 200 || err == nil {
			t.Fatalf("a failed stream looked whole: %d, %d bytes, %v", resp.StatusCode, len(body), err)
		}
	})
	t.Run("crash midway", func(t *testing.T) {
		resp, body, err := get("/crash/", "GET")
		if resp.StatusCode != 200 || err == nil {
			t.Fatalf("a crashed stream looked whole: %d, %d bytes, %v", resp.StatusCode, len(body), err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		begin := time.Now()
		resp, body, _ := get("/sleep/", "GET")
		if resp.StatusCode != 502 || time.Since(begin) > 10*time.Second {
			t.Fatalf("%d %s after %v", resp.StatusCode, body, time.Since(begin))
		}
	})
	t.Run("request over 6 MB", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", s.URL()+"/echo/big", bytes.NewReader(make([]byte, MaxRequestBody+1)))
		resp, body, _ := do(t, req)
		if resp.StatusCode != 413 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("works after all that", func(t *testing.T) {
		resp, body, err := get("/status/200", "GET")
		if err != nil || resp.StatusCode != 200 || string(body) != "hello" {
			t.Fatalf("%d %q %v", resp.StatusCode, body, err)
		}
	})
}
