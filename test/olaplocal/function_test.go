package olaplocal

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestGetObjectThroughProcess runs the test function as a child process
// through the Runtime API and checks what clients see for every way the
// function can answer or fail.
func TestGetObjectThroughProcess(t *testing.T) {
	st := newStack(t, stackOpts{timeout: 2 * time.Second})
	tests := []struct {
		key        string
		wantBody   string
		wantCode   string
		wantStatus int
	}{
		{key: "echo/a b+c.txt", wantBody: "echo/a b+c.txt", wantStatus: 200},
		{key: "fwderror/x", wantCode: "NoSuchKey", wantStatus: 404},
		{key: "badtoken/x", wantBody: "InvalidToken", wantStatus: 200},
		{key: "badroute/x", wantBody: "InvalidRoute", wantStatus: 200},
		{key: "twice/x", wantBody: "one", wantStatus: 200},
		{key: "error/x", wantCode: "LambdaRuntimeError", wantStatus: 500},
		{key: "panic/x", wantCode: "LambdaRuntimeError", wantStatus: 500},
		{key: "crash/x", wantCode: "LambdaRuntimeError", wantStatus: 500},
		{key: "nowgor/x", wantCode: "LambdaResponseNotReceived", wantStatus: 500},
		{key: "hang/x", wantCode: "LambdaTimeout", wantStatus: 500},
		// After a crash, a panic and a timeout the function still serves.
		{key: "echo/after", wantBody: "echo/after", wantStatus: 200},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			body, err := st.get(t, tc.key)
			code, status := apiError(t, err)
			if code != tc.wantCode || status != tc.wantStatus {
				t.Fatalf("got %q %d (%v), want %q %d", code, status, err, tc.wantCode, tc.wantStatus)
			}
			if err == nil && !strings.Contains(body, tc.wantBody) {
				t.Fatalf("body %q does not contain %q", body, tc.wantBody)
			}
		})
	}
}

// TestInitFailure checks a function that fails init: through the Runtime
// API's init error, by exiting, and by never asking for work.
func TestInitFailure(t *testing.T) {
	for _, tc := range []struct{ mode, code string }{
		{"error", "LambdaRuntimeError"}, {"exit", "LambdaRuntimeError"}, {"hang", "LambdaTimeout"},
	} {
		mode := tc.mode
		t.Run(mode, func(t *testing.T) {
			st := newStack(t, stackOpts{env: []string{"TESTFUNC_INIT=" + mode}, init: 500 * time.Millisecond})
			_, err := st.get(t, "echo/x")
			code, status := apiError(t, err)
			if code != tc.code || status != 500 {
				t.Fatalf("got %q %d (%v), want %s", code, status, err, tc.code)
			}
			if mode == "error" && !strings.Contains(err.Error(), "config is broken on purpose") {
				t.Fatalf("init error message lost: %v", err)
			}
		})
	}
}

