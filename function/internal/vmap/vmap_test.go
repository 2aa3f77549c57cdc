package vmap

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestParseEntries(t *testing.T) {
	tests := []struct {
		text             string
		prefix, bkt, key string
	}{
		{"datasets/linux|s3://archive-bucket/archives/linux.sqfs", "datasets/linux", "archive-bucket", "archives/linux.sqfs"},
		{"/datasets/linux/|s3://archive-bucket/linux.sqfs", "datasets/linux", "archive-bucket", "linux.sqfs"},
		{"  a | s3://abc/k  ", "a", "abc", "k"},
		{"/|s3://abc/root.sqfs", "", "abc", "root.sqfs"},
		{"x|S3://abc/k", "x", "abc", "k"},
		{"x|s3://abc/dir/my file%20?#.sqfs", "x", "abc", "dir/my file%20?#.sqfs"},
		{"x|s3://my.bucket-1/k", "x", "my.bucket-1", "k"},
		{"x|s3://ap-123-s3alias/k", "x", "ap-123-s3alias", "k"},
		{"x|s3://b--usw2-az1--x-s3/k", "x", "b--usw2-az1--x-s3", "k"},
		{"日本/データ|s3://abc/k", "日本/データ", "abc", "k"},
	}
	for _, tt := range tests {
		m, err := Parse([]Line{{Text: tt.text, Source: "S3ARCHIVEFS_PREFIX_VMAP1"}})
		if err != nil {
			t.Errorf("%q: %v", tt.text, err)
			continue
		}
		e := m.Entries()[0]
		if e.Prefix != tt.prefix || e.Bucket != tt.bkt || e.Key != tt.key || e.Source != "S3ARCHIVEFS_PREFIX_VMAP1" {
			t.Errorf("%q: got %+v, want prefix %q bucket %q key %q", tt.text, e, tt.prefix, tt.bkt, tt.key)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"no-pipe s3://abc/k", "exactly one '|'"},
		{"a|b|s3://abc/k", "exactly one '|'"},
		{"|s3://abc/k", "prefix is empty"},
		{"a|http://abc/k", "must start with s3://"},
		{"a|abc/k", "must start with s3://"},
		{"a|s3://abc", "names no object"},
		{"a|s3://abc/", "names no object"},
		{"a|s3://abc/dir/", "ends in '/'"},
		{"a|s3://ab/k", "3 to 63"},
		{"a|s3://" + strings.Repeat("a", 64) + "/k", "3 to 63"},
		{"a|s3://ABC/k", "lowercase"},
		{"a|s3://a_b/k", "lowercase"},
		{"a|s3://-abc/k", "begin and end"},
		{"a|s3://abc-/k", "begin and end"},
		{"a|s3://a..b/k", "adjacent periods"},
		{"a|s3://192.168.5.4/k", "IP address"},
		{"a|s3://xn--abc/k", "reserved"},
		{"a|s3://sthree-abc/k", "reserved"},
		{"a|s3:///k", "3 to 63"},
		{"a//b|s3://abc/k", "empty path segment"},
		{"a/../b|s3://abc/k", `".." path segment`},
		{"./b|s3://abc/k", `"." path segment`},
		{"a|s3://abc/" + strings.Repeat("k", 1025), "longer than 1024"},
		{"a|s3://abc/\xff", "UTF-8"},
		{"\xff|s3://abc/k", "UTF-8"},
	}
	for _, tt := range tests {
		_, err := Parse([]Line{{Text: tt.text, Source: "S3ARCHIVEFS_PREFIX_VMAP7"}})
		if err == nil {
			t.Errorf("%q: no error, want %q", tt.text, tt.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, "S3ARCHIVEFS_PREFIX_VMAP7: ") || !strings.Contains(msg, strconv.Quote(tt.text)) {
			t.Errorf("%q: error %q does not name the variable, quote the text and say %q", tt.text, msg, tt.want)
		}
	}
}

func TestParseDuplicate(t *testing.T) {
	_, err := Parse([]Line{
		{Text: "a/b|s3://abc/one", Source: "S3ARCHIVEFS_PREFIX_VMAP1"},
		{Text: "/a/b/|s3://abc/two", Source: "/etc/vmap:4"},
	})
	if err == nil || !strings.Contains(err.Error(), "/etc/vmap:4") || !strings.Contains(err.Error(), "already mapped by S3ARCHIVEFS_PREFIX_VMAP1") {
		t.Fatalf("duplicate prefix: got %v", err)
	}
	_, err = Parse([]Line{{Text: "/|s3://abc/one", Source: "A"}, {Text: "/|s3://abc/two", Source: "B"}})
	if err == nil || !strings.Contains(err.Error(), `"/" is already mapped by A`) {
		t.Fatalf("duplicate root: got %v", err)
	}
}

func TestResolve(t *testing.T) {
	m, err := Parse([]Line{
		{Text: "virtual/prefix|s3://abc/p.sqfs", Source: "1"},
		{Text: "virtual/prefix/deeper|s3://abc/d.sqfs", Source: "2"},
		{Text: "other|s3://abc/o.sqfs", Source: "3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, archive, inner string
		ok                  bool
	}{
		{"virtual/prefix/a.txt", "p.sqfs", "a.txt", true},
		{"virtual/prefix/dir/a.txt", "p.sqfs", "dir/a.txt", true},
		{"virtual/prefix", "p.sqfs", "", true},
		{"virtual/prefix/", "p.sqfs", "", true},
		{"virtual/prefix10/x", "", "", false},
		{"virtual/prefi", "", "", false},
		{"virtual", "", "", false},
		{"virtual/prefix/deeper/x", "d.sqfs", "x", true},
		{"virtual/prefix/deeperx/x", "p.sqfs", "deeperx/x", true},
		{"virtual/prefix/deeper", "d.sqfs", "", true},
		{"other/x/y/z", "o.sqfs", "x/y/z", true},
		{"/other/x", "", "", false},
		{"", "", "", false},
		{"otherx", "", "", false},
	}
	for _, tt := range tests {
		e, inner, ok := m.Resolve(tt.key)
		if ok != tt.ok || e.Key != tt.archive || inner != tt.inner {
			t.Errorf("Resolve(%q) = %q, %q, %v; want %q, %q, %v", tt.key, e.Key, inner, ok, tt.archive, tt.inner, tt.ok)
		}
	}

	root, err := Parse([]Line{{Text: "/|s3://abc/root.sqfs", Source: "1"}, {Text: "a|s3://abc/a.sqfs", Source: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][2]string{
		"x/y":  {"root.sqfs", "x/y"},
		"a/b":  {"a.sqfs", "b"},
		"ab/c": {"root.sqfs", "ab/c"},
		"":     {"root.sqfs", ""},
	} {
		e, inner, ok := root.Resolve(key)
		if !ok || e.Key != want[0] || inner != want[1] {
			t.Errorf("root map: Resolve(%q) = %q, %q, %v; want %v", key, e.Key, inner, ok, want)
		}
	}

	var empty *Map
	if _, _, ok := empty.Resolve("x"); ok || empty.Len() != 0 || empty.Entries() != nil {
		t.Error("a nil map is not empty")
	}
}

func TestEntriesSorted(t *testing.T) {
	m, err := Parse([]Line{
		{Text: "b|s3://abc/1", Source: "1"},
		{Text: "a/b|s3://abc/2", Source: "2"},
		{Text: "/|s3://abc/3", Source: "3"},
		{Text: "a|s3://abc/4", Source: "4"},
		{Text: "a-b|s3://abc/5", Source: "5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Entries() {
		got = append(got, e.Prefix)
	}
	if want := []string{"", "a", "a-b", "a/b", "b"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Entries order %q, want %q", got, want)
	}
	if m.Len() != 5 {
		t.Errorf("Len %d", m.Len())
	}
	m.Entries()[0].Prefix = "mutated"
	if m.Entries()[0].Prefix != "" {
		t.Error("Entries exposes the map's own slice")
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"S3ARCHIVEFS_PREFIX_VMAP1":         "one|s3://abc/1.sqfs",
		"S3ARCHIVEFS_PREFIX_VMAP3":         "three|s3://abc/3.sqfs", // gap at 2
		"S3ARCHIVEFS_PREFIX_VMAP20":        "twenty|s3://abc/20.sqfs",
		"S3ARCHIVEFS_PREFIX_VMAP21":        "ignored|s3://abc/21.sqfs",
		"S3ARCHIVEFS_PREFIX_VMAP5":         "   ",
		"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "/etc/vmap.txt",
	}
	file := "# archives\n\nfile/a|s3://abc/a.sqfs\r\n  # indented comment\nfile/b|s3://abc/b.sqfs\n"
	readFile := func(name string) ([]byte, error) {
		if name != "/etc/vmap.txt" {
			return nil, os.ErrNotExist
		}
		return []byte(file), nil
	}
	m, err := FromEnv(func(k string) string { return env[k] }, readFile)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range m.Entries() {
		got[e.Prefix] = e.Source
	}
	want := map[string]string{"one": "S3ARCHIVEFS_PREFIX_VMAP1", "three": "S3ARCHIVEFS_PREFIX_VMAP3",
		"twenty": "S3ARCHIVEFS_PREFIX_VMAP20", "file/a": "/etc/vmap.txt:3", "file/b": "/etc/vmap.txt:5"}
	if len(got) != len(want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("prefix %q from %q, want %q", k, got[k], v)
		}
	}

	file = "ok|s3://abc/a.sqfs\nbad line\n"
	_, err = FromEnv(func(k string) string { return env[k] }, readFile)
	if err == nil || !strings.HasPrefix(err.Error(), `/etc/vmap.txt:2: "bad line"`) {
		t.Errorf("bad ext file line: got %v", err)
	}

	env["S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE"] = "/missing"
	_, err = FromEnv(func(k string) string { return env[k] }, readFile)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE=/missing") {
		t.Errorf("missing ext file: got %v", err)
	}

	big := func(string) ([]byte, error) { return make([]byte, maxExtFileBytes+1), nil }
	env["S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE"] = "/big"
	if _, err := FromEnv(func(k string) string { return env[k] }, big); err == nil {
		t.Error("an oversized ext file was accepted")
	}

	none, err := FromEnv(func(string) string { return "" }, readFile)
	if err != nil || none.Len() != 0 {
		t.Errorf("empty environment: %v, %d entries", err, none.Len())
	}
}

func FuzzParse(f *testing.F) {
	f.Add("datasets/linux|s3://archive-bucket/archives/linux.sqfs\n/|s3://abc/root.sqfs")
	f.Add("a|s3://abc/k\na/b|s3://abc/k2")
	f.Add("a||s3://abc/k")
	f.Fuzz(func(t *testing.T, text string) {
		var lines []Line
		for i, l := range strings.Split(text, "\n") {
			lines = append(lines, Line{Text: l, Source: "line" + string(rune('0'+i%10))})
		}
		m, err := Parse(lines)
		if err != nil {
			if m != nil {
				t.Fatal("map returned with an error")
			}
			return
		}
		entries := m.Entries()
		for i, e := range entries {
			if i > 0 && entries[i-1].Prefix >= e.Prefix {
				t.Fatalf("entries not strictly sorted: %q then %q", entries[i-1].Prefix, e.Prefix)
			}
			if strings.HasPrefix(e.Prefix, "/") || strings.HasSuffix(e.Prefix, "/") || e.Key == "" || strings.HasSuffix(e.Key, "/") {
				t.Fatalf("bad entry %+v", e)
			}
			// A file directly under the prefix resolves to this entry.
			key := e.Prefix + "/f"
			if e.Prefix == "" {
				key = "f"
			}
			got, inner, ok := m.Resolve(key)
			if !ok || got.Prefix != e.Prefix || inner != "f" {
				t.Fatalf("Resolve(%q) = %+v, %q, %v; want entry %q", key, got, inner, ok, e.Prefix)
			}
		}
	})
}
