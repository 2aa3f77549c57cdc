package s3src

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/function/internal/reqstats"
	"github.com/s3archivefs/s3archivefs/test/s3test"
)

const bucket = "bkt"

func fastRetry() Option { return WithRetry(5, time.Millisecond, 5*time.Millisecond) }

func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// setup starts a server with bucket and uploads data as key.
func setup(t *testing.T, key string, data []byte, meta map[string]string) *s3test.Server {
	t.Helper()
	s := s3test.StartT(t, s3test.Options{})
	if err := s.CreateBucket(t.Context(), bucket); err != nil {
		t.Fatal(err)
	}
	put(t, s, key, data, meta)
	s.ResetStats()
	return s
}

func put(t *testing.T, s *s3test.Server, key string, data []byte, meta map[string]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFile(t.Context(), bucket, key, path, meta); err != nil {
		t.Fatal(err)
	}
}

// quietStats returns the server's counts once no request is in flight
// (within 2 s): the client can read a body's last bytes before the proxy
// has counted them and ended the request, whose late bytes would land in
// the counts of whatever follows.
func quietStats(s *s3test.Server) s3test.Stats {
	st := s.Stats()
	for deadline := time.Now().Add(2 * time.Second); st.Active > 0 && time.Now().Before(deadline); st = s.Stats() {
		time.Sleep(time.Millisecond)
	}
	return st
}

func counted() (context.Context, *reqstats.Counters) {
	c := new(reqstats.Counters)
	return reqstats.With(context.Background(), c), c
}

func readRange(ctx context.Context, o *Reader, off, n int64, etag string) ([]byte, error) {
	rc, err := o.ReadRange(ctx, off, n, etag)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestReadRangeExact(t *testing.T) {
	data := randomBytes(1<<20+17, 1)
	s := setup(t, "a/obj", data, nil)
	o := New(s.Client(), bucket, "a/obj", fastRetry())
	size := int64(len(data))
	tests := []struct {
		name   string
		off, n int64
	}{
		{"first byte", 0, 1},
		{"whole", 0, size},
		{"last byte", size - 1, 1},
		{"middle", 12345, 65536},
		{"tail", size - 4096, 4096},
		{"empty", 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ResetStats()
			ctx, c := counted()
			got, err := readRange(ctx, o, tt.off, tt.n, "")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data[tt.off:tt.off+tt.n]) {
				t.Fatalf("got %d bytes, not the object's [%d, %d)", len(got), tt.off, tt.off+tt.n)
			}
			wantReq := int64(1)
			if tt.n == 0 {
				wantReq = 0
			}
			if c.S3Requests.Load() != wantReq || c.S3BytesIn.Load() != tt.n {
				t.Errorf("reqstats: %d requests, %d bytes; want %d, %d", c.S3Requests.Load(), c.S3BytesIn.Load(), wantReq, tt.n)
			}
			if st := quietStats(s); st.Total() != wantReq || st.BodyBytes != tt.n {
				t.Errorf("server saw %+v, want %d requests, %d bytes", st, wantReq, tt.n)
			}
		})
	}
}

func TestReadRangeInvalid(t *testing.T) {
	data := randomBytes(1000, 2)
	s := setup(t, "obj", data, nil)
	o := New(s.Client(), bucket, "obj", fastRetry())
	tests := []struct {
		name     string
		off, n   int64
		requests int64
	}{
		{"past the end", 990, 20, 1},
		{"at the end", 1000, 1, 1},
		{"negative offset", -1, 5, 0},
		{"negative length", 0, -5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, c := counted()
			_, err := readRange(ctx, o, tt.off, tt.n, "")
			if !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("err %v, want ErrInvalidRange", err)
			}
			if c.S3Requests.Load() != tt.requests {
				t.Errorf("%d requests, want %d (no retry)", c.S3Requests.Load(), tt.requests)
			}
		})
	}
}

func superblock(magic bool) []byte {
	sb := randomBytes(96, 3)
	if magic {
		copy(sb, "hsqs")
	}
	return sb
}

