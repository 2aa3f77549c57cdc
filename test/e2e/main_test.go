package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/functionurl"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const (
	bucket           = olaplocal.DefaultBucket // what clients use: the access point alias
	archiveBucket    = "archives"
	supportingBucket = "supporting"
	prefix           = "demo/"
	archiveKey       = "demo.sqfs"
	// bigKey is the file of more than 100 MB that spans many blocks.
	bigKey = prefix + "big/corpus.txt"
	// instances is how many function processes serve at once: the CLI's
	// ten download threads then really run ranged GETs concurrently.
	instances = 4
)

// bootstrap is the function binary TestMain builds; read-only afterwards.
var bootstrap string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode (it builds the function and runs real S3 clients)")
		return m.Run()
	}
	return olaplocal.WithBootstrap("e2e", func(b string) int {
		bootstrap = b
		return m.Run()
	})
}

// demoTree is the archive served at prefix: nested directories, odd names,
// keys whose S3 order differs from a naive sort, every kind of link, a
// fifo, empty files and directories, exact block multiples, and large
// files: a text corpus of more than 100 MB (about 4:1 compressible, 880
// blocks of 128 KiB) and random data above the CLI's multipart threshold.
func demoTree() fixture.Tree {
	t := fixture.Tree{Name: "e2e-demo", Seed: 4404}
	add := func(n ...fixture.Node) { t.Nodes = append(t.Nodes, n...) }
	add(fixture.Node{Path: "README.md", Size: 2100, Text: true},
		fixture.Node{Path: "empty", Size: 0},
		fixture.Node{Path: "one-byte", Size: 1, Text: true},
		fixture.Node{Path: "emptydir", Kind: fixture.Dir})
	for p := 1; p <= 4; p++ {
		for c := 1; c <= 12; c++ {
			add(fixture.Node{Path: fmt.Sprintf("docs/part-%d/chapter-%02d.txt", p, c),
				Size: int64(500 + (p*7919+c*104729)%60000), Text: true})
		}
	}
	for m := 1; m <= 12; m++ {
		for i := 1; i <= 2; i++ {
			add(fixture.Node{Path: fmt.Sprintf("data/2024/%02d/sample-%d.bin", m, i), Size: int64(4096 + (m*31+i*17)%9*4000)})
		}
	}
	add(fixture.Node{Path: "a/b/c/d/e/f/g/h/deep.txt", Size: 77, Text: true},
		fixture.Node{Path: "names/with space.txt", Size: 10, Text: true},
		fixture.Node{Path: "names/per%cent+plus#hash?q&x=1", Size: 11, Text: true},
		fixture.Node{Path: "names/ünïcødé-ファイル.txt", Size: 12, Text: true},
		fixture.Node{Path: "names/-leading-dash", Size: 13, Text: true},
		fixture.Node{Path: "names/semi;colon,comma@at$dollar!bang'quote", Size: 14, Text: true},
		fixture.Node{Path: "names/brackets[1](2){3}~tilde", Size: 15, Text: true},
		// S3 order is byte order: '-' < '.' < '/' < '0' < 'B' < '_' < 'a'.
		fixture.Node{Path: "order/a-b", Size: 1, Text: true},
		fixture.Node{Path: "order/a.b", Size: 2, Text: true},
		fixture.Node{Path: "order/a/b", Size: 3, Text: true},
		fixture.Node{Path: "order/a0", Size: 4, Text: true},
		fixture.Node{Path: "order/B", Size: 5, Text: true},
		fixture.Node{Path: "order/a_b", Size: 6, Text: true},
		fixture.Node{Path: "media/random.bin", Size: 3_000_000},
		fixture.Node{Path: "media/exact-blocks", Size: 4 << 17},
		fixture.Node{Path: "big/corpus.txt", Size: 110 << 20, Text: true},
		fixture.Node{Path: "big/mixed.bin", Size: 12<<20 + 4321},
		fixture.Node{Path: "links/hard", Kind: fixture.Hardlink, Target: "README.md"},
		fixture.Node{Path: "links/rel", Kind: fixture.Symlink, Target: "../docs/part-1/chapter-01.txt"},
		fixture.Node{Path: "links/chain", Kind: fixture.Symlink, Target: "rel"},
		fixture.Node{Path: "links/to-dir", Kind: fixture.Symlink, Target: "../docs"},
		fixture.Node{Path: "links/dangling", Kind: fixture.Symlink, Target: "nowhere/at-all"},
		fixture.Node{Path: "links/loop-a", Kind: fixture.Symlink, Target: "loop-b"},
		fixture.Node{Path: "links/loop-b", Kind: fixture.Symlink, Target: "loop-a"},
		fixture.Node{Path: "special/fifo", Kind: fixture.Fifo},
	)
	return t
}

