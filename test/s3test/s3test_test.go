package s3test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// noRetry makes every SDK call exactly one HTTP attempt, so the proxy's
// counts and faults are observed directly.
func noRetry(o *s3.Options) { o.Retryer = aws.NopRetryer{} }

func putRandom(t *testing.T, s *Server, bucket, key string, n int, meta map[string]string) []byte {
	t.Helper()
	data := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)}).Read(data)
	path := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFile(t.Context(), bucket, key, path, meta); err != nil {
		t.Fatal(err)
	}
	return data
}

func getRange(ctx context.Context, c *s3.Client, bucket, key, rng string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String(rng)}, noRetry)
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func TestServerRoundTrip(t *testing.T) {
	s := StartT(t, Options{})
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	data := putRandom(t, s, "bkt", "dir/obj.bin", 300_000, map[string]string{"s3archivefs-superblock": "aGVsbG8="})

	head, err := s.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/obj.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt64(head.ContentLength); got != int64(len(data)) {
		t.Errorf("HEAD size %d, want %d", got, len(data))
	}
	if got := head.Metadata["s3archivefs-superblock"]; got != "aGVsbG8=" {
		t.Errorf("metadata %q, want aGVsbG8=", got)
	}
	// The posix backend keeps objects as plain files.
	if onDisk, err := os.ReadFile(filepath.Join(s.DataDir(), "bkt", "dir", "obj.bin")); err != nil || !bytes.Equal(onDisk, data) {
		t.Errorf("object on disk differs from upload (err %v)", err)
	}

	s.ResetStats()
	got, err := getRange(ctx, s.Client(), "bkt", "dir/obj.bin", "bytes=1000-1999")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data[1000:2000]) {
		t.Error("ranged GET returned wrong bytes")
	}
	st := s.Stats()
	if st.Requests["GET"] != 1 || st.Total() != 1 || st.BodyBytes != 1000 {
		t.Errorf("stats %+v, want 1 GET and 1000 body bytes", st)
	}
	s.ResetStats()
	if st := s.Stats(); st.Total() != 0 || st.BodyBytes != 0 {
		t.Errorf("after reset: %+v", st)
	}
}

func TestSignatureChecked(t *testing.T) {
	s := StartT(t, Options{})
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	putRandom(t, s, "bkt", "k", 10, nil)
	bad := s3.New(s3.Options{
		Region:       DefaultRegion,
		BaseEndpoint: aws.String(s.Endpoint()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(DefaultAccessKey, "wrong-secret", ""),
	})
	_, err := getRange(ctx, bad, "bkt", "k", "bytes=0-1")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: err %v, want SignatureDoesNotMatch", err)
	}
}

func TestFaults(t *testing.T) {
	s := StartT(t, Options{})
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	data := putRandom(t, s, "bkt", "k", 100_000, nil)
	putRandom(t, s, "bkt", "other", 10, nil)

	tests := []struct {
		kind    FaultKind
		wantErr string
	}{
		{SlowDown, "SlowDown"},
		{InternalError, "InternalError"},
		{Reset, "reset"},
		{ShortBody, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			s.InjectFaults(Fault{Kind: tt.kind, Method: "GET", Path: "/bkt/k", Times: 2})
			s.ResetStats()
			// A request that does not match is untouched.
			if _, err := getRange(ctx, s.Client(), "bkt", "other", "bytes=0-9"); err != nil {
				t.Fatalf("unmatched request failed: %v", err)
			}
			for i := range 2 {
				_, err := getRange(ctx, s.Client(), "bkt", "k", "bytes=0-99999")
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("faulted request %d: err %v, want one containing %q", i, err, tt.wantErr)
				}
			}
			got, err := getRange(ctx, s.Client(), "bkt", "k", "bytes=0-99999")
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("after the fault ran out: err %v, equal %v", err, bytes.Equal(got, data))
			}
			if st := s.Stats(); st.Requests["GET"] != 4 || st.Faults != 2 {
				t.Errorf("stats %+v, want 4 GETs and 2 faults", st)
			}
		})
	}
}

func TestThrottleAndLatency(t *testing.T) {
	const bps = 1 << 20
	s := StartT(t, Options{Latency: 100 * time.Millisecond, BytesPerSecond: bps})
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	data := putRandom(t, s, "bkt", "k", 256<<10, nil)
	start := time.Now()
	got, err := getRange(ctx, s.Client(), "bkt", "k", "bytes=0-262143")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("err %v, equal %v", err, bytes.Equal(got, data))
	}
	// 100 ms latency plus 256 KiB at 1 MiB/s is at least 350 ms.
	if d := time.Since(start); d < 340*time.Millisecond {
		t.Errorf("throttled GET took %v, want >= 350ms", d)
	}
}