func TestHeadMetadata(t *testing.T) {
	valid := superblock(true)
	tests := []struct {
		name string
		meta map[string]string
		want []byte
	}{
		{"valid superblock", map[string]string{SuperblockMetadata: base64.StdEncoding.EncodeToString(valid)}, valid},
		{"no metadata", nil, nil},
		{"not base64", map[string]string{SuperblockMetadata: "%%%"}, nil},
		{"wrong length", map[string]string{SuperblockMetadata: base64.StdEncoding.EncodeToString(valid[:95])}, nil},
		{"wrong magic", map[string]string{SuperblockMetadata: base64.StdEncoding.EncodeToString(superblock(false))}, nil},
	}
	data := randomBytes(5000, 4)
	s := setup(t, "seed", data, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "obj" + string(rune('a'+i))
			put(t, s, key, data, tt.meta)
			ctx, c := counted()
			info, err := New(s.Client(), bucket, key).Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != int64(len(data)) || !strings.HasPrefix(info.ETag, `"`) || info.LastModified.IsZero() {
				t.Errorf("info %+v: want size %d, a quoted ETag, a modification time", info, len(data))
			}
			if !bytes.Equal(info.Superblock, tt.want) {
				t.Errorf("superblock %x, want %x", info.Superblock, tt.want)
			}
			if c.S3Requests.Load() != 1 {
				t.Errorf("%d requests, want 1", c.S3Requests.Load())
			}
		})
	}
}

func TestGetRangeAndSuffix(t *testing.T) {
	data := randomBytes(100_000, 5)
	sb := superblock(true)
	s := setup(t, "obj", data, map[string]string{SuperblockMetadata: base64.StdEncoding.EncodeToString(sb)})
	o := New(s.Client(), bucket, "obj", fastRetry())
	head, err := o.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, info Info) {
		t.Helper()
		if info.Size != int64(len(data)) || info.ETag != head.ETag || !bytes.Equal(info.Superblock, sb) {
			t.Errorf("info size %d etag %s superblock %x; want %d %s %x", info.Size, info.ETag, info.Superblock, len(data), head.ETag, sb)
		}
	}
	t.Run("GetRange", func(t *testing.T) {
		for _, tc := range []struct{ off, n, want int64 }{{0, 96, 96}, {99_990, 96, 10}, {500, 1, 1}} {
			ctx, c := counted()
			got, info, err := o.GetRange(ctx, tc.off, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data[tc.off:tc.off+tc.want]) {
				t.Errorf("GetRange(%d, %d): wrong bytes (%d)", tc.off, tc.n, len(got))
			}
			check(t, info)
			if c.S3Requests.Load() != 1 || c.S3BytesIn.Load() != tc.want {
				t.Errorf("reqstats %d requests %d bytes", c.S3Requests.Load(), c.S3BytesIn.Load())
			}
		}
		if _, _, err := o.GetRange(t.Context(), 100_000, 1); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("GetRange at the end: %v, want ErrInvalidRange", err)
		}
		if _, _, err := o.GetRange(t.Context(), 0, MaxSmallRead+1); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("GetRange too big: %v, want ErrInvalidRange", err)
		}
	})
	t.Run("GetSuffix", func(t *testing.T) {
		for _, tc := range []struct{ n, start int64 }{{4096, 100_000 - 4096}, {100_000, 0}, {1 << 20, 0}} {
			ctx, c := counted()
			got, start, info, err := o.GetSuffix(ctx, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if start != tc.start || !bytes.Equal(got, data[tc.start:]) {
				t.Errorf("GetSuffix(%d): start %d (want %d), %d bytes", tc.n, start, tc.start, len(got))
			}
			check(t, info)
			if c.S3Requests.Load() != 1 {
				t.Errorf("%d requests, want 1", c.S3Requests.Load())
			}
		}
	})
}

func TestRetries(t *testing.T) {
	data := randomBytes(200_000, 6)
	s := setup(t, "obj", data, nil)
	// Stalls last 2 s; the watchdog gives up on an attempt after 400 ms, which
	// leaves an unfaulted attempt room on a loaded machine (100 ms did not).
	o := New(s.Client(), bucket, "obj", fastRetry(), WithStallTimeout(400*time.Millisecond))
	ops := map[string]func(ctx context.Context) error{
		"ReadRange": func(ctx context.Context) error {
			got, err := readRange(ctx, o, 1000, 150_000, "")
			if err == nil && !bytes.Equal(got, data[1000:151_000]) {
				return errors.New("wrong bytes")
			}
			return err
		},
		"GetRange": func(ctx context.Context) error {
			got, _, err := o.GetRange(ctx, 0, 96)
			if err == nil && !bytes.Equal(got, data[:96]) {
				return errors.New("wrong bytes")
			}
			return err
		},
		"GetSuffix": func(ctx context.Context) error {
			got, _, _, err := o.GetSuffix(ctx, 50_000)
			if err == nil && !bytes.Equal(got, data[150_000:]) {
				return errors.New("wrong bytes")
			}
			return err
		},
		"Head": func(ctx context.Context) error {
			_, err := o.Head(ctx)
			return err
		},
	}
	kinds := []s3test.FaultKind{s3test.SlowDown, s3test.InternalError, s3test.Reset, s3test.ShortBody,
		s3test.ResetAfterHeaders, s3test.StallHeaders, s3test.StallBody, s3test.ShortRange}
	for name, op := range ops {
		method := "GET"
		if name == "Head" {
			method = "HEAD"
		}
		for _, kind := range kinds {
			// A HEAD has no body to cut short, stall or shorten, and a
			// reset before any response is retried inside net/http on a
			// reused connection, out of our count (ResetBeforeHeaders is
			// left out for the same reason).
			if name == "Head" && kind != s3test.SlowDown && kind != s3test.InternalError && kind != s3test.StallHeaders {
				continue
			}
			for _, tc := range []struct {
				faults   int
				wantOK   bool
				requests int64
			}{{2, true, 3}, {5, false, 5}} {
				t.Run(name+"/"+kind.String()+"/"+map[bool]string{true: "recovers", false: "gives up"}[tc.wantOK], func(t *testing.T) {
					s.ResetStats()
					s.InjectFaults(s3test.Fault{Kind: kind, Method: method, Times: tc.faults, StallFor: 2 * time.Second})
					ctx, c := counted()
					err := op(ctx)
					if tc.wantOK && err != nil {
						t.Fatalf("after %d faults: %v", tc.faults, err)
					}
					if !tc.wantOK && err == nil {
						t.Fatal("succeeded although every attempt was faulted")
					}
					if got := c.S3Requests.Load(); got != tc.requests {
						t.Errorf("reqstats: %d requests, want %d", got, tc.requests)
					}
					if got := s.Stats().Requests[method]; got != tc.requests {
						t.Errorf("server saw %d %s requests, want %d", got, method, tc.requests)
					}
					// Any leftover fault would leak into the next case.
					s.InjectFaults()
				})
			}
		}
	}
}

