package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// The client matrix: every client runs the same operations against each
// front, and each cell counts the checks that passed and failed (a key
// listed, a file byte-equal, a range right). TestEndToEnd prints it.
var matrix = struct {
	sync.Mutex
	cells map[[3]string]*[2]int // client, front, operation → passed, failed
}{cells: map[[3]string]*[2]int{}}

func record(client, front, op string, ok bool) {
	matrix.Lock()
	defer matrix.Unlock()
	k := [3]string{client, front, op}
	if matrix.cells[k] == nil {
		matrix.cells[k] = new([2]int)
	}
	if ok {
		matrix.cells[k][0]++
	} else {
		matrix.cells[k][1]++
	}
}

// matrixTable renders the matrix as Markdown: a row per client and
// operation, a column per front, "passed/checked".
func matrixTable() string {
	matrix.Lock()
	defer matrix.Unlock()
	type row struct{ client, op string }
	rows := map[row]bool{}
	for k := range matrix.cells {
		rows[row{k[0], k[2]}] = true
	}
	var sorted []row
	for r := range rows {
		sorted = append(sorted, r)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].client != sorted[j].client {
			return sorted[i].client < sorted[j].client
		}
		return sorted[i].op < sorted[j].op
	})
	var b strings.Builder
	b.WriteString("| client | operation | " + frontObjectLambda + " | " + frontFunctionURL + " |\n|---|---|---|---|\n")
	for _, r := range sorted {
		fmt.Fprintf(&b, "| %s | %s |", r.client, r.op)
		for _, f := range []string{frontObjectLambda, frontFunctionURL} {
			if c := matrix.cells[[3]string{r.client, f, r.op}]; c != nil {
				fmt.Fprintf(&b, " %d/%d |", c[0], c[0]+c[1])
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// clientCase is what every client is asked, and the truth to compare with.
type clientCase struct {
	small               []string // fetched whole, and HEADed
	rangeKey, largeKey  string
	syncPrefix          string // a directory copied whole
	wantList            []string
	wantKeys, wantPrefs []string // one level under prefix
}

func (s *stack) clientCase() clientCase {
	keys, prefs := s.tree.level(prefix)
	var syncKeys []string
	for _, k := range s.tree.Keys {
		if strings.HasPrefix(k, prefix+"docs/part-1/") {
			syncKeys = append(syncKeys, k)
		}
	}
	return clientCase{
		small:      []string{prefix + "README.md", prefix + "names/with space.txt", prefix + "names/ünïcødé-ファイル.txt", prefix + "order/a/b", prefix + "links/chain", "hello.txt"},
		rangeKey:   prefix + "media/random.bin",
		largeKey:   prefix + "big/mixed.bin",
		syncPrefix: prefix + "docs/part-1/",
		wantList:   s.tree.Keys,
		wantKeys:   keys, wantPrefs: prefs,
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// testClients runs boto3, rclone and s3cmd against the stack.
func (s *stack) testClients(t *testing.T) {
	c := s.clientCase()
	t.Run("boto3", func(t *testing.T) { s.boto3(t, c) })
	t.Run("rclone", func(t *testing.T) { s.rclone(t, c) })
	t.Run("s3cmd", func(t *testing.T) { s.s3cmd(t, c) })
}

// check records one comparison in the matrix and reports a failure.
func (s *stack) check(t *testing.T, client, op string, ok bool, format string, args ...any) {
	t.Helper()
	record(client, s.front, op, ok)
	if !ok {
		t.Errorf("%s %s: "+format, append([]any{client, op}, args...)...)
	}
}

func (s *stack) checkKeys(t *testing.T, client, op string, got, want []string) {
	t.Helper()
	for _, k := range want {
		s.check(t, client, op, slices.Contains(got, k), "%q not listed", k)
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			s.check(t, client, op, false, "%q listed, not expected", k)
		}
	}
}

// run runs a client command with the stack's environment.
func (s *stack) run(t *testing.T, dir string, name string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(ctxTimeout(t, 3*time.Minute), name, args...)
	cmd.Env, cmd.Dir = s.cliEnv, dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, err
}

func (s *stack) boto3(t *testing.T, c clientCase) {
	const python = "/usr/bin/python3" // Debian's, with python3-boto3
	needTool(t, python)
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		needTool(t, "python3-boto3 (import boto3)")
	}
	dir := t.TempDir()
	script, _ := filepath.Abs("testdata/boto3_client.py")
	out, err := s.run(t, dir, python, script, s.url, bucket, prefix, strings.Join(c.small, ","), c.rangeKey, c.largeKey, dir)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		List  []string
		Level struct{ Keys, Prefixes []string }
		Get   map[string]string
		Head  map[string]struct {
			Size int64
			ETag string
		}
		Range struct {
			Status int
			SHA256 string
		}
		Large, Presigned string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 output: %v: %s", err, out)
	}
	s.checkKeys(t, "boto3", "list_objects_v2 (paginated)", got.List, c.wantList)
	s.checkKeys(t, "boto3", "list_objects_v2 (delimiter)", append(got.Level.Keys, got.Level.Prefixes...), append(c.wantKeys, c.wantPrefs...))
	for _, k := range c.small {
		want := s.want(t, k)
		s.check(t, "boto3", "get_object", got.Get[k] == sha(want), "%s differs", k)
		s.check(t, "boto3", "head_object", got.Head[k].Size == int64(len(want)) && quoted(got.Head[k].ETag), "%s: %+v", k, got.Head[k])
	}
	s.check(t, "boto3", "get_object Range", got.Range.Status == 206 && got.Range.SHA256 == sha(readAt(t, s.tree.Objects[c.rangeKey].Path, 100, 100)), "%+v", got.Range)
	s.check(t, "boto3", "download_file (ranged parts)", got.Large == s.tree.sha256(t, c.largeKey), "large file differs")
	s.check(t, "boto3", "generate_presigned_url", got.Presigned == sha(s.want(t, c.small[0])), "presigned GET differs")
}

func (s *stack) rclone(t *testing.T, c clientCase) {
	needTool(t, "rclone")
	dir := t.TempDir()
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[e2e]\ntype = s3\nprovider = Other\naccess_key_id = %s\nsecret_access_key = %s\nendpoint = %s\nregion = us-east-1\nforce_path_style = true\n",
		olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, s.url)), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := func(args ...string) ([]byte, error) {
		return s.run(t, dir, "rclone", append([]string{"--config", conf, "--low-level-retries", "1", "--retries", "1"}, args...)...)
	}
	remote := "e2e:" + bucket + "/"
	out, err := rc("lsf", "-R", "--files-only", remote+prefix)
	s.check(t, "rclone", "lsf -R", err == nil, "%v", err)
	var list []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			list = append(list, prefix+l)
		}
	}
	if err == nil {
		s.checkKeys(t, "rclone", "lsf -R", list, c.wantList)
	}
	out, err = rc("lsf", remote+prefix)
	if s.check(t, "rclone", "lsf (one level)", err == nil, "%v", err); err == nil {
		var level []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			level = append(level, prefix+l)
		}
		s.checkKeys(t, "rclone", "lsf (one level)", level, append(c.wantKeys, c.wantPrefs...))
	}
	for _, k := range c.small {
		out, err := rc("cat", remote+k)
		s.check(t, "rclone", "cat", err == nil && bytes.Equal(out, s.want(t, k)), "%s: %v", k, err)
		out, err = rc("lsjson", remote+k)
		var meta []struct{ Size int64 }
		ok := err == nil && json.Unmarshal(out, &meta) == nil && len(meta) == 1 && meta[0].Size == int64(len(s.want(t, k)))
		s.check(t, "rclone", "lsjson (HEAD)", ok, "%s: %v %s", k, err, out)
	}
	out, err = rc("cat", "--offset", "100", "--count", "100", remote+c.rangeKey)
	s.check(t, "rclone", "cat --offset --count (Range)", err == nil && bytes.Equal(out, readAt(t, s.tree.Objects[c.rangeKey].Path, 100, 100)), "%v", err)
	_, err = rc("copy", remote+c.largeKey, filepath.Join(dir, "large"))
	s.check(t, "rclone", "copy (large file)", err == nil && fileSHA256(t, filepath.Join(dir, "large", filepath.Base(c.largeKey))) == s.tree.sha256(t, c.largeKey), "%v", err)
	s.syncCheck(t, "rclone", "copy (directory)", filepath.Join(dir, "sync"), c, func(dst string) error {
		_, err := rc("copy", remote+c.syncPrefix, dst)
		return err
	})
	out, err = rc("link", "--expire", "5m", remote+c.small[0])
	ok := err == nil
	if ok {
		ok = bytes.Equal(curl(t, strings.TrimSpace(string(out))), s.want(t, c.small[0]))
	}
	s.check(t, "rclone", "link (presigned URL) + curl", ok, "%v", err)
}

