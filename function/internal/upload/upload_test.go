package upload

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestPartSize(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		size, want, got int64
		err             string
	}{
		{size: 0, want: 0, got: 5 * mib},
		{size: 100, want: 0, got: 5 * mib},
		{size: 5 * mib * MaxParts, want: 0, got: 5 * mib},
		{size: 5*mib*MaxParts + 1, want: 0, got: 6 * mib},
		{size: 1 << 40, want: 0, got: 105 * mib}, // 1 TiB / 10,000 = 104.86 MiB
		{size: 1 << 40, want: 512 * mib, got: 512 * mib},
		{size: 10, want: 8 * mib, got: 8 * mib},
		{size: 10, want: 5*mib - 1, err: "5 MiB"},
		{size: 10, want: 5<<30 + 1, err: "5 GiB"},
		{size: MaxPartSize*MaxParts + 1, want: 0, err: "too large"},
		{size: -1, want: 0, err: "negative"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.size, tt.want), func(t *testing.T) {
			got, err := PartSize(tt.size, tt.want)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("PartSize = %d, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.got {
				t.Fatalf("PartSize = %d, %v; want %d", got, err, tt.got)
			}
			if (tt.size+got-1)/got > MaxParts {
				t.Fatalf("%d parts", (tt.size+got-1)/got)
			}
		})
	}
}

func TestParseStorageClass(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"STANDARD", "STANDARD", ""},
		{"intelligent_tiering", "INTELLIGENT_TIERING", ""},
		{"GLACIER_IR", "GLACIER_IR", ""},
		{"INT", "INTELLIGENT_TIERING", ""}, // the reference implementation's short names
		{"GIR", "GLACIER_IR", ""},
		{"GLACIER", "", "restored"},
		{"DEEP_ARCHIVE", "", "restored"},
		{"STANDARD-IA", "", "not one of"},
		{"FAST", "", "not one of"},
	}
	for _, tt := range tests {
		got, err := ParseStorageClass(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseStorageClass(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("ParseStorageClass(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMultipartETag(t *testing.T) {
	// Two parts "a" and "b": md5(md5("a") || md5("b")), computed with
	// Python's hashlib.
	a, b := md5.Sum([]byte("a")), md5.Sum([]byte("b"))
	if got, want := MultipartETag([][md5.Size]byte{a, b}), `"96e024ba2074fe77e8e965ba43a704be-2"`; got != want {
		t.Fatalf("MultipartETag = %s, want %s", got, want)
	}
}

// fakeS3 is an in-memory multipart API for failure paths that a real
// server cannot be made to take on demand.
type fakeS3 struct {
	mu        sync.Mutex
	failPart  int32 // UploadPart of this part number fails
	failAbort bool
	cancel    context.CancelFunc // called when part cancelAt is uploaded
	cancelAt  int32
	onCreate  func()
	uploads   int // UploadPart calls
	parts     map[int32][]byte
	aborted   []error // the abort context's error at the call
	completed bool
}

func (f *fakeS3) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	if f.onCreate != nil {
		f.onCreate()
	}
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("upload-1")}, nil
}

func (f *fakeS3) UploadPart(ctx context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	n := aws.ToInt32(in.PartNumber)
	f.mu.Lock()
	f.uploads++
	f.mu.Unlock()
	if n == f.cancelAt && f.cancel != nil {
		f.cancel()
	}
	if n == f.failPart {
		return nil, errors.New("InternalError: injected")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.parts == nil {
		f.parts = map[int32][]byte{}
	}
	f.parts[n] = body
	sum := md5.Sum(body)
	return &s3.UploadPartOutput{ETag: aws.String(fmt.Sprintf(`"%x"`, sum))}, nil
}

func (f *fakeS3) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	f.completed = true
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func (f *fakeS3) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aborted = append(f.aborted, ctx.Err())
	if f.failAbort {
		return nil, errors.New("AccessDenied")
	}
	return &s3.AbortMultipartUploadOutput{}, nil
}

func (f *fakeS3) HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return nil, errors.New("no object in the fake")
}

func TestUploadAbortsOnFailure(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (3*MinPartSize+100)/16)
	tests := []struct {
		name      string
		fake      *fakeS3
		cancel    bool
		wantErr   []string
		wantAbort bool
	}{
		{name: "part fails", fake: &fakeS3{failPart: 3}, wantErr: []string{"part 3 of 4", "injected"}, wantAbort: true},
		{name: "abort fails too", fake: &fakeS3{failPart: 2, failAbort: true},
			wantErr: []string{"injected", "abort-multipart-upload --bucket b --key k --upload-id upload-1"}, wantAbort: true},
		{name: "cancelled", fake: &fakeS3{cancelAt: 2}, cancel: true, wantErr: []string{"context canceled"}, wantAbort: true},
		{name: "verify fails", fake: &fakeS3{}, wantErr: []string{"verify s3://b/k", "no object"}},
		{name: "cancelled while creating", fake: &fakeS3{}, cancel: true, wantErr: []string{"context canceled"}, wantAbort: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			switch {
			case tt.cancel && tt.fake.cancelAt == 0:
				tt.fake.onCreate = cancel
			case tt.cancel:
				tt.fake.cancel = cancel
			}
			_, err := Upload(ctx, tt.fake, "b", "k", bytes.NewReader(data), int64(len(data)), Options{Concurrency: 2})
			if err == nil {
				t.Fatal("Upload succeeded")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if got := len(tt.fake.aborted) == 1; got != tt.wantAbort {
				t.Fatalf("aborted %d times, want abort=%v", len(tt.fake.aborted), tt.wantAbort)
			}
			if tt.wantAbort {
				if tt.fake.completed {
					t.Error("completed an upload that failed")
				}
				if err := tt.fake.aborted[0]; err != nil {
					t.Errorf("abort ran with a dead context: %v", err)
				}
				if tt.fake.onCreate != nil && tt.fake.uploads != 0 {
					t.Errorf("%d parts uploaded after a cancel during create", tt.fake.uploads)
				}
			}
		})
	}
}

func TestUploadCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	created := false
	f := &fakeS3{onCreate: func() { created = true }}
	if _, err := Upload(ctx, f, "b", "k", bytes.NewReader([]byte("x")), 1, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload = %v, want context.Canceled", err)
	}
	if created || len(f.aborted) != 0 {
		t.Fatalf("created=%v aborted=%d: nothing should reach S3", created, len(f.aborted))
	}
}

func TestUploadPartsCoverFile(t *testing.T) {
	data := make([]byte, 2*MinPartSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	f := &fakeS3{}
	var calls []int64
	_, err := Upload(context.Background(), f, "b", "k", bytes.NewReader(data), int64(len(data)),
		Options{Concurrency: 3, Progress: func(done int64) { calls = append(calls, done) }})
	if err == nil || !strings.Contains(err.Error(), "verify") {
		t.Fatalf("want the fake's verify error, got %v", err)
	}
	var joined []byte
	for i := int32(1); i <= int32(len(f.parts)); i++ {
		joined = append(joined, f.parts[i]...)
	}
	if len(f.parts) != 3 || !bytes.Equal(joined, data) {
		t.Fatalf("%d parts joined to %d bytes; want 3 parts equal to the input", len(f.parts), len(joined))
	}
	if len(calls) != 3 || calls[2] != int64(len(data)) {
		t.Fatalf("progress calls %v, want 3 ending at %d", calls, len(data))
	}
}
