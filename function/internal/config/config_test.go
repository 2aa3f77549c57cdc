package config

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// setenv replaces the S3ARCHIVEFS_* environment with vars for the test
// and returns the environ slice Load expects.
func setenv(t *testing.T, vars map[string]string) []string {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, Prefix+"_") {
			t.Setenv(k, "") // registers the restore
			os.Unsetenv(k)
		}
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	return os.Environ()
}

func noFile(name string) ([]byte, error) { return nil, os.ErrNotExist }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(setenv(t, nil), noFile)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{CacheDir: "/tmp", RevalidateInterval: 30 * time.Second, CacheSettleTimeout: 2 * time.Second, OpenArchives: 64,
		MemoryCacheBytes: 32 << 20, TailPrefetchBytes: 256 << 10, Engine: "auto", NativeLibDir: "/opt/lib", LogLevel: slog.LevelInfo}
	if c.CacheDir != want.CacheDir || c.CacheChunkSize != 0 || c.CacheMaxBytes != 0 || c.RevalidateInterval != want.RevalidateInterval ||
		c.CacheSettleTimeout != want.CacheSettleTimeout ||
		c.OpenArchives != want.OpenArchives || c.MemoryCacheBytes != want.MemoryCacheBytes || c.TailPrefetchBytes != want.TailPrefetchBytes ||
		c.Engine != want.Engine || c.NativeLibDir != want.NativeLibDir || c.LogLevel != want.LogLevel || c.WGOREndpointURL != "" {
		t.Errorf("defaults: got %+v", c)
	}
	if c.VMap == nil || c.VMap.Len() != 0 || len(c.Unknown) != 0 {
		t.Errorf("defaults: vmap %v unknown %v", c.VMap, c.Unknown)
	}
}

