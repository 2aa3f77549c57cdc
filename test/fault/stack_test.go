package fault

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const (
	bucket           = olaplocal.DefaultBucket
	archiveBucket    = "archives"
	supportingBucket = "supporting"
	archiveKey       = "fault.sqfs"
	prefix           = "f/"
	// functionTimeout bounds one invocation; no GET may take longer (plus
	// the endpoint's own margin).
	functionTimeout = 20 * time.Second
)

// bootstrap is the function binary TestMain builds.
var bootstrap string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testing.Short() {
		fmt.Println("fault: skipped in -short mode (it builds the function and runs it against a faulting S3)")
		return m.Run()
	}
	return olaplocal.WithBootstrap("fault", func(b string) int {
		bootstrap = b
		return m.Run()
	})
}

// faultTree has small files (text and random, below and above the 128 KiB
// block size, so in fragments and in blocks) and large ones of many blocks.
func faultTree() fixture.Tree {
	t := fixture.Tree{Name: "fault-suite", Seed: 1515}
	for i := range 120 {
		t.Nodes = append(t.Nodes, fixture.Node{Path: fmt.Sprintf("small/%02d/f%03d", i/20, i),
			Size: int64(1 + (i*7919)%(i%3*60_000+4_000)), Text: i%2 == 0})
	}
	for i, size := range []int64{1 << 20, 3<<20 + 12345, 5<<20 + 1} {
		t.Nodes = append(t.Nodes, fixture.Node{Path: fmt.Sprintf("large/l%d", i), Size: size, Text: i == 1})
	}
	t.Nodes = append(t.Nodes, fixture.Node{Path: "small/empty", Size: 0})
	return t
}

// file is one object the function serves and the bytes it must serve.
type file struct {
	key  string
	data []byte
}

// world is the S3 server with the archive, shared by a test's stacks.
type world struct {
	s3           *s3test.Server
	small, large []file
}

func newWorld(t *testing.T) *world {
	t.Helper()
	if testing.Short() {
		t.Skip("fault: -short")
	}
	archive, src := fixture.Build(t, fixture.Recipe{Tree: faultTree(), Tool: fixture.Mksquashfs, Compressor: "gzip", BlockSize: 128 << 10})
	w := &world{s3: s3test.StartT(t, s3test.Options{})}
	ctx := t.Context()
	for _, b := range []string{archiveBucket, supportingBucket} {
		if err := w.s3.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.s3.PutFile(ctx, archiveBucket, archiveKey, archive, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range faultTree().Nodes {
		data, err := os.ReadFile(filepath.Join(src, n.Path))
		if err != nil {
			t.Fatal(err)
		}
		f := file{key: prefix + n.Path, data: data}
		if strings.HasPrefix(n.Path, "large/") {
			w.large = append(w.large, f)
		} else {
			w.small = append(w.small, f)
		}
	}
	return w
}

// stack is the endpoint and its function processes over a world.
type stack struct {
	url      string
	client   *s3.Client
	cacheDir string
	logPath  string
	events   *lockedBuffer // the endpoint's own log (process starts and stops)
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// start runs the endpoint with up to instances function processes on
// cacheDir (a fresh one when "").
func (w *world) start(t *testing.T, instances int, cacheDir string, vars ...string) *stack {
	t.Helper()
	tmp := t.TempDir()
	if cacheDir == "" {
		cacheDir = filepath.Join(tmp, "cache")
		if err := os.Mkdir(cacheDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(tmp, "function.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	events := &lockedBuffer{}
	ep, err := olaplocal.StartServer(olaplocal.ServerConfig{
		Logger: slog.New(slog.NewJSONHandler(events, nil)),
		Addr:   "127.0.0.1:0",
		Endpoint: olaplocal.Config{Bucket: bucket, Upstream: olaplocal.Upstream{
			Endpoint: w.s3.Endpoint(), Bucket: supportingBucket,
			AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey}},
		Binary:          bootstrap,
		Instances:       instances,
		FunctionTimeout: functionTimeout,
		FunctionVars: append([]string{
			"S3ARCHIVEFS_PREFIX_VMAP1=" + strings.TrimSuffix(prefix, "/") + "|s3://" + archiveBucket + "/" + archiveKey,
			"S3ARCHIVEFS_CACHE_DIR=" + cacheDir,
			"S3ARCHIVEFS_LOG_LEVEL=warn",
		}, vars...),
		FunctionOutput: logFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	s := &stack{url: ep.URL(), cacheDir: cacheDir, logPath: logPath, client: newClient(ep.URL()), events: events}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("function log (last 4 KiB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	})
	return s
}

// newClient is an SDK client of the endpoint that never retries: every
// answer is seen as the endpoint gave it.
func newClient(url string) *s3.Client {
	return s3.New(s3.Options{
		Region:       s3test.DefaultRegion,
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient: &http.Client{
			Timeout:   functionTimeout + 15*time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
		},
	})
}

// tally counts outcomes; safe for concurrent use.
type tally struct {
	mu       sync.Mutex
	gets     int
	ok       int
	wrong    int            // served as a success with bytes that differ
	errors   map[string]int // by HTTP status, or "broken" (connection or body)
	slowest  time.Duration
	examples []string // the first wrong answers, for the failure message
}

func newTally() *tally { return &tally{errors: map[string]int{}} }

func (t *tally) add(o outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gets++
	t.slowest = max(t.slowest, o.took)
	switch {
	case o.wrong != "":
		t.wrong++
		if len(t.examples) < 5 {
			t.examples = append(t.examples, o.wrong)
		}
	case o.err != "":
		t.errors[o.err]++
	default:
		t.ok++
	}
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return fmt.Sprintf("%d GETs: %d good, %d wrong, errors %v, slowest %v", t.gets, t.ok, t.wrong, t.errors, t.slowest.Round(time.Millisecond))
}

// run makes n GETs from workers goroutines, each drawn by next(i).
func run(ctx context.Context, c *s3.Client, n, workers int, next func(i int) get) *tally {
	tl := newTally()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				tl.add(check(ctx, c, next(i)))
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return tl
}

// drain reads a response body to its end.
func drain(r io.Reader) ([]byte, error) { return io.ReadAll(r) }
