package e2e

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// randomFile writes n deterministic random bytes to a new file.
func randomFile(t *testing.T, dir, name string, n int, seed uint64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, 0, n+8)
	for len(b) < n {
		b = binary.LittleEndian.AppendUint64(b, r.Uint64())
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b[:n], 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// testCLIPassthrough covers keys outside every virtual prefix, and the
// errors every client must see, with the CLI.
func (s *stack) testCLIPassthrough(t *testing.T) {
	skipWithoutCLI(t)
	dir := t.TempDir()

	s.sub(t, "aws-cli", "put-then-get", func(t *testing.T) {
		for _, c := range []struct {
			name string
			size int
		}{
			{"small.bin", 1000},
			{"multipart.bin", 9<<20 + 5}, // above the CLI's 8 MiB threshold: a multipart upload
		} {
			src := randomFile(t, dir, c.name, c.size, uint64(c.size))
			key := "uploads/" + c.name
			s.awsOK(t, "s3", "cp", "--no-progress", src, "s3://"+bucket+"/"+key)
			// It went to the supporting bucket, as on AWS.
			h, err := s.s3.Client().HeadObject(ctxTimeout(t, time.Minute), &s3.HeadObjectInput{Bucket: aws.String(supportingBucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("%s is not in the supporting bucket: %v", key, err)
			}
			if aws.ToInt64(h.ContentLength) != int64(c.size) {
				t.Errorf("%s: %d bytes in the supporting bucket, want %d", key, aws.ToInt64(h.ContentLength), c.size)
			}
			dst := filepath.Join(dir, "back-"+c.name)
			s.awsOK(t, "s3", "cp", "--no-progress", "s3://"+bucket+"/"+key, dst)
			if got, want := fileSHA256(t, dst), fileSHA256(t, src); got != want {
				t.Errorf("%s: read back with sha256 %s, put %s", key, got, want)
			}
		}
		var l cliList
		s.awsJSON(t, &l, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "uploads/")
		var keys []string
		for _, c := range l.Contents {
			keys = append(keys, c.Key)
		}
		if want := []string{"uploads/multipart.bin", "uploads/small.bin"}; !slices.Equal(keys, want) {
			t.Errorf("listing uploads/: %q, want %q", keys, want)
		}
	})

	s.sub(t, "aws-cli", "get-and-head", func(t *testing.T) {
		p := filepath.Join(dir, "hello")
		var o cliObject
		s.awsJSON(t, &o, "s3api", "get-object", "--bucket", bucket, "--key", "hello.txt", "--range", "bytes=6-9", p)
		if want := passthroughObjects["hello.txt"][6:10]; string(readFile(t, p)) != want || o.ContentRange == "" {
			t.Errorf("ranged passthrough: %q (Content-Range %q), want %q", readFile(t, p), o.ContentRange, want)
		}
		s.awsJSON(t, &o, "s3api", "head-object", "--bucket", bucket, "--key", "real/notes/a.txt")
		if o.ContentLength != int64(len(passthroughObjects["real/notes/a.txt"])) || lowerKeys(o.Metadata)["origin"] != "supporting" {
			t.Errorf("head-object of a real object: ContentLength %d Metadata %v", o.ContentLength, o.Metadata)
		}
		s.awsFails(t, 254, []string{"(304)"}, "s3api", "get-object", "--bucket", bucket, "--key", "real/notes/a.txt", "--if-none-match", o.ETag, p)
	})

	s.sub(t, "aws-cli", "missing-key", func(t *testing.T) {
		for _, key := range []string{
			prefix + "no/such/file.txt",
			prefix + "docs",  // a directory is no object
			prefix + "docs/", // nor is its "folder" key
			prefix + "links/to-dir",
			prefix + "links/dangling",
			prefix + "links/loop-a",
			prefix + "special/fifo",
			"nothing/here.txt", // passthrough
		} {
			s.awsFails(t, 254, []string{"(NoSuchKey)", "GetObject operation", "The specified key does not exist"},
				"s3api", "get-object", "--bucket", bucket, "--key", key, filepath.Join(dir, "missing"))
		}
		// The high-level command heads first; S3 answers HEAD without a body.
		s.awsFails(t, 1, []string{"(404)", "HeadObject"}, "s3", "cp", "s3://"+bucket+"/"+prefix+"no/such/file.txt", filepath.Join(dir, "missing"))
	})

	s.sub(t, "aws-cli", "invalid-range", func(t *testing.T) {
		for _, c := range []struct{ key, rng string }{
			{prefix + "media/random.bin", "bytes=3000000-"},
			{prefix + "media/random.bin", "bytes=3000000-3000010"},
			{prefix + "empty", "bytes=0-0"},
			{bigKey, "bytes=200000000-"},
			{"hello.txt", "bytes=1000-"},
		} {
			s.awsFails(t, 254, []string{"(InvalidRange)", "GetObject operation"},
				"s3api", "get-object", "--bucket", bucket, "--key", c.key, "--range", c.rng, filepath.Join(dir, "range"))
		}
	})

	// Real objects under a virtual prefix are shadowed by the archive:
	// never served, never listed.
	s.sub(t, "aws-cli", "shadowed", func(t *testing.T) {
		src := randomFile(t, dir, "shadow", 100, 7)
		for _, k := range []string{"README.md", "shadow-only.txt"} {
			s.awsOK(t, "s3", "cp", "--no-progress", src, "s3://"+bucket+"/"+prefix+k)
		}
		p := filepath.Join(dir, "readme")
		s.awsOK(t, "s3api", "get-object", "--bucket", bucket, "--key", prefix+"README.md", p)
		if !bytes.Equal(readFile(t, p), s.tree.content(t, prefix+"README.md")) {
			t.Error("README.md: the real object was served instead of the archive's file")
		}
		s.awsFails(t, 254, []string{"(NoSuchKey)"}, "s3api", "get-object", "--bucket", bucket, "--key", prefix+"shadow-only.txt", p)
		r := s.awsOK(t, "s3", "ls", "--recursive", "s3://"+bucket+"/"+prefix)
		if strings.Contains(r.stdout, "shadow-only.txt") || strings.Count(r.stdout, prefix+"README.md\n") != 1 {
			t.Errorf("listing shows shadowed real objects:\n%s", r.stdout)
		}
	})
}

func skipWithoutCLI(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		if os.Getenv("S3ARCHIVEFS_REQUIRE_TOOLS") != "" {
			t.Fatalf("AWS CLI v2 not at %s (S3ARCHIVEFS_REQUIRE_TOOLS is set): apt-get install awscli", awsCLI)
		}
		t.Skipf("AWS CLI v2 not at %s: apt-get install awscli", awsCLI)
	}
}