func TestLoadValues(t *testing.T) {
	environ := setenv(t, map[string]string{
		"S3ARCHIVEFS_CACHE_DIR":            "/mnt/efs/cache",
		"S3ARCHIVEFS_CACHE_CHUNK_SIZE":     "256K", // 256000 rounds down to 131072
		"S3ARCHIVEFS_CACHE_MAX_BYTES":      "2Gi",
		"S3ARCHIVEFS_REVALIDATE_INTERVAL":  "90",
		"S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT": "0",
		"S3ARCHIVEFS_OPEN_ARCHIVES":        "8",
		"S3ARCHIVEFS_MEMORY_CACHE_BYTES":   "64MiB",
		"S3ARCHIVEFS_TAIL_PREFETCH_BYTES":  "0",
		"S3ARCHIVEFS_ENGINE":               "Native",
		"S3ARCHIVEFS_NATIVE_LIB_DIR":       "/opt/lib64",
		"S3ARCHIVEFS_LOG_LEVEL":            "DEBUG",
		"S3ARCHIVEFS_WGOR_ENDPOINT_URL":    "http://127.0.0.1:9000",
		"S3ARCHIVEFS_PREFIX_VMAP2":         "/datasets/linux/|s3://archive-bucket/linux.sqfs",
		"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "/etc/vmap",
		"S3ARCHIVEFS_CACHEDIR":             "/typo",
		"S3ARCHIVEFS_PREFIX_VMAP21":        "x|s3://abc/k",
		"OTHER_VARIABLE":                   "ignored",
	})
	readFile := func(name string) ([]byte, error) {
		if name != "/etc/vmap" {
			return nil, os.ErrNotExist
		}
		return []byte("# more\nother|s3://archive-bucket/other.sqfs\n"), nil
	}
	c, err := Load(environ, readFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.CacheDir != "/mnt/efs/cache" || c.CacheChunkSize != 131072 || c.CacheMaxBytes != 2<<30 || c.RevalidateInterval != 90*time.Second ||
		c.CacheSettleTimeout != 0 ||
		c.OpenArchives != 8 || c.MemoryCacheBytes != 64<<20 || c.TailPrefetchBytes != 0 || c.Engine != "native" ||
		c.NativeLibDir != "/opt/lib64" || c.LogLevel != slog.LevelDebug || c.WGOREndpointURL != "http://127.0.0.1:9000" {
		t.Errorf("values: got %+v", c)
	}
	if c.VMap.Len() != 2 {
		t.Errorf("vmap has %d entries, want 2", c.VMap.Len())
	}
	if e, inner, ok := c.VMap.Resolve("datasets/linux/README"); !ok || e.Key != "linux.sqfs" || inner != "README" {
		t.Errorf("vmap does not resolve: %+v %q %v", e, inner, ok)
	}
	if strings.Join(c.Unknown, ",") != "S3ARCHIVEFS_CACHEDIR,S3ARCHIVEFS_PREFIX_VMAP21" {
		t.Errorf("unknown variables %v", c.Unknown)
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"S3ARCHIVEFS_CACHE_DIR", "relative/dir", "absolute"},
		{"S3ARCHIVEFS_CACHE_DIR", "", "absolute"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "abc", "not a size"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "-4096", "negative"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "1000", "4 KiB to 8 MiB"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "16Mi", "4 KiB to 8 MiB"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "4095", "4 KiB to 8 MiB"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "128Mi", "4 KiB to 8 MiB"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "99999999999Gi", "too large"},
		{"S3ARCHIVEFS_CACHE_CHUNK_SIZE", "1.5M", "not a size"},
		{"S3ARCHIVEFS_CACHE_MAX_BYTES", "-1", "negative"},
		{"S3ARCHIVEFS_REVALIDATE_INTERVAL", "-5s", "negative"},
		{"S3ARCHIVEFS_REVALIDATE_INTERVAL", "-5", "out of range"},
		{"S3ARCHIVEFS_REVALIDATE_INTERVAL", "soon", "not a duration"},
		{"S3ARCHIVEFS_CACHE_SETTLE_TIMEOUT", "-1s", "negative"},
		{"S3ARCHIVEFS_OPEN_ARCHIVES", "0", "at least 1"},
		{"S3ARCHIVEFS_OPEN_ARCHIVES", "many", "S3ARCHIVEFS_OPEN_ARCHIVES"},
		{"S3ARCHIVEFS_MEMORY_CACHE_BYTES", "lots", "not a size"},
		{"S3ARCHIVEFS_TAIL_PREFETCH_BYTES", "1Gi", "at most 64 MiB"},
		{"S3ARCHIVEFS_ENGINE", "rust", "auto, go or native"},
		{"S3ARCHIVEFS_ENGINE", "", "auto, go or native"},
		{"S3ARCHIVEFS_NATIVE_LIB_DIR", "lib", "absolute"},
		{"S3ARCHIVEFS_LOG_LEVEL", "verbose", "debug, info, warn or error"},
		{"S3ARCHIVEFS_WGOR_ENDPOINT_URL", "127.0.0.1:9000", "http://"},
		{"S3ARCHIVEFS_PREFIX_VMAP4", "a|s3://abc/", "S3ARCHIVEFS_PREFIX_VMAP4"},
		{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE", "/missing", "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE=/missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(setenv(t, map[string]string{tt.name: tt.value}), noFile)
			if err == nil {
				t.Fatalf("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.name) || !strings.Contains(msg, tt.value) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not name %s, quote %q and say %q", msg, tt.name, tt.value, tt.want)
			}
		})
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4096": 4096, "4K": 4000, "4k": 4000, "4Ki": 4096, "4KiB": 4096, "4KB": 4000, "1M": 1e6, "1Mi": 1 << 20,
		"1mi": 1 << 20, "2G": 2e9, "2Gi": 2 << 30, " 8 Mi ": 8 << 20,
	} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "Ki", "K", "1.5K", "1Ti", "0x10", "1 2"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
}