func TestResumeCountsAsRetry(t *testing.T) {
	data := randomBytes(300_000, 7)
	s := setup(t, "obj", data, nil)
	o := New(s.Client(), bucket, "obj", fastRetry())
	// Each broken body delivers half of what it was asked for, so the
	// range is resumed at 150000, 225000, ...
	s.InjectFaults(s3test.Fault{Kind: s3test.ShortBody, Method: "GET", Times: 2})
	ctx, c := counted()
	got, err := readRange(ctx, o, 0, 300_000, "")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("err %v, equal %v", err, bytes.Equal(got, data))
	}
	if c.S3Requests.Load() != 3 {
		t.Errorf("%d requests, want 3 (two resumed)", c.S3Requests.Load())
	}
	// Bytes in counts what was received: 150000 + 75000 + 75000.
	if c.S3BytesIn.Load() != 300_000 {
		t.Errorf("%d bytes in, want 300000", c.S3BytesIn.Load())
	}
	// The proxy counts a body's last bytes after it has written them, so
	// its count may trail the client's by a moment.
	st := s.Stats()
	for deadline := time.Now().Add(2 * time.Second); st.BodyBytes < 300_000 && time.Now().Before(deadline); st = s.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	if st.BodyBytes != 300_000 {
		t.Errorf("server sent %d body bytes, want 300000", st.BodyBytes)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	s := setup(t, "obj", randomBytes(100, 8), nil)
	bad := s3.New(s3.Options{
		Region:       s3test.DefaultRegion,
		BaseEndpoint: aws.String(s.Endpoint()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s3test.DefaultAccessKey, "not-the-secret", ""),
	})
	tests := []struct {
		name string
		obj  *Reader
		want error
		code string
	}{
		{"missing key", New(s.Client(), bucket, "nope", fastRetry()), ErrNotFound, "NoSuchKey"},
		{"missing bucket", New(s.Client(), "nobucket", "obj", fastRetry()), ErrNotFound, "NoSuchBucket"},
		{"bad signature", New(bad, bucket, "obj", fastRetry()), ErrAccessDenied, "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ResetStats()
			ctx, c := counted()
			_, err := readRange(ctx, tt.obj, 0, 10, "")
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadRange: %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code || e.RequestID == "" || !strings.Contains(err.Error(), tt.code) {
				t.Errorf("error %q: want code %s and a request id in it", err, tt.code)
			}
			_, err = tt.obj.Head(ctx)
			if !errors.Is(err, tt.want) {
				t.Errorf("Head: %v, want %v", err, tt.want)
			}
			if c.S3Requests.Load() != 2 || s.Stats().Total() != 2 {
				t.Errorf("%d requests (server %d), want 2: one each, no retries", c.S3Requests.Load(), s.Stats().Total())
			}
		})
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	s := setup(t, "obj", randomBytes(100, 9), nil)
	o := New(s.Client(), bucket, "obj", WithRetry(5, 10*time.Second, 10*time.Second))
	s.InjectFaults(s3test.Fault{Kind: s3test.SlowDown, Times: 5})
	c := new(reqstats.Counters)
	ctx, cancel := context.WithCancel(reqstats.With(context.Background(), c))
	// The first attempt fails; cancel while backing off, as soon as S3
	// has answered it. The backoff is a random wait of up to 10 s: a
	// cancel at a fixed 100 ms came after it 1% of the time.
	go func() {
		for st := s.Stats(); st.Total() == 0 || st.Active > 0; st = s.Stats() {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	_, err := readRange(ctx, o, 0, 10, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned %v after start, want promptly after the cancel", d)
	}
	if c.S3Requests.Load() != 1 {
		t.Errorf("%d requests, want 1", c.S3Requests.Load())
	}
}

func TestETagPinning(t *testing.T) {
	v1 := randomBytes(100_000, 10)
	s := setup(t, "obj", v1, nil)
	o := New(s.Client(), bucket, "obj", fastRetry())
	info, err := o.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, err := readRange(t.Context(), o, 10, 100, info.ETag)
	if err != nil || !bytes.Equal(got, v1[10:110]) {
		t.Fatalf("pinned read of the current object: %v", err)
	}

	// A reader whose first body breaks off; the object is replaced before
	// the rest is fetched: the resumed GET must not mix in new bytes.
	s.InjectFaults(s3test.Fault{Kind: s3test.ShortBody, Method: "GET"})
	rc, err := o.ReadRange(t.Context(), 0, 100_000, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	put(t, s, "obj", randomBytes(100_000, 11), nil)

	ctx, c := counted()
	_, err = readRange(ctx, o, 10, 100, info.ETag)
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("pinned read of a replaced object: %v, want ErrChanged", err)
	}
	if c.S3Requests.Load() != 1 {
		t.Errorf("%d requests, want 1 (no retry on 412)", c.S3Requests.Load())
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, ErrChanged) {
		t.Errorf("resumed read across a replacement: %v, want ErrChanged", err)
	}
}

func TestNewClient(t *testing.T) {
	s := setup(t, "obj", randomBytes(10, 12), nil)
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	// S3ARCHIVEFS_S3_PATH_STYLE is read by config.PathStyle, never here.
	t.Setenv("S3ARCHIVEFS_S3_PATH_STYLE", "false")
	for _, pathStyle := range []bool{true, false} {
		c, err := NewClientPathStyle(t.Context(), pathStyle)
		if err != nil {
			t.Fatal(err)
		}
		if c.Options().UsePathStyle != pathStyle {
			t.Errorf("NewClientPathStyle(%v): path style %v", pathStyle, c.Options().UsePathStyle)
		}
		tc := struct{ pathStyle bool }{pathStyle}
		if tc.pathStyle {
			if _, err := New(c, bucket, "obj").Head(t.Context()); err != nil {
				t.Errorf("HEAD through NewClient: %v", err)
			}
		}
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	os.Unsetenv("AWS_ENDPOINT_URL_S3")
	t.Setenv("S3ARCHIVEFS_S3_PATH_STYLE", "")
	c, err := NewClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c.Options().UsePathStyle {
		t.Error("path style without an endpoint override")
	}
}

// A short but self-consistent 206 is not fatal: its bytes are kept and the
// rest is fetched by the next attempt.
func TestShortRangeResumed(t *testing.T) {
	data := randomBytes(300_000, 13)
	s := setup(t, "obj", data, nil)
	o := New(s.Client(), bucket, "obj", fastRetry())
	s.InjectFaults(s3test.Fault{Kind: s3test.ShortRange, Method: "GET"})
	ctx, c := counted()
	got, err := readRange(ctx, o, 1000, 200_000, "")
	if err != nil || !bytes.Equal(got, data[1000:201_000]) {
		t.Fatalf("err %v, equal %v", err, bytes.Equal(got, data[1000:201_000]))
	}
	if c.S3Requests.Load() != 2 || c.S3BytesIn.Load() != 200_000 {
		t.Errorf("%d requests, %d bytes in; want 2 requests (the rest resumed) and exactly 200000 bytes", c.S3Requests.Load(), c.S3BytesIn.Load())
	}
}

// The watchdog times S3, not the reader: a consumer that pauses longer
// than the stall timeout between reads does not cause a retry.
func TestSlowConsumerIsNoStall(t *testing.T) {
	data := randomBytes(300_000, 14)
	s := setup(t, "obj", data, nil)
	o := New(s.Client(), bucket, "obj", fastRetry(), WithStallTimeout(400*time.Millisecond))
	ctx, c := counted()
	rc, err := o.ReadRange(ctx, 0, int64(len(data)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := rc.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !bytes.Equal(got, data) || c.S3Requests.Load() != 1 {
		t.Errorf("equal %v, %d requests; want the bytes in 1 request", bytes.Equal(got, data), c.S3Requests.Load())
	}
}
