package s3api

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sliceSource serves sorted keys and counts how many objects it yields
// and how often it is opened.
type sliceSource struct {
	objs   []ListEntry
	yields int
	opens  int
	failAt string // yield an error instead of this key
}

func newSource(keys ...string) *sliceSource {
	s := &sliceSource{}
	sort.Strings(keys)
	keys = slices.Compact(keys)
	for _, k := range keys {
		s.objs = append(s.objs, ListEntry{Key: k, Size: int64(len(k)), ETag: "etag-" + k, LastModified: time.Unix(1700000000, 0)})
	}
	return s
}

func (s *sliceSource) Objects(ctx context.Context, prefix, from string) iter.Seq2[ListEntry, error] {
	return func(yield func(ListEntry, error) bool) {
		s.opens++
		start := max(prefix, from)
		i := sort.Search(len(s.objs), func(i int) bool { return s.objs[i].Key >= start })
		for ; i < len(s.objs) && strings.HasPrefix(s.objs[i].Key, prefix); i++ {
			s.yields++
			if s.failAt != "" && s.objs[i].Key == s.failAt {
				yield(ListEntry{}, AccessDenied(errors.New("source refused")))
				return
			}
			if !yield(s.objs[i], nil) {
				return
			}
		}
	}
}

// genSource is a huge lazily generated source: dir/00000000 … dir/N.
type genSource struct {
	dir    string
	n      int
	yields int
}

func (g *genSource) Objects(ctx context.Context, prefix, from string) iter.Seq2[ListEntry, error] {
	return func(yield func(ListEntry, error) bool) {
		start := max(prefix, from)
		i := sort.Search(g.n, func(i int) bool { return g.key(i) >= start })
		for ; i < g.n && strings.HasPrefix(g.key(i), prefix); i++ {
			g.yields++
			if !yield(ListEntry{Key: g.key(i)}, nil) {
				return
			}
		}
	}
}

func (g *genSource) key(i int) string { return fmt.Sprintf("%s%08d", g.dir, i) }

// entries flattens a page into "key" and "prefix/" markers in order.
func entries(r *ListResult) []string {
	var out []string
	for _, o := range r.Objects {
		out = append(out, o.Key)
	}
	for _, p := range r.CommonPrefixes {
		out = append(out, "CP:"+p)
	}
	return out
}

