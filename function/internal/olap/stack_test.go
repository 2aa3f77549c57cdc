package olap_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/archive"
	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"
	"github.com/s3archivefs/s3archivefs/function/internal/objects"
	"github.com/s3archivefs/s3archivefs/function/internal/olap"
	"github.com/s3archivefs/s3archivefs/function/internal/s3src"
	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
	"github.com/s3archivefs/s3archivefs/test/fixture"
	"github.com/s3archivefs/s3archivefs/test/olaplocal"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const (
	archiveBucket    = "archives"
	supportingBucket = "supporting"
)

// stack is the function's handler, in process, behind the local Object
// Lambda endpoint, over a real S3 server holding the archives and the
// supporting bucket's real objects.
type stack struct {
	client  *s3.Client // a user of the Object Lambda access point
	s3      *s3test.Server
	special string // source tree of the archive mapped at "data"
	small   string // source tree of the archive mapped at "data/nested"
	logs    *logBuffer
}

// vmapLines is the map the stack serves.
var vmapLines = []string{
	"data|s3://" + archiveBucket + "/special.sqfs",
	"data/nested|s3://" + archiveBucket + "/small.sqfs",
	"broken|s3://" + archiveBucket + "/missing.sqfs",
	"junk|s3://" + archiveBucket + "/junk.sqfs",
}

// realObjects are in the supporting bucket; "data/shadowed.txt" lies under
// a virtual prefix and must never be served or listed.
var realObjects = map[string]string{
	"hello.txt":         "hello from a real object\n",
	"zzz/real.txt":      "real\n",
	"data/shadowed.txt": "must stay hidden\n",
	"datab/real.txt":    "outside the prefix data: whole segments only\n",
}

func newStack(t *testing.T) *stack { return newStackWith(t, vmapLines) }

// newStackWith serves the given VMAP lines.
func newStackWith(t *testing.T, lines []string) *stack {
	t.Helper()
	ctx := context.Background()
	special, specialSrc := fixture.Build(t, fixture.Recipe{Tree: fixture.SpecialTree, Tool: fixture.Mksquashfs, Compressor: "zstd", BlockSize: 128 << 10})
	small, smallSrc := fixture.Build(t, fixture.Small)

	srv := s3test.StartT(t, s3test.Options{})
	for _, b := range []string{archiveBucket, supportingBucket} {
		if err := srv.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, []byte("this is not a squashfs archive, whatever its name says"), 0o644)
	for key, path := range map[string]string{"special.sqfs": special, "small.sqfs": small, "junk.sqfs": junk} {
		if err := srv.PutFile(ctx, archiveBucket, key, path, nil); err != nil {
			t.Fatal(err)
		}
	}
	for key, body := range realObjects {
		p := filepath.Join(t.TempDir(), "obj")
		os.WriteFile(p, []byte(body), 0o644)
		if err := srv.PutFile(ctx, supportingBucket, key, p, nil); err != nil {
			t.Fatal(err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpointURL := "http://" + ln.Addr().String()
	logs := &logBuffer{}
	h := newHandler(t, srv, endpointURL, logs, lines)
	fn := olaplocal.HandlerFunc{Timeout: 20 * time.Second, Handle: func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev events.S3ObjectLambdaEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		out, err := h.Handle(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}}
	ep, err := olaplocal.New(olaplocal.Config{Function: fn, Timeout: 30 * time.Second, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil)),
		Upstream: olaplocal.Upstream{Endpoint: srv.Endpoint(), Bucket: supportingBucket,
			AccessKeyID: s3test.DefaultAccessKey, SecretAccessKey: s3test.DefaultSecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: ep}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	return &stack{
		client: s3.New(s3.Options{
			BaseEndpoint: aws.String(endpointURL), UsePathStyle: true, Region: olaplocal.DefaultRegion,
			Credentials:      credentials.NewStaticCredentialsProvider(olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, ""),
			RetryMaxAttempts: 1,
		}),
		s3: srv, special: specialSrc, small: smallSrc, logs: logs,
	}
}

// newHandler wires the function as bootstrap does, with the function
// role's credentials being the S3 server's.
func newHandler(t *testing.T, srv *s3test.Server, endpointURL string, logs *logBuffer, vmapText []string) *olap.Handler {
	var lines []vmap.Line
	for i, l := range vmapText {
		lines = append(lines, vmap.Line{Text: l, Source: fmt.Sprintf("S3ARCHIVEFS_PREFIX_VMAP%d", i+1)})
	}
	m, err := vmap.Parse(lines)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	cache, err := chunkcache.New(chunkcache.Config{Dir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() }) // chunk writes finish before the directory goes
	client := srv.Client()
	opener := &archive.Opener{
		Cache:     cache,
		Source:    func(r archive.Ref) *s3src.Reader { return s3src.New(client, r.Bucket, r.Key) },
		TailBytes: 256 << 10,
		Logger:    logger,
	}
	return &olap.Handler{
		Archived: &objects.Archived{VMap: m, Archives: &archive.Set{Opener: opener, Max: 8, Revalidate: time.Minute}, Owners: objects.ObjectOwner(client), Logger: logger},
		Writer:   olap.ResponseClient(client, endpointURL),
		HTTP:     &http.Client{},
		Lister:   client,
		Logger:   logger,
	}
}