func TestFloorPow2(t *testing.T) {
	for in, want := range map[int64]int64{1: 1, 2: 2, 3: 2, 4096: 4096, 4097: 4096, 8191: 4096, 256000: 131072, 64 << 20: 64 << 20} {
		if got := floorPow2(in); got != want {
			t.Errorf("floorPow2(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestKnownCoversTable(t *testing.T) {
	known := strings.Join(Known(), "\n")
	table := MarkdownTable()
	for _, v := range vars() {
		if !strings.Contains(known, v.Name) || !strings.Contains(table, "`"+v.Name+"`") {
			t.Errorf("%s missing from Known or the table", v.Name)
		}
		if v.Meaning == "" {
			t.Errorf("%s has no description", v.Name)
		}
	}
	for _, name := range []string{"S3ARCHIVEFS_PREFIX_VMAP1", "S3ARCHIVEFS_PREFIX_VMAP20", "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE"} {
		if !strings.Contains(known, name+"\n") && !strings.HasSuffix(known, name) {
			t.Errorf("%s is not known", name)
		}
	}
	if !strings.HasPrefix(table, "| Variable | Meaning | Default |\n|---|---|---|\n") {
		t.Errorf("table header: %q", table[:60])
	}
	if n := strings.Count(table, "\n"); n != len(Vars())+2 {
		t.Errorf("table has %d lines for %d variables", n, len(Vars()))
	}
}

// TestREADMETable keeps README.md's configuration table identical to
// MarkdownTable(). The table follows a line "<!-- config-table -->".
var updateREADME = flag.Bool("update-readme", false, "rewrite README.md's configuration table from MarkdownTable()")

// TestREADMETable keeps README.md's table equal to what the code reads.
// go test ./function/internal/config -run README -update-readme rewrites it.
func TestREADMETable(t *testing.T) {
	const path = "../../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("README.md not readable: %v", err)
	}
	const marker = "<!-- config-table -->"
	before, after, found := strings.Cut(string(data), marker+"\n")
	if !found {
		t.Fatal("README.md has no " + marker + " line: the configuration table goes under it")
	}
	want := MarkdownTable()
	if strings.HasPrefix(after, want) {
		return
	}
	if *updateREADME {
		lines := strings.SplitAfter(after, "\n")
		i := 0
		for i < len(lines) && strings.HasPrefix(lines[i], "|") {
			i++
		}
		out := before + marker + "\n" + want + strings.Join(lines[i:], "")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's configuration table differs from config.MarkdownTable(); run: go test ./function/internal/config -run README -update-readme")
}

func TestExtFileSHA256(t *testing.T) {
	content := []byte("data|s3://archive-bucket/data.sqfs\n")
	sum := fmt.Sprintf("%x", sha256.Sum256(content))
	readFile := func(string) ([]byte, error) { return content, nil }
	tests := []struct {
		vars    map[string]string
		wantErr string
	}{
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "s3://cfg/vmap", "S3ARCHIVEFS_PREFIX_VMAP_EXT_SHA256": sum}, ""},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "s3://cfg/vmap", "S3ARCHIVEFS_PREFIX_VMAP_EXT_SHA256": strings.ToUpper(sum)}, ""},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "s3://cfg/vmap"}, ""},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "s3://cfg/vmap", "S3ARCHIVEFS_PREFIX_VMAP_EXT_SHA256": strings.Repeat("0", 64)}, "warning: content has SHA-256 " + sum},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "s3://cfg/vmap", "S3ARCHIVEFS_PREFIX_VMAP_EXT_SHA256": "abc"}, "not a hex SHA-256"},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_SHA256": sum}, "S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE is not"},
	}
	for i, tt := range tests {
		c, err := Load(setenv(t, tt.vars), readFile)
		if warning, ok := strings.CutPrefix(tt.wantErr, "warning: "); ok {
			if err != nil || c.VMap.Len() != 1 || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], warning) {
				t.Errorf("%d: err %v, warnings %q; want the map served and a warning %q", i, err, c.Warnings, warning)
			}
			continue
		}
		if err == nil && len(c.Warnings) != 0 {
			t.Errorf("%d: unexpected warnings %q", i, c.Warnings)
		}
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%d: %v", i, err)
		case tt.wantErr == "" && c.VMap.Len() != 1:
			t.Errorf("%d: map has %d entries", i, c.VMap.Len())
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%d: err = %v, want %q", i, err, tt.wantErr)
		}
		if c != nil && len(c.Unknown) != 0 {
			t.Errorf("%d: unknown %v", i, c.Unknown)
		}
	}
}

func TestMemoryBudget(t *testing.T) {
	for _, tc := range []struct {
		set    int64
		lambda string
		want   int64
	}{
		{0, "", 256 << 20},
		{0, "1024", 1024 << 20 / 3},
		{0, "128", 128 << 20 / 3},
		{0, "junk", 256 << 20},
		{8 << 20, "1024", 8 << 20},
	} {
		if got := memoryBudget(tc.set, tc.lambda); got != tc.want {
			t.Errorf("memoryBudget(%d, %q) = %d, want %d", tc.set, tc.lambda, got, tc.want)
		}
	}
}
