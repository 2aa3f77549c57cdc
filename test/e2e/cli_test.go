package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// awsCLI is the AWS CLI v2; the first `aws` on PATH may be a v1 shim.
const awsCLI = "/usr/bin/aws"

// cliResult is one run of the CLI.
type cliResult struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d, stderr: %s", r.code, strings.TrimSpace(r.stderr))
}

// aws runs the CLI against the endpoint, with no configuration but the
// stack's environment.
func (s *stack) aws(t *testing.T, args ...string) cliResult {
	t.Helper()
	ctx := ctxTimeout(t, 3*time.Minute)
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", s.url}, args...)...)
	cmd.Env = s.cliEnv
	cmd.Dir = s.tmp
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// awsOK runs the CLI and fails the test unless it succeeds.
func (s *stack) awsOK(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := s.aws(t, args...)
	if r.code != 0 {
		t.Fatalf("aws %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// awsJSON runs the CLI and decodes its JSON output into v.
func (s *stack) awsJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	r := s.awsOK(t, args...)
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("aws %s: output is not JSON (%v): %q", strings.Join(args, " "), err, r.stdout)
	}
}

// awsFails runs the CLI and checks that it fails with exit code (254 for
// an error answer from the service) and an error text with every part of want.
func (s *stack) awsFails(t *testing.T, code int, want []string, args ...string) {
	t.Helper()
	r := s.aws(t, args...)
	if r.code != code {
		t.Errorf("aws %s: %v; want exit %d", strings.Join(args, " "), r, code)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("aws %s: stderr %q does not contain %q", strings.Join(args, " "), r.stderr, w)
		}
	}
}

// cliObject is what s3api get-object and head-object print.
type cliObject struct {
	ContentLength int64
	ContentRange  string
	ETag          string
	LastModified  string
	AcceptRanges  string
	Metadata      map[string]string
}

type cliList struct {
	Contents []struct {
		Key          string
		Size         int64
		ETag         string
		LastModified string
	}
	CommonPrefixes []struct{ Prefix string }
	NextToken      string
}

// readFile reads a file the CLI wrote.
func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *stack) testCLI(t *testing.T) {
	skipWithoutCLI(t)
	out := t.TempDir()
	etags := map[string]string{} // key → ETag from get-object, checked by head-object
	objKeys := []string{"README.md", "empty", "one-byte", "order/a/b", "names/with space.txt",
		"names/per%cent+plus#hash?q&x=1", "names/ünïcødé-ファイル.txt", "names/semi;colon,comma@at$dollar!bang'quote",
		"links/chain", "links/hard", "media/exact-blocks", "media/random.bin"}

	s.sub(t, "aws-cli", "s3api/get-object/whole", func(t *testing.T) {
		for i, k := range objKeys {
			key := prefix + k
			p := filepath.Join(out, "whole-"+strconv.Itoa(i))
			var o cliObject
			s.awsJSON(t, &o, "s3api", "get-object", "--bucket", bucket, "--key", key, p)
			want := s.tree.content(t, key)
			if got := readFile(t, p); !bytes.Equal(got, want) {
				t.Errorf("%s: %d bytes differ from the source's %d", key, len(got), len(want))
			}
			if o.ContentLength != int64(len(want)) || o.ContentRange != "" || !quoted(o.ETag) {
				t.Errorf("%s: ContentLength %d ContentRange %q ETag %q; want %d, none, a quoted ETag", key, o.ContentLength, o.ContentRange, o.ETag, len(want))
			}
			etags[key] = o.ETag
		}
	})

	s.sub(t, "aws-cli", "s3api/get-object/range", func(t *testing.T) {
		small, big := prefix+"media/random.bin", bigKey
		smallSize, bigSize := s.tree.Objects[small].Size, s.tree.Objects[big].Size
		for i, c := range []struct {
			key        string
			rng        string
			start, end int64 // inclusive
		}{
			{small, "bytes=0-0", 0, 0},
			{small, "bytes=100-299", 100, 299},
			{small, "bytes=131000-400000", 131000, 400000}, // spans three 128 KiB blocks
			{small, "bytes=-500", smallSize - 500, smallSize - 1},
			{small, "bytes=2999000-", 2999000, smallSize - 1},
			{small, "bytes=2999990-3999999", 2999990, smallSize - 1}, // clipped at the end
			{big, "bytes=50000000-50300000", 50000000, 50300000},
			{big, fmt.Sprintf("bytes=%d-", bigSize-70000), bigSize - 70000, bigSize - 1},
		} {
			p := filepath.Join(out, "range-"+strconv.Itoa(i))
			var o cliObject
			s.awsJSON(t, &o, "s3api", "get-object", "--bucket", bucket, "--key", c.key, "--range", c.rng, p)
			size := s.tree.Objects[c.key].Size
			wantRange := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, size)
			if o.ContentRange != wantRange || o.ContentLength != c.end-c.start+1 {
				t.Errorf("%s %s: Content-Range %q Content-Length %d; want %q %d", c.key, c.rng, o.ContentRange, o.ContentLength, wantRange, c.end-c.start+1)
			}
			want := readAt(t, s.tree.Objects[c.key].Path, c.start, c.end-c.start+1)
			if got := readFile(t, p); !bytes.Equal(got, want) {
				t.Errorf("%s %s: the %d bytes differ from the source's", c.key, c.rng, len(got))
			}
		}
	})

	s.sub(t, "aws-cli", "s3api/get-object/conditional", func(t *testing.T) {
		key := prefix + "README.md"
		var h cliObject
		s.awsJSON(t, &h, "s3api", "head-object", "--bucket", bucket, "--key", key)
		p := filepath.Join(out, "cond")
		// The CLI reports S3's 304 as an error with the bare status.
		s.awsFails(t, 254, []string{"(304)", "GetObject"}, "s3api", "get-object", "--bucket", bucket, "--key", key, "--if-none-match", h.ETag, p)
		s.awsFails(t, 254, []string{"(304)"}, "s3api", "get-object", "--bucket", bucket, "--key", key, "--if-modified-since", h.LastModified, p)
		// A date in the future is no valid If-Modified-Since: S3 ignores
		// it and answers 200 (RFC 9110 §13.1.3).
		s.awsJSON(t, &h, "s3api", "get-object", "--bucket", bucket, "--key", key, "--if-modified-since", "2100-01-01T00:00:00Z", p)
		s.awsFails(t, 254, []string{"(PreconditionFailed)"}, "s3api", "get-object", "--bucket", bucket, "--key", key, "--if-match", `"0123456789abcdef"`, p)
		var o cliObject
		s.awsJSON(t, &o, "s3api", "get-object", "--bucket", bucket, "--key", key, "--if-none-match", `"0123456789abcdef"`, p)
		if !bytes.Equal(readFile(t, p), s.tree.content(t, key)) {
			t.Error("get-object --if-none-match <other ETag>: bytes differ")
		}
		s.awsJSON(t, &o, "s3api", "get-object", "--bucket", bucket, "--key", key, "--if-match", h.ETag, p)
		if o.ContentLength != s.tree.Objects[key].Size {
			t.Errorf("get-object --if-match <ETag>: ContentLength %d", o.ContentLength)
		}
	})

	s.sub(t, "aws-cli", "s3api/head-object", func(t *testing.T) {
		for _, k := range objKeys {
			key := prefix + k
			var h cliObject
			s.awsJSON(t, &h, "s3api", "head-object", "--bucket", bucket, "--key", key)
			o := s.tree.Objects[key]
			if h.ContentLength != o.Size {
				t.Errorf("%s: ContentLength %d, want %d", key, h.ContentLength, o.Size)
			}
			if want, ok := etags[key]; ok && h.ETag != want {
				t.Errorf("%s: ETag %s, get-object said %s", key, h.ETag, want)
			}
			if lm, err := time.Parse(time.RFC3339, h.LastModified); err != nil || !lm.Equal(o.ModTime.Truncate(time.Second)) {
				t.Errorf("%s: LastModified %q, want %v (the file's mtime)", key, h.LastModified, o.ModTime.UTC())
			}
			want := map[string]string{
				"mode":  strconv.FormatUint(uint64(0o100000|o.Mode), 10),
				"uid":   strconv.FormatUint(uint64(o.UID), 10),
				"gid":   strconv.FormatUint(uint64(o.GID), 10),
				"mtime": strconv.FormatInt(o.ModTime.Unix(), 10),
			}
			// S3 sends metadata names in lower case; the local endpoint
			// sends Go's canonical case (X-Amz-Meta-Mode), which botocore
			// keeps. Names are compared case-insensitively.
			if !maps.Equal(lowerKeys(h.Metadata), want) {
				t.Errorf("%s: Metadata %v, want %v", key, h.Metadata, want)
			}
		}
		s.awsFails(t, 254, []string{"(404)", "HeadObject"}, "s3api", "head-object", "--bucket", bucket, "--key", prefix+"no/such/file")
	})

	s.sub(t, "aws-cli", "s3api/list-objects-v2/paginated", func(t *testing.T) {
		var keys []string
		token, calls := "", 0
		for {
			args := []string{"s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--page-size", "7", "--max-items", "25"}
			if token != "" {
				args = append(args, "--starting-token", token)
			}
			var l cliList
			s.awsJSON(t, &l, args...)
			calls++
			if len(l.Contents) > 25 {
				t.Errorf("call %d: %d items, more than --max-items 25", calls, len(l.Contents))
			}
			for _, c := range l.Contents {
				keys = append(keys, c.Key)
				if o, ok := s.tree.Objects[c.Key]; ok && c.Size != o.Size {
					t.Errorf("%s: Size %d, want %d", c.Key, c.Size, o.Size)
				}
			}
			if token = l.NextToken; token == "" {
				break
			}
			if calls > len(s.tree.Keys) {
				t.Fatal("pagination does not end")
			}
		}
		checkKeys(t, keys, s.tree.Keys)
		if want := (len(s.tree.Keys) + 24) / 25; calls != want {
			t.Errorf("%d CLI calls for %d keys at --max-items 25, want %d", calls, len(keys), want)
		}
	})

	s.sub(t, "aws-cli", "s3api/list-objects-v2/delimiter", func(t *testing.T) {
		for _, p := range []string{prefix, prefix + "order/", prefix + "links/", prefix + "docs/part-2/"} {
			var l cliList
			s.awsJSON(t, &l, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", p, "--delimiter", "/")
			wantKeys, wantPrefixes := s.tree.level(p)
			var keys, prefixes []string
			for _, c := range l.Contents {
				keys = append(keys, c.Key)
			}
			for _, c := range l.CommonPrefixes {
				prefixes = append(prefixes, c.Prefix)
			}
			if !slices.Equal(keys, wantKeys) || !slices.Equal(prefixes, wantPrefixes) {
				t.Errorf("prefix %q: Contents %q CommonPrefixes %q; want %q %q", p, keys, prefixes, wantKeys, wantPrefixes)
			}
		}
		// At the root the virtual prefix sits among the real objects.
		var l cliList
		s.awsJSON(t, &l, "s3api", "list-objects-v2", "--bucket", bucket, "--delimiter", "/")
		var keys, prefixes []string
		for _, c := range l.Contents {
			keys = append(keys, c.Key)
		}
		for _, c := range l.CommonPrefixes {
			prefixes = append(prefixes, c.Prefix)
		}
		if !slices.Contains(keys, "hello.txt") || !slices.Contains(prefixes, prefix) || !slices.Contains(prefixes, "real/") {
			t.Errorf("root: Contents %q CommonPrefixes %q; want hello.txt, %s and real/", keys, prefixes, prefix)
		}
	})

	s.sub(t, "aws-cli", "s3/ls-recursive", func(t *testing.T) {
		r := s.awsOK(t, "s3", "ls", "--recursive", "s3://"+bucket+"/"+prefix)
		line := regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) +(\d+) (.+)$`)
		var keys []string
		for _, l := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("unexpected ls line %q", l)
				continue
			}
			key := m[3]
			keys = append(keys, key)
			o, ok := s.tree.Objects[key]
			if !ok {
				continue
			}
			if m[2] != strconv.FormatInt(o.Size, 10) {
				t.Errorf("%s: size %s, want %d", key, m[2], o.Size)
			}
			if want := o.ModTime.UTC().Format(time.DateTime); m[1] != want {
				t.Errorf("%s: time %s, want %s", key, m[1], want)
			}
		}
		checkKeys(t, keys, s.tree.Keys)
	})

	s.sub(t, "aws-cli", "s3/cp-big", func(t *testing.T) {
		dst := filepath.Join(out, "corpus.txt")
		size := s.tree.Objects[bigKey].Size
		from := len(s.logs(t))
		r := s.awsOK(t, "s3", "cp", "--no-progress", "s3://"+bucket+"/"+bigKey, dst)
		if got, want := fileSHA256(t, dst), s.tree.sha256(t, bigKey); got != want {
			t.Fatalf("sha256 %s, source %s", got, want)
		}
		t.Logf("aws s3 cp of %d MB: %v, %.0f MB/s", size>>20, r.took.Round(time.Millisecond), float64(size)/(1<<20)/r.took.Seconds())
		// The CLI splits a large download into concurrent ranged GETs: the
		// function's log must show them, covering the object exactly once.
		var (
			parts []logLine
			sum   int64
		)
		deadline := time.Now().Add(10 * time.Second)
		for sum < size && time.Now().Before(deadline) {
			parts, sum = nil, 0
			for _, l := range s.logs(t)[from:] {
				if l.Msg == "request" && l.Op == "GetObject" && l.Key == bigKey && l.Status == 206 {
					parts = append(parts, l)
					sum += l.BytesOut
				}
			}
			if sum < size {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if len(parts) < 2 || sum != size {
			t.Errorf("the function logged %d ranged GETs of %s with %d bytes in all; want several, %d bytes", len(parts), bigKey, sum, size)
		}
		conc := maxConcurrency(parts)
		if instances > 1 && conc < 2 {
			t.Errorf("the ranged GETs never overlapped in time (%d function instances)", instances)
		}
		t.Logf("%d ranged GETs, up to %d at once", len(parts), conc)
	})

	s.sub(t, "aws-cli", "s3/sync", func(t *testing.T) {
		dst := filepath.Join(out, "sync")
		r := s.awsOK(t, "s3", "sync", "--no-progress", "s3://"+bucket+"/"+prefix, dst)
		var total int64
		for _, o := range s.tree.Objects {
			total += o.Size
		}
		t.Logf("aws s3 sync of %d objects, %d MB: %v, %.0f MB/s", len(s.tree.Keys), total>>20, r.took.Round(time.Millisecond), float64(total)/(1<<20)/r.took.Seconds())
		want := filepath.Join(out, "expected")
		s.tree.derefCopy(t, want)
		if d, err := exec.Command("diff", "-r", want, dst).CombinedOutput(); err != nil {
			t.Errorf("diff -r <source, links dereferenced> <synced>: %v\n%s", err, d)
		}
		// Sizes and times from the listing match what was written: a second
		// sync has nothing to do.
		r = s.awsOK(t, "s3", "sync", "--no-progress", "s3://"+bucket+"/"+prefix, dst)
		if strings.TrimSpace(r.stdout) != "" {
			t.Errorf("a second sync downloaded again:\n%s", r.stdout)
		}
	})
}

// readAt reads n bytes of a file at off.
func readAt(t *testing.T, path string, off, n int64) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

// checkKeys checks that got lists want exactly, in order, once each.
func checkKeys(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, k := range got {
		if seen[k]++; seen[k] == 2 {
			t.Errorf("key %q listed more than once", k)
		}
	}
	for _, k := range want {
		if seen[k] == 0 {
			t.Errorf("key %q missing", k)
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			t.Errorf("unexpected key %q", k)
		}
	}
	if !slices.IsSorted(got) {
		t.Error("keys are not in S3 (byte) order")
	}
}

func quoted(etag string) bool {
	return len(etag) > 2 && strings.HasPrefix(etag, `"`) && strings.HasSuffix(etag, `"`)
}

// lowerKeys returns m with its keys in lower case.
func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// maxConcurrency is the most requests whose [start, end] spans overlap,
// from the log lines' end time and duration.
func maxConcurrency(lines []logLine) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, l := range lines {
		d := time.Duration(l.DurationMS * float64(time.Millisecond))
		edges = append(edges, edge{l.Time.Add(-d), +1}, edge{l.Time, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // an end before a start at the same instant
	})
	n, most := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}
