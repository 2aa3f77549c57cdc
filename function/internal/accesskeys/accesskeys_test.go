package accesskeys

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

const doc = `{"keys": [
  {"access_key_id": "AKIAEXAMPLE1", "secret_access_key": "s3cr3t-one", "allow_prefixes": ["datasets/", "public/"]},
  {"access_key_id": "AKIAEXAMPLE2", "secret_access_key": "s3cr3t-two", "allow_prefixes": [""]}
]}`

func TestParse(t *testing.T) {
	keys, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys["AKIAEXAMPLE1"].SecretAccessKey != "s3cr3t-one" || len(keys["AKIAEXAMPLE1"].AllowPrefixes) != 2 {
		t.Fatalf("%+v", keys)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"not JSON", `{"keys": [{"access_key_id": "A", "secret_access_key": "s3cr3t\q"}]}`, "invalid JSON at byte"},
		{"truncated", `{"keys": [{"access_key_id": "A", "secret_access_key": "s3cr3t`, "incomplete"},
		{"empty", ``, "incomplete"},
		{"no keys", `{"keys": []}`, "no keys"},
		{"other shape", `{"AKIA": "s3cr3t"}`, `unknown field "AKIA"`},
		{"unknown field", `{"keys": [{"access_key_id": "A", "secret": "s3cr3t", "allow_prefixes": [""]}]}`, `unknown field "secret"`},
		{"wrong type", `{"keys": [{"access_key_id": "A", "secret_access_key": "s3cr3t", "allow_prefixes": "datasets/"}]}`, "keys.allow_prefixes must be []string"},
		{"trailing data", doc + `{}`, "after its JSON"},
		{"empty id", `{"keys": [{"access_key_id": "", "secret_access_key": "s3cr3t", "allow_prefixes": [""]}]}`, "keys[0]: access_key_id is empty"},
		{"id with slash", `{"keys": [{"access_key_id": "A/B", "secret_access_key": "s3cr3t", "allow_prefixes": [""]}]}`, "may not contain"},
		{"empty secret", `{"keys": [{"access_key_id": "A", "secret_access_key": "", "allow_prefixes": [""]}]}`, "keys[0] (A): secret_access_key is empty"},
		{"no prefixes", `{"keys": [{"access_key_id": "A", "secret_access_key": "s3cr3t", "allow_prefixes": []}]}`, "allow_prefixes is empty"},
		{"missing prefixes", `{"keys": [{"access_key_id": "A", "secret_access_key": "s3cr3t"}]}`, "allow_prefixes is empty"},
		{"duplicate", `{"keys": [{"access_key_id": "A", "secret_access_key": "s3cr3t", "allow_prefixes": [""]}, {"access_key_id": "A", "secret_access_key": "s3cr3t2", "allow_prefixes": [""]}]}`, "keys[1]: access_key_id A appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), `'q'`) {
				t.Fatalf("error reveals the secret: %v", err)
			}
		})
	}
	if _, err := Parse(bytes.Repeat([]byte(" "), maxDocument+1)); err == nil {
		t.Fatal("oversized document accepted")
	}
}

