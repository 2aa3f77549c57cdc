package olaplocal

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/sigv4"
)

var update = flag.Bool("update", false, "rewrite the golden event files")

// TestEvents checks the event built for each operation against golden
// files (volatile fields normalised), against the documented shape, and
// checks that each inputS3Url works on the S3 server for the same
// operation, without the user's Range and conditionals.
func TestEvents(t *testing.T) {
	got := make(chan []byte, 1)
	var st *stack
	answer := inProcess(t, &st)
	st = newStack(t, stackOpts{handler: func(ctx context.Context, raw []byte) ([]byte, error) {
		got <- raw
		return answer(ctx, raw)
	}})
	ctx := context.Background()
	const key = "dir/file one.txt"
	content := "0123456789abcdefghij"
	if _, err := s3srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(supportingBucket),
		Key: aws.String(key), Body: strings.NewReader(content)}); err != nil {
		t.Fatal(err)
	}
	base := st.url + "/" + DefaultBucket
	tests := []struct {
		name, method, url string
		headers           map[string]string
		context           string
		fetchMethod       string
		wantFetch         string // a substring of what inputS3Url returns
	}{
		{name: "get", method: "GET", url: base + "/dir/file%20one.txt?partNumber=1",
			headers: map[string]string{"Range": "bytes=2-5", "If-None-Match": `"abc"`},
			context: "getObjectContext", fetchMethod: "GET", wantFetch: content},
		{name: "head", method: "HEAD", url: base + "/dir/file%20one.txt",
			headers: map[string]string{"If-Modified-Since": "Mon, 02 Jan 2006 15:04:05 GMT"},
			context: "headObjectContext", fetchMethod: "HEAD"},
		{name: "list", method: "GET", url: base + "?prefix=dir%2F&delimiter=%2F&max-keys=2",
			context: "listObjectsContext", fetchMethod: "GET", wantFetch: "<Key>dir/file one.txt</Key>"},
		{name: "listv2", method: "GET", url: base + "?list-type=2&prefix=dir%2F&start-after=dir%2Fa",
			context: "listObjectsV2Context", fetchMethod: "GET", wantFetch: "<KeyCount>1</KeyCount>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, nil)
			req.Header.Set("User-Agent", "olaplocal-test")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			signReq(t, req, DefaultSecretKey, time.Now(), DefaultRegion, "s3", sigv4.EmptySHA256)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			raw := <-got
			checkShape(t, raw, tc.context)
			compareGolden(t, tc.name, normalise(t, raw, st.url))

			var ev events.S3ObjectLambdaEvent
			json.Unmarshal(raw, &ev)
			input := map[string]string{
				"getObjectContext": ptrURL(ev.GetObjectContext), "headObjectContext": ptrURL(ev.HeadObjectContext),
				"listObjectsContext": ptrURL(ev.ListObjectsContext), "listObjectsV2Context": ptrURL(ev.ListObjectsV2Context),
			}[tc.context]
			for _, banned := range []string{"partNumber", "Range", "If-"} {
				if strings.Contains(input, banned) {
					t.Errorf("inputS3Url carries %s: %s", banned, input)
				}
			}
			fetch, _ := http.NewRequest(tc.fetchMethod, input, nil)
			fresp, err := http.DefaultClient.Do(fetch)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(fresp.Body)
			fresp.Body.Close()
			if fresp.StatusCode != 200 || !strings.Contains(string(body), tc.wantFetch) {
				t.Fatalf("inputS3Url %s: %d %s", input, fresp.StatusCode, body)
			}
		})
	}
}

func ptrURL[T any](c *T) string {
	if c == nil {
		return ""
	}
	switch v := any(c).(type) {
	case *events.S3ObjectLambdaGetObjectContext:
		return v.InputS3URL
	case *events.S3ObjectLambdaHeadObjectContext:
		return v.InputS3URL
	case *events.S3ObjectLambdaListObjectsContext:
		return v.InputS3URL
	case *events.S3ObjectLambdaListObjectsV2Context:
		return v.InputS3URL
	}
	return ""
}