// TestWGORStreams proves the body is streamed: the function sends a first
// line and then blocks until the test has read it.
func TestWGORStreams(t *testing.T) {
	st := newStack(t, stackOpts{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := st.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String("stream/x")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	br := bufio.NewReader(out.Body)
	first := make(chan string, 1)
	go func() {
		l, _ := br.ReadString('\n')
		first <- l
	}()
	select {
	case l := <-first:
		if l != "first\n" {
			t.Fatalf("first line %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first line did not arrive while the function was still writing: the body is buffered")
	}
	if err := os.WriteFile(filepath.Join(st.dir, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

// TestRuntimeContext checks what the Runtime API hands the function: request
// id, ARN, deadline, trace id, and the Terraform-like environment.
func TestRuntimeContext(t *testing.T) {
	st := newStack(t, stackOpts{timeout: 3 * time.Second})
	body, err := st.get(t, "ctx/x")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		RequestID    string `json:"requestId"`
		ARN          string `json:"arn"`
		DeadlineInMs int64  `json:"deadlineInMs"`
		TraceID      string `json:"traceId"`
		FunctionName string `json:"functionName"`
		LogFormat    string `json:"logFormat"`
		WGOR         string `json:"wgor"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if got.RequestID == "" || got.ARN != "arn:aws:lambda:us-east-1:111122223333:function:s3archivefs" ||
		got.DeadlineInMs <= 0 || got.DeadlineInMs > 3000 || !strings.HasPrefix(got.TraceID, "Root=1-") ||
		got.FunctionName != "s3archivefs" || got.LogFormat != "JSON" || got.WGOR != st.url {
		t.Fatalf("runtime context %+v", got)
	}
}

// TestConcurrentInstances checks that invocations are serialised per
// process and spread over instances: two streams block at once only if
// there are two processes.
func TestConcurrentInstances(t *testing.T) {
	st := newStack(t, stackOpts{instances: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	firsts := make(chan string, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := st.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String("stream/x")})
			if err != nil {
				firsts <- err.Error()
				return
			}
			defer out.Body.Close()
			l, _ := bufio.NewReader(out.Body).ReadString('\n')
			firsts <- l
			io.Copy(io.Discard, out.Body)
		}()
	}
	for i := 0; i < 2; i++ {
		select {
		case l := <-firsts:
			if l != "first\n" {
				t.Fatalf("stream %d: %q", i, l)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("two streams did not run at once on two instances")
		}
	}
	os.WriteFile(filepath.Join(st.dir, "release"), nil, 0o644)
	wg.Wait()
}

// TestHeadAndList checks the JSON answers of HEAD and LIST become HTTP.
func TestHeadAndList(t *testing.T) {
	st := newStack(t, stackOpts{})
	ctx := context.Background()
	head, err := st.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String("echo/abc")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len("echo/abc")) || aws.ToString(head.ETag) != `"echo"` || head.Metadata["echo"] != "yes" {
		t.Fatalf("head %+v", head)
	}
	for _, tc := range []struct {
		key    string
		status int
	}{{"missing/x", 404}, {"error/x", 500}, {"invalid/x", 400}} {
		_, err := st.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String(tc.key)})
		if _, status := apiError(t, err); status != tc.status {
			t.Errorf("HEAD %s: status %d (%v), want %d", tc.key, status, err, tc.status)
		}
	}
	l, err := st.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(DefaultBucket), Prefix: aws.String("json/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Contents) != 1 || aws.ToString(l.Contents[0].Key) != "json/a" || aws.ToInt64(l.Contents[0].Size) != 3 {
		t.Fatalf("listBucketResult rendering: %+v", l.Contents)
	}
}

// TestPassthrough puts objects through the endpoint (they land in the
// supporting bucket) and reads them back through the test function, which
// streams the original from inputS3Url.
func TestPassthrough(t *testing.T) {
	st := newStack(t, stackOpts{})
	ctx := context.Background()
	content := strings.Repeat("0123456789", 1000)
	if _, err := st.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(DefaultBucket),
		Key: aws.String("plain/hello.txt"), Body: strings.NewReader(content), ContentType: aws.String("text/plain")}); err != nil {
		t.Fatal(err)
	}
	direct, err := s3srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(supportingBucket), Key: aws.String("plain/hello.txt")})
	if err != nil {
		t.Fatalf("object not in the supporting bucket: %v", err)
	}
	direct.Body.Close()

	body, err := st.get(t, "plain/hello.txt")
	if err != nil || body != content {
		t.Fatalf("get: %d bytes, %v", len(body), err)
	}
	part, err := st.get(t, "plain/hello.txt", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=3-7") })
	if err != nil || part != "34567" {
		t.Fatalf("range get: %q, %v", part, err)
	}
	_, err = st.get(t, "plain/missing.txt")
	if code, status := apiError(t, err); code != "NoSuchKey" || status != 404 {
		t.Fatalf("missing: %q %d", code, status)
	}
	head, err := st.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String("plain/hello.txt")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(content)) {
		t.Fatalf("head: %+v %v", head, err)
	}
	v2, err := st.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(DefaultBucket), Prefix: aws.String("plain/")})
	if err != nil || len(v2.Contents) != 1 || aws.ToString(v2.Contents[0].Key) != "plain/hello.txt" {
		t.Fatalf("list v2: %+v %v", v2, err)
	}
	v1, err := st.client.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(DefaultBucket), Prefix: aws.String("plain/")})
	if err != nil || len(v1.Contents) != 1 {
		t.Fatalf("list v1: %+v %v", v1, err)
	}
	// Other buckets pass through under their own names.
	if _, err := st.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("other-bucket")}); err != nil {
		t.Fatalf("create other bucket: %v", err)
	}
	if _, err := s3srv.Client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("other-bucket")}); err != nil {
		t.Fatalf("other bucket not on the S3 server: %v", err)
	}
	// Bucket operations pass through too.
	if _, err := st.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(DefaultBucket)}); err != nil {
		t.Fatalf("head bucket: %v", err)
	}
	if _, err := st.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String("plain/hello.txt")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = st.get(t, "plain/hello.txt")
	if _, status := apiError(t, err); status != http.StatusNotFound {
		t.Fatalf("after delete: %v", err)
	}
}

// TestPassthroughCLI uploads through the endpoint with the AWS CLI (a
// multipart upload for the large file) and reads both files back through
// the test function.
func TestPassthroughCLI(t *testing.T) {
	st := newStack(t, stackOpts{})
	dir := t.TempDir()
	small := filepath.Join(dir, "small.txt")
	large := filepath.Join(dir, "large.bin")
	os.WriteFile(small, []byte("small file\n"), 0o644)
	big := make([]byte, 20<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>11)
	}
	os.WriteFile(large, big, 0o644)
	for _, f := range []string{small, large} {
		if out, errs, err := cli(t, st.url, DefaultSecretKey, "s3", "cp", f, "s3://"+DefaultBucket+"/cli/"+filepath.Base(f)); err != nil {
			t.Fatalf("upload %s: %v\n%s%s", f, err, out, errs)
		}
		back := filepath.Join(dir, "back-"+filepath.Base(f))
		if out, errs, err := cli(t, st.url, DefaultSecretKey, "s3", "cp", "s3://"+DefaultBucket+"/cli/"+filepath.Base(f), back); err != nil {
			t.Fatalf("download %s: %v\n%s%s", f, err, out, errs)
		}
		want, _ := os.ReadFile(f)
		got, _ := os.ReadFile(back)
		if string(got) != string(want) {
			t.Fatalf("%s: %d bytes back, want %d", f, len(got), len(want))
		}
	}
}

// TestInvocationsSerialised checks that one process serves one invocation
// at a time, as a Lambda execution environment does: an echo queued behind
// a blocked stream completes only after the stream is released.
func TestInvocationsSerialised(t *testing.T) {
	st := newStack(t, stackOpts{instances: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := st.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(DefaultBucket), Key: aws.String("stream/x")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	br := bufio.NewReader(out.Body)
	if l, _ := br.ReadString('\n'); l != "first\n" {
		t.Fatalf("first line %q", l)
	}
	echoed := make(chan string, 1)
	go func() {
		body, err := st.get(t, "echo/queued")
		if err != nil {
			body = err.Error()
		}
		echoed <- body
	}()
	select {
	case b := <-echoed:
		t.Fatalf("second invocation ran while the process was busy: %q", b)
	case <-time.After(500 * time.Millisecond):
	}
	os.WriteFile(filepath.Join(st.dir, "release"), nil, 0o644)
	io.Copy(io.Discard, br)
	select {
	case b := <-echoed:
		if b != "echo/queued" {
			t.Fatalf("queued invocation: %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("queued invocation never ran")
	}
}