func TestMayRead(t *testing.T) {
	s := openFile(t, doc, nil)
	for _, tc := range []struct {
		id, key string
		want    bool
	}{
		{"AKIAEXAMPLE1", "datasets/linux/README", true},
		{"AKIAEXAMPLE1", "datasets/", true},
		{"AKIAEXAMPLE1", "public/x", true},
		{"AKIAEXAMPLE1", "datasets", false}, // a listing of "datasets" would show "datasets-private/"
		{"AKIAEXAMPLE1", "", false},
		{"AKIAEXAMPLE1", "private/x", false},
		{"AKIAEXAMPLE1", "Datasets/x", false},
		{"AKIAEXAMPLE2", "", true},
		{"AKIAEXAMPLE2", "anything/at/all", true},
		{"AKIAUNKNOWN", "datasets/x", false},
	} {
		if got := s.MayRead(tc.id, tc.key); got != tc.want {
			t.Errorf("MayRead(%s, %q) = %v", tc.id, tc.key, got)
		}
	}
	if sec, ok := s.SecretKey("AKIAEXAMPLE2"); !ok || sec != "s3cr3t-two" {
		t.Errorf("SecretKey: %q %v", sec, ok)
	}
	if _, ok := s.SecretKey("AKIAUNKNOWN"); ok {
		t.Error("unknown key found")
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openFile(t *testing.T, content string, c *clock) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{Interval: time.Minute}
	if c != nil {
		o.Now = c.now
	}
	s, err := Open(context.Background(), File(path), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRefresh rotates a key in the file and checks it takes effect once
// the interval has passed, and that a broken file keeps the old keys.
func TestRefresh(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	path := filepath.Join(t.TempDir(), "keys.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(doc)
	s, err := Open(context.Background(), File(path), Options{Interval: time.Minute, Now: c.now,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	secret := func(id string) string {
		s.Refresh(context.Background())
		v, _ := s.SecretKey(id)
		return v
	}
	write(strings.ReplaceAll(doc, "s3cr3t-one", "s3cr3t-rotated"))
	c.add(59 * time.Second)
	if got := secret("AKIAEXAMPLE1"); got != "s3cr3t-one" {
		t.Fatalf("refreshed before the interval: %q", got)
	}
	c.add(time.Second)
	if got := secret("AKIAEXAMPLE1"); got != "s3cr3t-rotated" {
		t.Fatalf("not refreshed after the interval: %q", got)
	}
	write(`{"keys": [`)
	c.add(time.Minute)
	if got := secret("AKIAEXAMPLE1"); got != "s3cr3t-rotated" {
		t.Fatalf("a broken document replaced the keys: %q", got)
	}
	if !strings.Contains(logs.String(), "access keys not refreshed") {
		t.Fatalf("failed refresh not logged: %s", logs.String())
	}
	write(`{"keys": [{"access_key_id": "AKIANEW", "secret_access_key": "s3cr3t-new", "allow_prefixes": ["x/"]}]}`)
	c.add(30 * time.Second) // the failed attempt counts: no retry before its interval
	if _, ok := s.SecretKey("AKIANEW"); ok {
		t.Fatal("retried before the interval")
	}
	c.add(30 * time.Second)
	if got := secret("AKIANEW"); got != "s3cr3t-new" {
		t.Fatalf("new key: %q", got)
	}
	if _, ok := s.SecretKey("AKIAEXAMPLE1"); ok {
		t.Fatal("removed key still valid")
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Fatalf("a secret reached the log: %s", logs.String())
	}
}

func TestOpenFails(t *testing.T) {
	if _, err := Open(context.Background(), File(filepath.Join(t.TempDir(), "missing.json")), Options{Interval: time.Minute}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	os.WriteFile(path, []byte(doc), 0o600)
	if _, err := Open(context.Background(), File(path), Options{}); err == nil {
		t.Fatal("zero interval accepted")
	}
}

// fakeSecrets stands in for Secrets Manager.
type fakeSecrets struct {
	value *string
	err   error
	calls int
	arn   string
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	f.arn = aws.ToString(in.SecretId)
	if f.err != nil {
		return nil, f.err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: f.value}, nil
}

func TestSecret(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:s3archivefs-keys-AbCdEf"
	f := &fakeSecrets{value: aws.String(doc)}
	c := &clock{t: time.Now()}
	s, err := Open(context.Background(), Secret{Client: f, ARN: arn}, Options{Interval: 5 * time.Minute, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if f.arn != arn || f.calls != 1 {
		t.Fatalf("asked for %q, %d calls", f.arn, f.calls)
	}
	for range 10 {
		s.Refresh(context.Background())
	}
	if f.calls != 1 {
		t.Fatalf("%d calls within the interval", f.calls)
	}
	c.add(5 * time.Minute)
	f.err = errors.New("AccessDeniedException: not authorized")
	s.Refresh(context.Background())
	if f.calls != 2 || !s.MayRead("AKIAEXAMPLE1", "public/a") {
		t.Fatalf("failed refresh: %d calls", f.calls)
	}
	if _, err := Open(context.Background(), Secret{Client: &fakeSecrets{}, ARN: arn}, Options{Interval: time.Minute}); err == nil || !strings.Contains(err.Error(), "SecretString") {
		t.Fatalf("binary secret: %v", err)
	}
	if _, err := Open(context.Background(), Secret{Client: &fakeSecrets{err: errors.New("ResourceNotFoundException")}, ARN: arn}, Options{Interval: time.Minute}); err == nil || !strings.Contains(err.Error(), arn) {
		t.Fatalf("missing secret: %v", err)
	}
}

// FuzzParse: any document is keys or a clean error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(doc))
	f.Add([]byte(`{"keys": [{"access_key_id": "A", "secret_access_key": "\u00zz", "allow_prefixes": [""]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := Parse(data)
		if err == nil && len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
	})
}
