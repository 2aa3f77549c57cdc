package olap_test

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// listable is the VMAP of the listing tests: no broken archive in it.
var listable = vmapLines[:2]

// expectedNamespace is every key a full listing must return: the real
// objects that no virtual prefix shadows, and the regular files (and
// symlinks to regular files) of each archive under its prefix.
func expectedNamespace(t *testing.T, s *stack) []string {
	var keys []string
	for k := range realObjects {
		if !strings.HasPrefix(k, "data/") {
			keys = append(keys, k)
		}
	}
	add := func(prefix, root string, skip func(string) bool) {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if skip(rel) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 || !d.Type().IsRegular() {
				// Symlinks resolve inside the archive (chroot): these
				// fixture links that reach a regular file are listed.
				switch rel {
				case "links/rel", "links/abs", "links/escape", "links/chain":
				case "bin/link":
				default:
					return nil
				}
			}
			keys = append(keys, prefix+rel)
			return nil
		})
	}
	add("data/", s.special, func(rel string) bool { return strings.HasPrefix(rel, "nested/") })
	add("data/nested/", s.small, func(string) bool { return false })
	slices.Sort(keys)
	return keys
}

func (s *stack) listV2(t *testing.T, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	t.Helper()
	in.Bucket = aws.String("s3archivefs")
	return s.client.ListObjectsV2(context.Background(), in)
}