func list(t *testing.T, q string, v2 bool, sources ...Source) *ListResult {
	t.Helper()
	vals, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseListRequest(vals, v2)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	res, err := List(context.Background(), req, sources)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

// The cases of ceph s3-tests' bucket listing tests (which run against AWS).
func TestListS3Tests(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		query string
		v2    bool
		want  []string
		trunc bool
		next  string // NextMarker for V1
	}{
		{"delimiter_basic", []string{"foo/bar", "foo/bar/xyzzy", "quux/thud", "asdf"}, "delimiter=/", false, []string{"asdf", "CP:foo/", "CP:quux/"}, false, ""},
		{"delimiter_alt", []string{"bar", "baz", "cab", "foo"}, "delimiter=a", true, []string{"foo", "CP:ba", "CP:ca"}, false, ""},
		{"delimiter_percentage", []string{"b%ar", "b%az", "c%ab", "foo"}, "delimiter=%25", true, []string{"foo", "CP:b%", "CP:c%"}, false, ""},
		{"delimiter_whitespace", []string{"b ar", "b az", "c ab", "foo"}, "delimiter=+", true, []string{"foo", "CP:b ", "CP:c "}, false, ""},
		{"delimiter_unreadable", []string{"bar", "baz", "cab", "foo"}, "delimiter=%0A", true, []string{"bar", "baz", "cab", "foo"}, false, ""},
		{"delimiter_empty", []string{"bar", "baz", "cab", "foo"}, "delimiter=", true, []string{"bar", "baz", "cab", "foo"}, false, ""},
		{"delimiter_multichar", []string{"a--b", "a--c--d", "a-b", "e"}, "delimiter=--", true, []string{"a-b", "e", "CP:a--"}, false, ""},
		{"prefix_ends_with_delimiter", []string{"asdf/"}, "prefix=asdf/&delimiter=/", true, []string{"asdf/"}, false, ""},
		{"prefix_basic", []string{"foo/bar", "foo/baz", "quux"}, "prefix=foo/", true, []string{"foo/bar", "foo/baz"}, false, ""},
		{"prefix_alt", []string{"bar", "baz", "foo"}, "prefix=ba", true, []string{"bar", "baz"}, false, ""},
		{"prefix_not_exist", []string{"foo/bar", "foo/baz", "quux"}, "prefix=d", true, nil, false, ""},
		{"prefix_unreadable", []string{"foo/bar", "foo/baz", "quux"}, "prefix=%0A", true, nil, false, ""},
		{"prefix_delimiter_basic", []string{"foo/bar", "foo/baz/xyzzy", "quux/thud", "asdf"}, "prefix=foo/&delimiter=/", true, []string{"foo/bar", "CP:foo/baz/"}, false, ""},
		{"prefix_delimiter_alt", []string{"bar", "bazar", "cab", "foo"}, "prefix=ba&delimiter=a", true, []string{"bar", "CP:baza"}, false, ""},
		{"prefix_delimiter_prefix_not_exist", []string{"b/a/r", "b/a/c", "b/a/g", "g"}, "prefix=/&delimiter=d", true, nil, false, ""},
		{"prefix_delimiter_delimiter_not_exist", []string{"b/a/c", "b/a/g", "b/a/r", "g"}, "prefix=b&delimiter=z", true, []string{"b/a/c", "b/a/g", "b/a/r"}, false, ""},
		{"delimiter_not_skip_special", append(func() []string {
			k := []string{"0/"}
			for i := 1000; i < 1999; i++ {
				k = append(k, "0/"+strconv.Itoa(i))
			}
			return k
		}(), "1999", "1999#", "1999+", "2000"), "delimiter=/", false, []string{"1999", "1999#", "1999+", "2000", "CP:0/"}, false, ""},
		{"maxkeys_one", []string{"bar", "baz", "foo", "quxx"}, "max-keys=1", false, []string{"bar"}, true, ""},
		{"marker", []string{"bar", "baz", "foo", "quxx"}, "marker=bar", false, []string{"baz", "foo", "quxx"}, false, ""},
		{"maxkeys_zero", []string{"bar", "baz", "foo", "quxx"}, "max-keys=0", true, nil, false, ""},
		{"marker_unreadable", []string{"bar", "baz", "foo", "quxx"}, "marker=%0A", false, []string{"bar", "baz", "foo", "quxx"}, false, ""},
		{"marker_not_in_list", []string{"bar", "baz", "foo", "quxx"}, "marker=blah", false, []string{"foo", "quxx"}, false, ""},
		{"startafter_not_in_list", []string{"bar", "baz", "foo", "quxx"}, "start-after=blah", true, []string{"foo", "quxx"}, false, ""},
		{"marker_after_list", []string{"bar", "baz", "foo", "quxx"}, "marker=zzz", false, nil, false, ""},
		{"startafter_after_list", []string{"bar", "baz", "foo", "quxx"}, "start-after=zzz", true, nil, false, ""},
		{"v1_delimiter_prefix_1", []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"}, "delimiter=/&max-keys=1", false, []string{"asdf"}, true, "asdf"},
		{"v1_delimiter_prefix_2", []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"}, "delimiter=/&max-keys=1&marker=asdf", false, []string{"CP:boo/"}, true, "boo/"},
		{"v1_delimiter_prefix_3", []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"}, "delimiter=/&max-keys=1&marker=boo/", false, []string{"CP:cquux/"}, false, ""},
		{"v1_delimiter_prefix_4", []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"}, "delimiter=/&max-keys=2", false, []string{"asdf", "CP:boo/"}, true, "boo/"},
		{"v1_delimiter_prefix_5", []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"}, "prefix=boo/&delimiter=/&max-keys=1", false, []string{"boo/bar"}, true, "boo/bar"},
		{"v1_delimiter_prefix_6", []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"}, "prefix=boo/&delimiter=/&max-keys=1&marker=boo/bar", false, []string{"CP:boo/baz/"}, false, ""},
		{"marker_inside_common_prefix", []string{"a/1", "a/2", "b"}, "delimiter=/&marker=a/1", false, []string{"b"}, false, ""},
		{"utf8_byte_order", []string{"é", "z", "Z", "ｚ", "a\u00ff", "a\u0100"}, "", true, []string{"Z", "a\u00ff", "a\u0100", "z", "é", "ｚ"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := list(t, tt.query, tt.v2, newSource(tt.keys...))
			if got := entries(res); !slices.Equal(got, tt.want) {
				t.Errorf("entries %q, want %q", got, tt.want)
			}
			if res.IsTruncated != tt.trunc || res.NextMarker != tt.next {
				t.Errorf("truncated %v next marker %q, want %v %q", res.IsTruncated, res.NextMarker, tt.trunc, tt.next)
			}
			if tt.v2 && (res.NextContinuationToken != "") != tt.trunc {
				t.Errorf("NextContinuationToken %q with truncated %v", res.NextContinuationToken, tt.trunc)
			}
		})
	}
}

// model lists the union of keys (deduplicated) the slow, obvious way.
func model(keys []string, prefix, delim, after string, limit int) (page []string, truncated bool) {
	seen := map[string]bool{}
	var all []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) && !seen[k] {
			seen[k] = true
			all = append(all, k)
		}
	}
	sort.Strings(all)
	var ents []string
	for _, k := range all {
		e := k
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				e = "CP:" + k[:len(prefix)+i+len(delim)]
			}
		}
		name := strings.TrimPrefix(e, "CP:")
		if name <= after || (len(ents) > 0 && ents[len(ents)-1] == e) {
			continue
		}
		ents = append(ents, e)
	}
	if limit == 0 {
		return nil, false
	}
	if len(ents) > limit {
		return ents[:limit], true
	}
	return ents, false
}

// sortEntries orders a page's entries as one stream, as the model does.
func sortEntries(e []string) []string {
	out := slices.Clone(e)
	sort.Slice(out, func(i, j int) bool { return strings.TrimPrefix(out[i], "CP:") < strings.TrimPrefix(out[j], "CP:") })
	return out
}

// TestListModel compares List with the model on random namespaces split
// over overlapping sources, for every page of V1 and V2 pagination.
func TestListModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "/", "-", "é", "\x00", "z", "ab/"}
	randKey := func() string {
		var b strings.Builder
		for n := 1 + rng.IntN(6); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := 0; round < 300; round++ {
		var all []string
		nsrc := 1 + rng.IntN(4)
		srcKeys := make([][]string, nsrc)
		for i := 0; i < rng.IntN(40); i++ {
			k := randKey()
			all = append(all, k)
			for s := range srcKeys {
				if s == 0 || rng.IntN(3) == 0 {
					srcKeys[s] = append(srcKeys[s], k)
					if rng.IntN(2) == 0 {
						break
					}
				}
			}
		}
		prefix := []string{"", "a", "ab/", "b/", "é"}[rng.IntN(5)]
		delim := []string{"", "/", "b", "ab", "é"}[rng.IntN(5)]
		limit := rng.IntN(5)
		for _, v2 := range []bool{true, false} {
			var sources []Source
			for _, ks := range srcKeys {
				sources = append(sources, newSource(ks...))
			}
			after, token := "", ""
			var got []string
			for page := 0; ; page++ {
				req := ListRequest{V2: v2, Prefix: prefix, Delimiter: delim, MaxKeys: limit, ContinuationToken: token, Marker: after}
				if limit == 0 {
					req.MaxKeys = 0
				}
				res, err := List(context.Background(), req, sources)
				if err != nil {
					t.Fatal(err)
				}
				want, wantTrunc := model(all, prefix, delim, after, limit)
				pageEntries := sortEntries(entries(res))
				if !slices.Equal(pageEntries, want) || res.IsTruncated != wantTrunc {
					t.Fatalf("round %d v2=%v prefix %q delim %q after %q max %d:\n got %q truncated %v\nwant %q truncated %v",
						round, v2, prefix, delim, after, limit, pageEntries, res.IsTruncated, want, wantTrunc)
				}
				got = append(got, pageEntries...)
				if !res.IsTruncated {
					break
				}
				last := strings.TrimPrefix(pageEntries[len(pageEntries)-1], "CP:")
				if v2 {
					token = res.NextContinuationToken
				} else if delim != "" && res.NextMarker != last {
					t.Fatalf("NextMarker %q, want the last entry %q", res.NextMarker, last)
				}
				after = last
				if page > 100 {
					t.Fatal("pagination does not end")
				}
			}
			if limit > 0 {
				want, _ := model(all, prefix, delim, "", 1<<30)
				if !slices.Equal(got, want) {
					t.Fatalf("round %d v2=%v: paginated %q, want %q", round, v2, got, want)
				}
			}
		}
	}
}

func TestListDuplicatesFirstSourceWins(t *testing.T) {
	a, b := newSource("k1", "k2"), newSource("k2", "k3")
	b.objs[0].Size = 999
	res := list(t, "", true, a, b)
	if got := entries(res); !slices.Equal(got, []string{"k1", "k2", "k3"}) {
		t.Fatalf("entries %q", got)
	}
	if res.Objects[1].Size != 2 {
		t.Errorf("k2 came from the second source (size %d)", res.Objects[1].Size)
	}
}

// TestListCostPerPage checks that a page costs O(page): a directory of a
// million keys rolls up in one step, and a continuation token resumes
// without walking from the start.
func TestListCostPerPage(t *testing.T) {
	big := &genSource{dir: "big/", n: 1_000_000}
	small := newSource("a", "big", "c/1", "c/2", "d")
	res := list(t, "delimiter=/", true, small, big)
	if got := entries(res); !slices.Equal(got, []string{"a", "big", "d", "CP:big/", "CP:c/"}) {
		t.Fatalf("entries %q", got)
	}
	if big.yields > 2 {
		t.Errorf("rolling up big/ read %d keys", big.yields)
	}

	big.yields = 0
	res = list(t, "prefix=big/&max-keys=10", true, big)
	token := res.NextContinuationToken
	for range 50 {
		res = list(t, "prefix=big/&max-keys=10&continuation-token="+url.QueryEscape(token), true, big)
		token = res.NextContinuationToken
	}
	if res.Objects[0].Key != "big/00000500" {
		t.Errorf("page 51 starts at %q", res.Objects[0].Key)
	}
	if big.yields > 51*11 {
		t.Errorf("51 pages of 10 read %d keys", big.yields)
	}

	big.yields = 0
	res = list(t, "prefix=big/&start-after=big/00999990", true, big)
	if len(res.Objects) != 9 || res.IsTruncated || big.yields > 10 {
		t.Errorf("start-after near the end: %d objects, truncated %v, %d keys read", len(res.Objects), res.IsTruncated, big.yields)
	}
}

func TestListSourceError(t *testing.T) {
	s := newSource("a", "b", "c")
	s.failAt = "c"
	req, _ := ParseListRequest(url.Values{}, true)
	_, err := List(context.Background(), req, []Source{s})
	if e := AsError(err); e.Code != "AccessDenied" || e.Status != http.StatusForbidden {
		t.Errorf("source error became %v", err)
	}
	// A page that ends before the failing key does not see the error.
	req.MaxKeys = 1
	if _, err := List(context.Background(), req, []Source{s}); err != nil {
		t.Errorf("page before the failure: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := List(ctx, req, []Source{newSource("a")}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}

// outOfOrder yields keys in the wrong order.
type outOfOrder struct{}

func (outOfOrder) Objects(ctx context.Context, prefix, from string) iter.Seq2[ListEntry, error] {
	return func(yield func(ListEntry, error) bool) {
		for _, k := range []string{"b", "a"} {
			if !yield(ListEntry{Key: k}, nil) {
				return
			}
		}
	}
}

// sloppy ignores prefix and from.
type sloppy struct{ keys []string }

func (s sloppy) Objects(ctx context.Context, prefix, from string) iter.Seq2[ListEntry, error] {
	return func(yield func(ListEntry, error) bool) {
		for _, k := range s.keys {
			if !yield(ListEntry{Key: k}, nil) {
				return
			}
		}
	}
}

func TestListBadSources(t *testing.T) {
	req, _ := ParseListRequest(url.Values{}, true)
	_, err := List(context.Background(), req, []Source{outOfOrder{}})
	if e := AsError(err); e.Code != "InternalError" || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("out of order source: %v", err)
	}
	res := list(t, "prefix=b/&start-after=b/1", true, sloppy{keys: []string{"a", "b/0", "b/1", "b/2", "c", "b/3"}})
	if got := entries(res); !slices.Equal(got, []string{"b/2"}) {
		t.Errorf("sloppy source: %q", got)
	}
}

func TestSuccessor(t *testing.T) {
	for in, want := range map[string]string{"a/": "a0", "a": "b", "a\xff": "b", "é/": "é0", "a\xff\xff": "b"} {
		if got, ok := successor(in); !ok || got != want {
			t.Errorf("successor(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "\xff", "\xff\xff"} {
		if _, ok := successor(in); ok {
			t.Errorf("successor(%q) exists", in)
		}
	}
}