// checkShape compares the event's keys with the documented ones.
func checkShape(t *testing.T, raw []byte, context string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	want := []string{"configuration", context, "protocolVersion", "userIdentity", "userRequest", "xAmzRequestId"}
	if keys := sortedKeys(m); !slices.Equal(keys, sortedStrings(want)) {
		t.Fatalf("event keys %v, want %v", keys, sortedStrings(want))
	}
	var ctxKeys map[string]json.RawMessage
	json.Unmarshal(m[context], &ctxKeys)
	wantCtx := []string{"inputS3Url"}
	if context == "getObjectContext" {
		wantCtx = []string{"inputS3Url", "outputRoute", "outputToken"}
	}
	if keys := sortedKeys(ctxKeys); !slices.Equal(keys, wantCtx) {
		t.Fatalf("%s keys %v, want %v", context, keys, wantCtx)
	}
	var cfg, ur map[string]json.RawMessage
	json.Unmarshal(m["configuration"], &cfg)
	json.Unmarshal(m["userRequest"], &ur)
	if keys := sortedKeys(cfg); !slices.Equal(keys, []string{"accessPointArn", "payload", "supportingAccessPointArn"}) {
		t.Fatalf("configuration keys %v", keys)
	}
	if keys := sortedKeys(ur); !slices.Equal(keys, []string{"headers", "url"}) {
		t.Fatalf("userRequest keys %v", keys)
	}
	if string(m["protocolVersion"]) != `"1.00"` {
		t.Fatalf("protocolVersion %s", m["protocolVersion"])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return sortedStrings(keys)
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

var (
	reRoute  = regexp.MustCompile(`"outputRoute":"io-local-[0-9a-f]{8}"`)
	reToken  = regexp.MustCompile(`"outputToken":"[0-9a-f]{64}"`)
	reReqID  = regexp.MustCompile(`"xAmzRequestId":"[0-9A-F]{16}"`)
	reAmzDt  = regexp.MustCompile(`X-Amz-Date=\d{8}T\d{6}Z`)
	reCred   = regexp.MustCompile(`X-Amz-Credential=([^%&]+)%2F\d{8}%2F`)
	reSig    = regexp.MustCompile(`X-Amz-Signature=[0-9a-f]{64}`)
	reHdrDt  = regexp.MustCompile(`"X-Amz-Date":"\d{8}T\d{6}Z"`)
	reAuthOK = regexp.MustCompile(`(?i)"authorization"`)
)

// normalise replaces what changes from run to run and checks its format.
func normalise(t *testing.T, raw []byte, endpoint string) []byte {
	t.Helper()
	s := string(raw)
	if reAuthOK.MatchString(s) {
		t.Errorf("event leaks the Authorization header: %s", s)
	}
	if strings.Contains(s, "getObjectContext") && (!reRoute.MatchString(s) || !reToken.MatchString(s)) {
		t.Errorf("route or token malformed: %s", s)
	}
	for _, r := range []struct {
		re   *regexp.Regexp
		with string
	}{
		{reRoute, `"outputRoute":"ROUTE"`}, {reToken, `"outputToken":"TOKEN"`}, {reReqID, `"xAmzRequestId":"REQUEST-ID"`},
		{reAmzDt, `X-Amz-Date=DATE`}, {reCred, `X-Amz-Credential=$1%2FDATE%2F`}, {reSig, `X-Amz-Signature=SIGNATURE`},
		{reHdrDt, `"X-Amz-Date":"DATE"`},
	} {
		s = r.re.ReplaceAllString(s, r.with)
	}
	u, _ := url.Parse(endpoint)
	s = strings.ReplaceAll(s, u.Host, "ENDPOINT")
	su, _ := url.Parse(s3srv.Endpoint())
	s = strings.ReplaceAll(s, su.Host, "S3SERVER")
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(s), "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "events", name+".json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("event differs from %s:\n%s", path, got)
	}
}

// TestEventPresigned checks that a presigned request's auth parameters
// stay out of the event, and its other parameters stay in.
func TestEventPresigned(t *testing.T) {
	got := make(chan []byte, 1)
	var st *stack
	answer := inProcess(t, &st)
	st = newStack(t, stackOpts{handler: func(ctx context.Context, raw []byte) ([]byte, error) {
		got <- raw
		return answer(ctx, raw)
	}})
	req, _ := http.NewRequest("GET", st.url+"/"+DefaultBucket+"/p/q.txt?response-content-type=text%2Fplain", nil)
	resp, err := http.Get(presignReq(t, req, time.Now(), "60"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var ev events.S3ObjectLambdaEvent
	if err := json.Unmarshal(<-got, &ev); err != nil {
		t.Fatal(err)
	}
	u := ev.UserRequest.URL
	if strings.Contains(u, "X-Amz-") || !strings.Contains(u, "response-content-type=text%2Fplain") || !strings.HasSuffix(strings.Split(u, "?")[0], "/s3archivefs/p/q.txt") {
		t.Fatalf("userRequest.url %s", u)
	}
	for name := range ev.UserRequest.Headers {
		if strings.EqualFold(name, "Authorization") {
			t.Fatalf("Authorization header in the event")
		}
	}
}