func TestListObjectsV2Conformance(t *testing.T) {
	s := newStackWith(t, listable)
	want := expectedNamespace(t, s)

	t.Run("paginated walk equals the namespace", func(t *testing.T) {
		var got []string
		p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String("s3archivefs"), MaxKeys: aws.Int32(7)})
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(out.Contents) > 7 || aws.ToInt32(out.KeyCount) != int32(len(out.Contents)) {
				t.Fatalf("page of %d keys, KeyCount %d", len(out.Contents), aws.ToInt32(out.KeyCount))
			}
			for _, o := range out.Contents {
				got = append(got, aws.ToString(o.Key))
				if o.ETag == nil || o.LastModified == nil || o.Size == nil {
					t.Errorf("%s: missing ETag, LastModified or Size", aws.ToString(o.Key))
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("listing:\n got %q\nwant %q", got, want)
		}
		t.Logf("%d keys in %d pages", len(got), pages)
	})

	t.Run("sizes and etags match GetObject", func(t *testing.T) {
		out, err := s.listV2(t, &s3.ListObjectsV2Input{Prefix: aws.String("data/text/")})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			a := s.head(t, &s3.HeadObjectInput{Key: o.Key})
			if a.header.Get("ETag") != aws.ToString(o.ETag) || a.header.Get("Content-Length") != itoa(aws.ToInt64(o.Size)) {
				t.Errorf("%s: list says %s %d, HEAD says %s %s", aws.ToString(o.Key), aws.ToString(o.ETag), aws.ToInt64(o.Size), a.header.Get("ETag"), a.header.Get("Content-Length"))
			}
		}
	})

	t.Run("delimiter at the root", func(t *testing.T) {
		out, err := s.listV2(t, &s3.ListObjectsV2Input{Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		if got := prefixes(out.CommonPrefixes); !slices.Equal(got, []string{"data/", "datab/", "zzz/"}) {
			t.Errorf("CommonPrefixes %q", got)
		}
		if got := keys(out.Contents); !slices.Equal(got, []string{"hello.txt"}) {
			t.Errorf("Contents %q", got)
		}
	})

	t.Run("delimiter inside an archive", func(t *testing.T) {
		out, err := s.listV2(t, &s3.ListObjectsV2Input{Prefix: aws.String("data/"), Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		wantPrefixes := map[string]bool{}
		var wantKeys []string
		for _, k := range want {
			rest, ok := strings.CutPrefix(k, "data/")
			if !ok {
				continue
			}
			if dir, _, found := strings.Cut(rest, "/"); found {
				wantPrefixes["data/"+dir+"/"] = true
			} else {
				wantKeys = append(wantKeys, k)
			}
		}
		var wp []string
		for p := range wantPrefixes {
			wp = append(wp, p)
		}
		slices.Sort(wp)
		if got := prefixes(out.CommonPrefixes); !slices.Equal(got, wp) {
			t.Errorf("CommonPrefixes %q, want %q", got, wp)
		}
		if got := keys(out.Contents); !slices.Equal(got, wantKeys) {
			t.Errorf("Contents %q, want %q", got, wantKeys)
		}
	})

	t.Run("start-after", func(t *testing.T) {
		out, err := s.listV2(t, &s3.ListObjectsV2Input{StartAfter: aws.String("data/names/"), MaxKeys: aws.Int32(3)})
		if err != nil {
			t.Fatal(err)
		}
		var suffix []string
		for _, k := range want {
			if k > "data/names/" {
				suffix = append(suffix, k)
			}
		}
		if got := keys(out.Contents); !slices.Equal(got, suffix[:3]) {
			t.Errorf("got %q, want %q", got, suffix[:3])
		}
	})

	t.Run("encoding-type url", func(t *testing.T) {
		out, err := s.listV2(t, &s3.ListObjectsV2Input{Prefix: aws.String("data/names/"), EncodingType: types.EncodingTypeUrl})
		if err != nil {
			t.Fatal(err)
		}
		sawEscape := false
		for _, o := range out.Contents {
			// The Go SDK leaves url-encoded keys as they come.
			k, err := url.QueryUnescape(aws.ToString(o.Key))
			if err != nil || !slices.Contains(want, k) {
				t.Errorf("key %q (%q) not in the namespace", aws.ToString(o.Key), k)
			}
			sawEscape = sawEscape || k != aws.ToString(o.Key)
		}
		if !sawEscape {
			t.Error("no key came url-encoded")
		}
		if len(out.Contents) != 4 {
			t.Errorf("%d keys under data/names/, want 4", len(out.Contents))
		}
	})

	t.Run("garbage continuation token", func(t *testing.T) {
		_, err := s.listV2(t, &s3.ListObjectsV2Input{ContinuationToken: aws.String("not-a-token")})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "InvalidArgument" {
			t.Errorf("err = %v, want InvalidArgument", err)
		}
	})

	// Keys are literal strings: a prefix with "..", "." or an empty
	// segment matches only keys spelt that way, and there are none (a GET
	// of such a key is NoSuchKey). Issue 12.
	t.Run("prefix with dot segments lists nothing", func(t *testing.T) {
		for _, prefix := range []string{"data/text/../text/", "data/text/..", "data/./text/", "data//text/", "data/text/./", "data/..", "data/../datab/"} {
			out, err := s.listV2(t, &s3.ListObjectsV2Input{Prefix: aws.String(prefix)})
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(out.Contents); len(got) > 0 {
				t.Errorf("prefix %q lists %d keys", prefix, len(got))
				for _, k := range got[:min(len(got), 2)] {
					if a := s.get(t, &s3.GetObjectInput{Key: aws.String(k)}); a.status != 200 {
						t.Errorf("  %q is listed, but GET answers %d %s", k, a.status, a.code)
					}
				}
			}
		}
	})

	// V1 shows owners always, V2 with fetch-owner=true; an archive's files
	// carry the owner S3 shows for the archive object. Issue 12.
	t.Run("owner", func(t *testing.T) {
		out, err := s.listV2(t, &s3.ListObjectsV2Input{Prefix: aws.String("data/text/"), FetchOwner: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		v1, err := s.client.ListObjects(context.Background(), &s3.ListObjectsInput{Bucket: aws.String("s3archivefs"), Prefix: aws.String("data/text/")})
		if err != nil {
			t.Fatal(err)
		}
		want := archiveOwner(t, s)
		for _, c := range [][]types.Object{out.Contents, v1.Contents} {
			if len(c) == 0 {
				t.Fatal("nothing listed")
			}
			for _, o := range c {
				if o.Owner == nil || aws.ToString(o.Owner.ID) != want {
					t.Errorf("%s: owner %+v, want ID %q", aws.ToString(o.Key), o.Owner, want)
				}
			}
		}
		out, err = s.listV2(t, &s3.ListObjectsV2Input{Prefix: aws.String("data/text/")})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			if o.Owner != nil {
				t.Errorf("%s: owner without fetch-owner", aws.ToString(o.Key))
			}
		}
	})

	t.Run("ListObjects v1 with marker", func(t *testing.T) {
		var got []string
		marker := ""
		for {
			out, err := s.client.ListObjects(context.Background(), &s3.ListObjectsInput{Bucket: aws.String("s3archivefs"), MaxKeys: aws.Int32(5), Marker: aws.String(marker)})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, keys(out.Contents)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			marker = got[len(got)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("v1 listing:\n got %q\nwant %q", got, want)
		}
	})
}

// TestListWithBrokenArchive: a listing that reaches an archive that cannot
// be read fails as a whole. A partial listing would let a sync tool
// believe the archive's files are gone (and delete them at the destination).
func TestListWithBrokenArchive(t *testing.T) {
	s := newStack(t)
	_, err := s.listV2(t, &s3.ListObjectsV2Input{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalError" {
		t.Errorf("err = %v, want InternalError", err)
	}
	// Listings that do not reach it still work.
	out, err := s.listV2(t, &s3.ListObjectsV2Input{Prefix: aws.String("data/text/")})
	if err != nil || len(out.Contents) == 0 {
		t.Errorf("listing data/text/: %v, %d keys", err, len(out.Contents))
	}
}

func keys(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func prefixes(cps []types.CommonPrefix) []string {
	var out []string
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// archiveOwner is the owner ID the S3 server shows for the archive object.
func archiveOwner(t *testing.T, s *stack) string {
	t.Helper()
	out, err := s.s3.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(archiveBucket), Prefix: aws.String("special.sqfs"), FetchOwner: aws.Bool(true)})
	if err != nil || len(out.Contents) != 1 || out.Contents[0].Owner == nil {
		t.Fatalf("the S3 server shows no owner of the archive: %v", err)
	}
	return aws.ToString(out.Contents[0].Owner.ID)
}