// demoRecipe packs demoTree as a typical archive: zstd, 128 KiB blocks.
var demoRecipe = fixture.Recipe{Tree: demoTree(), Tool: fixture.Mksquashfs, Compressor: "zstd", BlockSize: 128 << 10}

// passthroughObjects are real objects of the supporting bucket, outside
// every virtual prefix.
var passthroughObjects = map[string]string{
	"hello.txt":        "Hello from the supporting bucket.\n",
	"real/notes/a.txt": "a real object under a real prefix\n",
}

// The fronts the suite runs against: the same bootstrap binary, chosen by
// S3ARCHIVEFS_FRONT.
const (
	frontObjectLambda = "object-lambda" // behind the local Object Lambda access point
	frontFunctionURL  = "function-url"  // behind the local function URL
)

// stack is everything a test talks to.
type stack struct {
	front   string
	url     string // the endpoint clients use
	s3      *s3test.Server
	client  *s3.Client // an SDK user of the endpoint
	tree    *expectedTree
	logPath string // the function's stdout and stderr
	cliEnv  []string
	tmp     string
}

// startStack builds the fixture, starts versitygw and the endpoint with
// the function binary; t.Cleanup stops all of it.
func startStack(t *testing.T, front string) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: -short")
	}
	start := time.Now()
	archive, src := fixture.Build(t, demoRecipe)
	t.Logf("fixture %s ready in %v", filepath.Base(archive), time.Since(start).Round(time.Millisecond))
	tree, err := expectObjects(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	srv := s3test.StartT(t, s3test.Options{})
	ctx := t.Context()
	for _, b := range []string{archiveBucket, supportingBucket} {
		if err := srv.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.PutFile(ctx, archiveBucket, archiveKey, archive, nil); err != nil {
		t.Fatal(err)
	}
	for k, v := range passthroughObjects {
		p := filepath.Join(tmp, "object")
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := srv.PutFile(ctx, supportingBucket, k, p, map[string]string{"origin": "supporting"}); err != nil {
			t.Fatal(err)
		}
	}
	// An O_APPEND file: every process's log line lands whole.
	logPath := filepath.Join(tmp, "function.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cacheDir := filepath.Join(tmp, "cache")
	if err := os.Mkdir(cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	url := startEndpoint(t, front, srv, tmp, cacheDir, logFile)
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &stack{front: front, url: url, s3: srv, tree: tree, logPath: logPath, tmp: tmp,
		client: sdkClient(url),
		cliEnv: []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + home,
			"TZ=UTC",
			"LANG=C.UTF-8", "LC_ALL=C.UTF-8",
			"AWS_ACCESS_KEY_ID=" + olaplocal.DefaultAccessKey,
			"AWS_SECRET_ACCESS_KEY=" + olaplocal.DefaultSecretKey,
			"AWS_DEFAULT_REGION=" + olaplocal.DefaultRegion,
			"AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
			"AWS_EC2_METADATA_DISABLED=true",
			"AWS_DEFAULT_OUTPUT=json",
			"AWS_PAGER=",
			// One attempt: a retried failure must fail the test, not pass.
			"AWS_RETRY_MODE=standard",
			"AWS_MAX_ATTEMPTS=1",
		}}
	t.Logf("stack up in %v: endpoint %s, S3 %s", time.Since(start).Round(time.Millisecond), s.url, srv.Endpoint())
	return s
}

// sdkClient is an SDK user of the endpoint at url.
func sdkClient(url string) *s3.Client {
	return s3.New(s3.Options{
		Region:       s3test.DefaultRegion,
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, ""),
		Retryer:      aws.NopRetryer{}, // a retry would hide the first error
	})
}

// startEndpoint starts front's endpoint with the function binary on
// srv, its chunk cache in cacheDir, and returns its URL; t.Cleanup stops
// it. vars are more of the function's variables.
func startEndpoint(t *testing.T, front string, srv *s3test.Server, tmp, cacheDir string, out io.Writer, vars ...string) string {
	t.Helper()
	vmap := "S3ARCHIVEFS_PREFIX_VMAP1=" + strings.TrimSuffix(prefix, "/") + "|s3://" + archiveBucket + "/" + archiveKey
	switch front {
	case frontObjectLambda:
		ep, err := olaplocal.StartServer(olaplocal.ServerConfig{
			Addr: "127.0.0.1:0",
			Endpoint: olaplocal.Config{Bucket: bucket, Upstream: olaplocal.Upstream{
				Endpoint: srv.Endpoint(), Bucket: supportingBucket,
				AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey}},
			Binary:         bootstrap,
			Instances:      instances,
			FunctionVars:   append([]string{vmap, "S3ARCHIVEFS_CACHE_DIR=" + cacheDir}, vars...),
			FunctionOutput: out,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ep.Close() })
		return ep.URL()
	case frontFunctionURL:
		// The real objects are the supporting bucket's, read with the
		// function's own role; clients sign with keys from the keys file.
		keys := writeKeys(t, tmp, keyFile{Keys: []keyEntry{{olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, []string{""}},
			{limitedAccessKey, limitedSecretKey, []string{prefix + "docs/", "real/"}}}})
		ep, err := functionurl.StartServer(functionurl.ServerConfig{
			Addr: "127.0.0.1:0", Binary: bootstrap, Instances: instances, FunctionTimeout: time.Minute,
			AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey, S3Endpoint: srv.Endpoint(),
			FunctionVars: append([]string{vmap, "S3ARCHIVEFS_CACHE_DIR=" + cacheDir, "S3ARCHIVEFS_KEYS_FILE=" + keys,
				"S3ARCHIVEFS_KEYS_REFRESH_INTERVAL=1s", "S3ARCHIVEFS_BUCKET=" + bucket, "S3ARCHIVEFS_REAL_BUCKET=" + supportingBucket}, vars...),
			FunctionOutput: out,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ep.Close() })
		return ep.URL()
	}
	t.Fatalf("unknown front %q", front)
	return ""
}

// logLine is one JSON line the function wrote.
type logLine struct {
	Time       time.Time `json:"time"`
	Level      string    `json:"level"`
	Msg        string    `json:"msg"`
	RequestID  string    `json:"request_id"`
	Op         string    `json:"op"`
	Key        string    `json:"key"`
	Status     int       `json:"status"`
	BytesOut   int64     `json:"bytes_out"`
	ErrorCode  string    `json:"error_code"`
	S3Requests int64     `json:"s3_requests"`
	DurationMS float64   `json:"duration_ms"`
	raw        string
}

// logs parses the function's output so far. A line that is not JSON is
// an error: CloudWatch would not index it.
func (s *stack) logs(t *testing.T) []logLine {
	t.Helper()
	f, err := os.Open(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Errorf("function output line is not JSON: %q", sc.Text())
			continue
		}
		l.raw = sc.Text()
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// requestLines waits (bounded) until the function has logged the request
// with id, and returns its "request" lines. The line is written when the
// handler returns, which may be just after the client has its answer.
func (s *stack) requestLines(t *testing.T, id string) []logLine {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []logLine
		for _, l := range s.logs(t) {
			if l.Msg == "request" && l.RequestID == id {
				got = append(got, l)
			}
		}
		if len(got) > 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// copyFile copies src to dst, creating dst's directory.
func copyFile(dst, src string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ctxTimeout bounds one client call.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