func TestCloseKillsGateway(t *testing.T) {
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid, dir := s.cmd.Process.Pid, s.DataDir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("versitygw pid %d still exists after Close (kill 0: %v)", pid, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temp data dir %s not removed: %v", dir, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestEnv(t *testing.T) {
	s := StartT(t, Options{})
	env := strings.Join(s.Env(), "\n")
	for _, want := range []string{"AWS_ENDPOINT_URL_S3=" + s.Endpoint(), "AWS_ACCESS_KEY_ID=s3archivefs", "AWS_SECRET_ACCESS_KEY=s3archivefs-local", "AWS_REGION=us-east-1", "S3ARCHIVEFS_S3_PATH_STYLE=true"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
}

func TestMoreFaults(t *testing.T) {
	s := StartT(t, Options{})
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	data := putRandom(t, s, "bkt", "k", 100_000, nil)
	// A fresh connection per request: net/http silently retries a GET
	// whose reused connection dies before the response, which would hide
	// ResetBeforeHeaders.
	c := s3.New(s.Client().Options(), func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	})
	get := func(rng string) ([]byte, string, error) {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Range: aws.String(rng)}, noRetry)
		if err != nil {
			return nil, "", err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return b, aws.ToString(out.ContentRange), err
	}
	const stall = 300 * time.Millisecond
	for _, kind := range []FaultKind{ResetBeforeHeaders, ResetAfterHeaders} {
		t.Run(kind.String(), func(t *testing.T) {
			s.InjectFaults(Fault{Kind: kind, Method: "GET"})
			if _, _, err := get("bytes=0-99999"); err == nil {
				t.Fatal("faulted request succeeded")
			}
			if got, _, err := get("bytes=0-99999"); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("after the fault: err %v, equal %v", err, bytes.Equal(got, data))
			}
		})
	}
	for _, kind := range []FaultKind{StallHeaders, StallBody} {
		t.Run(kind.String(), func(t *testing.T) {
			s.InjectFaults(Fault{Kind: kind, Method: "GET", StallFor: stall})
			start := time.Now()
			got, _, err := get("bytes=0-99999")
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("stalled request: err %v, equal %v", err, bytes.Equal(got, data))
			}
			if d := time.Since(start); d < stall {
				t.Errorf("answered after %v, want a stall of at least %v", d, stall)
			}
		})
	}
	t.Run("ShortRange", func(t *testing.T) {
		s.InjectFaults(Fault{Kind: ShortRange, Method: "GET"})
		got, cr, err := get("bytes=1000-2999")
		if err != nil || cr != "bytes 1000-1999/100000" || !bytes.Equal(got, data[1000:2000]) {
			t.Fatalf("short range: err %v, Content-Range %q, %d bytes (equal %v)", err, cr, len(got), bytes.Equal(got, data[1000:2000]))
		}
	})
	t.Run("Random", func(t *testing.T) {
		s.ResetStats()
		s.SetRandomFaults(&RandomFaults{Rate: 0.5, Kinds: []FaultKind{SlowDown, ShortRange}, Seed: 1})
		defer s.SetRandomFaults(nil)
		for range 40 {
			get("bytes=0-99")
		}
		st := s.Stats()
		if st.Faults < 8 || st.Faults > 32 || st.ByKind[SlowDown]+st.ByKind[ShortRange] != st.Faults || st.Requests["GET"] != 40 {
			t.Errorf("stats %+v: want about 20 of 40 GETs faulted, split between the two kinds", st)
		}
	})
}

func TestRounds(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		spans [][2]int
		want  int
	}{
		{nil, 0},
		{[][2]int{{0, 10}}, 1},
		{[][2]int{{0, 10}, {1, 12}, {2, 9}}, 1},             // parallel
		{[][2]int{{0, 10}, {11, 20}, {21, 30}}, 3},          // a chain
		{[][2]int{{0, 10}, {0, 12}, {13, 20}, {13, 25}}, 2}, // two waves
		{[][2]int{{0, 10}, {5, 40}, {11, 20}, {21, 30}}, 3}, // a long one beside a chain
	}
	for _, tt := range tests {
		var st Stats
		for _, sp := range tt.spans {
			st.Spans = append(st.Spans, Span{Start: at(sp[0]), End: at(sp[1])})
		}
		if got := st.Rounds(); got != tt.want {
			t.Errorf("%v: %d rounds, want %d", tt.spans, got, tt.want)
		}
	}
}
