package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3archivefs/s3archivefs/test/olaplocal"
)

// TestFrozenInstanceLeftTheCacheWarm: Lambda freezes an instance once it
// asks for its next event, and so do the local endpoints. The chunks a
// cold GET fetched must be on the shared cache by then: a new instance on
// that cache (a second endpoint, fresh processes) answers the same GET
// without S3.
func TestFrozenInstanceLeftTheCacheWarm(t *testing.T) {
	for _, front := range []string{frontObjectLambda, frontFunctionURL} {
		t.Run(front, func(t *testing.T) {
			s := startStack(t, front)
			cacheDir := filepath.Join(s.tmp, "cache")
			const off, n = 50_000_000, 1 << 20 // 1 MiB in the middle of the corpus: 9 blocks
			want := s.want(t, bigKey)[off : off+n]
			s.s3.ResetStats()
			getRange(t, s.client, bigKey, off, n, want)
			if st := s.s3.Stats(); st.Total() == 0 {
				t.Fatal("the first GET made no S3 request: it was not cold")
			}
			waitFrozen(t, cacheDir)
			second := sdkClient(startEndpoint(t, front, s.s3, s.tmp, cacheDir, io.Discard))
			s.s3.ResetStats()
			getRange(t, second, bigKey, off, n, want)
			if st := s.s3.Stats(); st.Total() != 0 {
				t.Errorf("a new instance on the cache made S3 requests %v, want none: the frozen one left its chunks unwritten", st.Requests)
			}
		})
	}
}

func getRange(t *testing.T, c *s3.Client, key string, off, n int64, want []byte) {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("GET %s bytes %d+%d: %d bytes, %v; want the %d expected", key, off, n, len(got), err, len(want))
	}
}

// waitFrozen waits until every function process on cacheDir (found by its
// environment) is stopped, as Lambda and the local endpoints stop an idle
// instance.
func waitFrozen(t *testing.T, cacheDir string) {
	t.Helper()
	mark := []byte("\x00S3ARCHIVEFS_CACHE_DIR=" + cacheDir + "\x00")
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err == nil && bytes.Contains(append([]byte{0}, env...), mark) {
			pid, _ := strconv.Atoi(filepath.Base(d))
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		t.Fatalf("no function process on %s", cacheDir)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := olaplocal.WaitStopped(ctx, pids); err != nil {
		t.Fatalf("function processes %v on %s: %v, want them all stopped", pids, cacheDir, err)
	}
}