func (s *stack) s3cmd(t *testing.T, c clientCase) {
	needTool(t, "s3cmd")
	dir := t.TempDir()
	host := strings.TrimPrefix(s.url, "http://")
	conf := filepath.Join(dir, "s3cfg")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nbucket_location = us-east-1\nsignature_v2 = False\nmax_retries = 1\n",
		olaplocal.DefaultAccessKey, olaplocal.DefaultSecretKey, host, host)), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := func(args ...string) ([]byte, error) {
		return s.run(t, dir, "s3cmd", append([]string{"-c", conf, "--no-progress"}, args...)...)
	}
	// s3cmd ls prints "date time size s3://bucket/key", or "DIR s3://.../".
	parse := func(out []byte) []string {
		var keys []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if i := strings.Index(l, "s3://"+bucket+"/"); i >= 0 {
				keys = append(keys, l[i+len("s3://"+bucket+"/"):])
			}
		}
		return keys
	}
	out, err := sc("ls", "-r", "s3://"+bucket+"/"+prefix)
	if s.check(t, "s3cmd", "ls -r", err == nil, "%v", err); err == nil {
		s.checkKeys(t, "s3cmd", "ls -r", parse(out), c.wantList)
	}
	out, err = sc("ls", "s3://"+bucket+"/"+prefix)
	if s.check(t, "s3cmd", "ls (one level)", err == nil, "%v", err); err == nil {
		s.checkKeys(t, "s3cmd", "ls (one level)", parse(out), append(c.wantKeys, c.wantPrefs...))
	}
	for i, k := range c.small {
		dst := filepath.Join(dir, fmt.Sprintf("get-%d", i))
		_, err := sc("get", "--force", "s3://"+bucket+"/"+k, dst)
		s.check(t, "s3cmd", "get", err == nil && fileSHA256(t, dst) == sha(s.want(t, k)), "%s: %v", k, err)
		out, err := sc("info", "s3://"+bucket+"/"+k)
		s.check(t, "s3cmd", "info (HEAD)", err == nil && strings.Contains(string(out), fmt.Sprintf("File size: %d", len(s.want(t, k)))), "%s: %v %s", k, err, out)
	}
	dst := filepath.Join(dir, "large.bin")
	_, err = sc("get", "--force", "s3://"+bucket+"/"+c.largeKey, dst)
	s.check(t, "s3cmd", "get (large file)", err == nil && fileSHA256(t, dst) == s.tree.sha256(t, c.largeKey), "%v", err)
	s.syncCheck(t, "s3cmd", "sync (directory)", filepath.Join(dir, "sync"), c, func(dst string) error {
		_, err := sc("sync", "s3://"+bucket+"/"+c.syncPrefix, dst+"/")
		return err
	})
}

// syncCheck copies the sync prefix with copy(dst) and compares every file.
func (s *stack) syncCheck(t *testing.T, client, op, dst string, c clientCase, copyDir func(string) error) {
	t.Helper()
	if err := copyDir(dst); err != nil {
		s.check(t, client, op, false, "%v", err)
		return
	}
	for _, k := range c.wantList {
		if rel, ok := strings.CutPrefix(k, c.syncPrefix); ok {
			got, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(rel)))
			s.check(t, client, op, err == nil && bytes.Equal(got, s.tree.content(t, k)), "%s: %v", k, err)
		}
	}
}

// sub runs a subtest and records its outcome in the matrix as one check.
func (s *stack) sub(t *testing.T, client, name string, fn func(*testing.T)) {
	t.Helper()
	record(client, s.front, name, t.Run(name, fn))
}
