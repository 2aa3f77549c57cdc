package olaplocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3archivefs/s3archivefs/test/s3test"
)

// Shared by all tests: one versitygw and one build of the test function.
var (
	s3srv    *s3test.Server
	testFunc string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "olaplocal-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testFunc = filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", testFunc, "./testdata/testfunc")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test function:", err)
		return 1
	}
	if _, err := s3test.Binary(); err != nil {
		// make test sets S3ARCHIVEFS_REQUIRE_TOOLS: there a missing tool fails.
		fmt.Fprintln(os.Stderr, "olaplocal tests need versitygw (make tools):", err)
		if os.Getenv("S3ARCHIVEFS_REQUIRE_TOOLS") != "" {
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s3srv, err = s3test.Start(ctx, s3test.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting versitygw:", err)
		return 1
	}
	defer s3srv.Close()
	if err := s3srv.CreateBucket(ctx, supportingBucket); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

const supportingBucket = "supporting"

// stack is an endpoint on 127.0.0.1 in front of the shared versitygw.
type stack struct {
	ep     *Endpoint
	url    string
	dir    string // the test function's TESTFUNC_DIR
	client *s3.Client
}

type stackOpts struct {
	handler   func(ctx context.Context, event []byte) ([]byte, error) // in-process mode when set
	timeout   time.Duration
	init      time.Duration // init time limit (default 5 s)
	instances int
	env       []string // extra function environment
	now       func() time.Time
}

func newStack(t *testing.T, o stackOpts) *stack {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{url: "http://" + ln.Addr().String(), dir: t.TempDir()}
	timeout := o.timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	initTimeout := o.init
	if initTimeout == 0 {
		initTimeout = 5 * time.Second
	}
	var fn Function
	if o.handler != nil {
		fn = HandlerFunc{Handle: o.handler, Timeout: timeout}
	} else {
		env := FunctionEnv{Region: s3test.DefaultRegion, AccessKeyID: s3test.DefaultAccessKey,
			SecretAccessKey: s3test.DefaultSecretKey, S3Endpoint: s3srv.Endpoint(), WGOREndpoint: st.url,
			Binary: testFunc, Vars: append([]string{"TESTFUNC_DIR=" + st.dir}, o.env...)}
		p, err := StartProcess(ProcessConfig{Path: testFunc, Env: env.Environ(), Instances: o.instances,
			Timeout: timeout, InitTimeout: initTimeout, FunctionARN: FunctionARN(DefaultRegion, DefaultAccountID, "s3archivefs"),
			Stdout: io.Discard, Stderr: testWriter{t}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		fn = p
	}
	st.ep, err = New(Config{Function: fn, Timeout: timeout + 2*time.Second, Now: o.now,
		Upstream: Upstream{Endpoint: s3srv.Endpoint(), Bucket: supportingBucket,
			AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: st.ep}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	st.client = sdkClient(st.url, DefaultSecretKey)
	return st
}

// sdkClient is an SDK client for the endpoint; no retries, so each
// failure is seen once.
func sdkClient(endpoint, secret string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:     aws.String(endpoint),
		UsePathStyle:     true,
		Region:           DefaultRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(DefaultAccessKey, secret, ""),
		RetryMaxAttempts: 1,
	})
}

// testWriter sends a child's stderr to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// apiError returns the S3 error code and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	if err == nil {
		return "", 200
	}
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re interface{ HTTPStatusCode() int }
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

func (st *stack) get(t *testing.T, key string, opt ...func(*s3.GetObjectInput)) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := &s3.GetObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String(key)}
	for _, o := range opt {
		o(in)
	}
	out, err := st.client.GetObject(ctx, in)
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

// skipOrFail skips a test whose tool is missing, or fails it under make
// test (S3ARCHIVEFS_REQUIRE_TOOLS), where every tool must be there.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("S3ARCHIVEFS_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s (S3ARCHIVEFS_REQUIRE_TOOLS is set)", why)
	}
	t.Skip(why)
}
