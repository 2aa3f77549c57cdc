// Package config reads the function's S3ARCHIVEFS_* environment at init
// and validates all of it, so a typo or an impossible value stops the
// function with a message naming the variable instead of doing nothing.
package config

import (
	"crypto/sha256"
	"github.com/s3archivefs/s3archivefs/function/internal/chunkcache"

	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

// Prefix starts every variable the function reads.
const Prefix = "S3ARCHIVEFS"

// Config is the validated configuration.
type Config struct {
	CacheDir           string
	CacheChunkSize     int64 // 0: the archive's block size
	CacheMaxBytes      int64 // 0: the chunk cache decides
	RevalidateInterval time.Duration
	// CacheSettleTimeout bounds the wait after each Lambda answer for
	// the chunk cache's work in progress; 0: no wait.
	CacheSettleTimeout time.Duration
	OpenArchives       int
	MemoryCacheBytes   int64
	MemoryBudgetBytes  int64 // resolved: never 0
	TailPrefetchBytes  int64
	Engine             string // auto, go or native
	NativeLibDir       string
	LogLevel           slog.Level
	// WGOREndpointURL sends WriteGetObjectResponse to a local Object
	// Lambda endpoint; empty on AWS.
	WGOREndpointURL string
	// S3PathStyle: an S3 endpoint override means path-style addressing.
	S3PathStyle bool
	VMap        *vmap.Map
	// Front is the front bootstrap runs: FrontObjectLambda or FrontFunctionURL.
	Front string
	// S3 is what a front that is itself an S3 endpoint needs (the
	// function URL, `s3archivefs serve`).
	S3 S3Endpoint
	// Unknown lists S3ARCHIVEFS_* variables in the environment that
	// nothing reads; the caller logs them.
	Unknown []string
	// Warnings are problems that do not stop init; the caller logs them.
	Warnings []string
}

// spec is what envconfig fills: one field per variable, its name derived
// from the field name (split_words), and the desc and default tags that
// also make the README table. No field has an envconfig tag: with one,
// envconfig would fall back to the unprefixed name (CACHE_DIR), which is
// not ours to read.
type spec struct {
	CacheDir            string   `split_words:"true" default:"/tmp" desc:"Directory of the chunk cache: /tmp, or an EFS mount shared by all instances."`
	CacheChunkSize      byteSize `split_words:"true" default:"0" desc:"Size of a cache chunk (the unit of every ranged GET). Bytes, or with a K, M, Ki or Mi suffix; rounded down to a power of two, 4 KiB to 8 MiB; smaller than the archive's block size, or 0, uses the block size."`
	CacheMaxBytes       byteSize `split_words:"true" default:"0" desc:"Cap on the chunk cache's size on disk. 0 lets the cache size itself from the free space."`
	RevalidateInterval  duration `split_words:"true" default:"30s" desc:"How long an open archive is trusted before a HEAD checks that its ETag has not changed (Go duration, or seconds)."`
	CacheSettleTimeout  duration `split_words:"true" default:"2s" desc:"Lambda only: after each answer, how long the instance waits at most for its chunk fetches and cache writes still in progress before it asks for the next event. Lambda freezes the instance then, and a write frozen halfway leaves the other instances on a shared (EFS) cache without that chunk. The client does not wait (its answer is complete); the invocation lasts that much longer. Never past the invocation's deadline; 0: no wait (Go duration, or seconds)."`
	OpenArchives        int      `split_words:"true" default:"64" desc:"Archives kept open per instance (superblock, tables, caches)."`
	MemoryCacheBytes    byteSize `split_words:"true" default:"32Mi" desc:"Per archive: cap on its share of the memory budget's decompressed metadata and fragment blocks."`
	MemoryBudgetBytes   byteSize `split_words:"true" default:"0" desc:"Process-wide bound on what open archives hold in memory, all together: decompressed metadata and fragment blocks (LRU), and each open archive's head, tail and tables (archives are closed, least recently used first, to keep these within half). 0: a third of AWS_LAMBDA_FUNCTION_MEMORY_SIZE, or 256 MiB outside Lambda."`
	TailPrefetchBytes   byteSize `split_words:"true" default:"256Ki" desc:"Bytes read from the end of an archive when it is opened (its tables live there), in one suffix GET."`
	Engine              string   `default:"auto" desc:"Block decompressor: go (pure Go), native (libsquashfs from the layer) or auto (native when the layer is present, except gzip: pure Go decodes it faster)."`
	NativeLibDir        string   `split_words:"true" default:"/opt/lib" desc:"Where the layer's libsquashfs is found."`
	LogLevel            string   `split_words:"true" default:"info" desc:"Log level: debug, info, warn or error. Logs are JSON, one line per request."`
	WGOREndpointURL     string   `split_words:"true" desc:"Local testing only: base URL that receives WriteGetObjectResponse instead of S3. Unset on AWS."`
	S3PathStyle         string   `split_words:"true" desc:"Set to false to keep virtual-hosted addressing when AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) overrides the S3 endpoint; by default an override means path-style, which S3-compatible servers need. No effect on AWS."`
	PrefixVmapExtSha256 string   `split_words:"true" desc:"SHA-256 (hex) of the VMAP ext file's content, set by Terraform so that a changed map changes the function's configuration; a file that does not match is logged as a warning."`
	Front               string   `default:"object_lambda" desc:"Which front bootstrap runs, chosen at init: object_lambda (S3 Object Lambda events) or function_url (S3 REST through a Lambda function URL, SigV4 checked by the function)."`
	KeysSecretArn       string   `split_words:"true" desc:"function_url: ARN of the Secrets Manager secret holding the access keys clients sign with (JSON: {\"keys\": [{\"access_key_id\", \"secret_access_key\", \"allow_prefixes\"}]})."`
	KeysFile            string   `split_words:"true" desc:"A local file with the access keys in the same JSON (for s3archivefs serve and tests); exactly one of it and the secret."`
	KeysRefreshInterval duration `split_words:"true" default:"5m" desc:"How old the access keys may get before the next request re-reads them (Go duration, or seconds)."`
	Bucket              string   `desc:"The bucket name clients address (/<bucket>/<key> or <bucket>.<host>) on the function_url front and serve. Default: the real bucket."`
	RealBucket          string   `split_words:"true" desc:"function_url and serve: the bucket whose real objects (keys outside the VMAP) are read and listed with the function's own role; unset, only virtual keys exist."`
}

// The fronts bootstrap can run.
const (
	FrontObjectLambda = "object_lambda"
	FrontFunctionURL  = "function_url"
)

// S3Endpoint configures a front that is an S3 endpoint of its own.
type S3Endpoint struct {
	// KeysSecretARN or KeysFile holds the access keys; Validate insists
	// on exactly one.
	KeysSecretARN, KeysFile string
	KeysRefreshInterval     time.Duration
	// Bucket is the name clients use; RealBucket holds the real objects.
	Bucket, RealBucket string
}

// Validate checks what serving S3 directly needs; Load calls it for the
// function_url front, `s3archivefs serve` always.
func (e S3Endpoint) Validate() error {
	switch {
	case e.KeysSecretARN != "" && e.KeysFile != "":
		return fmt.Errorf("%s and %s are both set: the access keys come from one of them", key("KeysSecretArn"), key("KeysFile"))
	case e.KeysSecretARN == "" && e.KeysFile == "":
		return fmt.Errorf("%s (on Lambda) or %s is required: it holds the access keys clients sign with", key("KeysSecretArn"), key("KeysFile"))
	case e.Bucket == "":
		return fmt.Errorf("%s (or %s) is required: the bucket name clients address", key("Bucket"), key("RealBucket"))
	}
	for _, b := range []struct{ field, name string }{{"Bucket", e.Bucket}, {"RealBucket", e.RealBucket}} {
		if b.name != "" && !validBucketName(b.name) {
			return fmt.Errorf("%s=%q: not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", key(b.field), b.name)
		}
	}
	return nil
}

func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 || strings.Trim(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
		return false
	}
	first, last := b[0], b[len(b)-1]
	return first != '.' && first != '-' && last != '.' && last != '-' && !strings.Contains(b, "..")
}

// Size limits of a cache chunk.
const (
	MinChunkSize = 4 << 10
	MaxChunkSize = chunkcache.MaxChunkSize
	// maxTailPrefetch bounds the suffix GET made when an archive opens.
	maxTailPrefetch = 64 << 20
)

// Load reads the configuration. environ is os.Environ(): envconfig reads
// the process environment for the fields, environ is searched for the
// VMAP entries and for unknown variables. readFile reads the VMAP ext
// file.
func Load(environ []string, readFile func(string) ([]byte, error)) (*Config, error) {
	var s spec
	if err := envconfig.Process(Prefix, &s); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s=%q: %w", pe.KeyName, pe.Value, pe.Err)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	c := &Config{
		CacheDir:           s.CacheDir,
		CacheChunkSize:     s.CacheChunkSize.n,
		CacheMaxBytes:      s.CacheMaxBytes.n,
		RevalidateInterval: s.RevalidateInterval.d,
		CacheSettleTimeout: s.CacheSettleTimeout.d,
		OpenArchives:       s.OpenArchives,
		MemoryCacheBytes:   s.MemoryCacheBytes.n,
		MemoryBudgetBytes:  memoryBudget(s.MemoryBudgetBytes.n, env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]),
		TailPrefetchBytes:  s.TailPrefetchBytes.n,
		Engine:             strings.ToLower(strings.TrimSpace(s.Engine)),
		NativeLibDir:       s.NativeLibDir,
		WGOREndpointURL:    strings.TrimSpace(s.WGOREndpointURL),
	}
	if err := c.validate(s); err != nil {
		return nil, err
	}
	c.Front = strings.TrimSpace(s.Front)
	c.S3 = S3Endpoint{KeysSecretARN: strings.TrimSpace(s.KeysSecretArn), KeysFile: strings.TrimSpace(s.KeysFile),
		KeysRefreshInterval: s.KeysRefreshInterval.d, Bucket: strings.TrimSpace(s.Bucket), RealBucket: strings.TrimSpace(s.RealBucket)}
	if c.S3.Bucket == "" {
		c.S3.Bucket = c.S3.RealBucket
	}
	switch {
	case c.Front != FrontObjectLambda && c.Front != FrontFunctionURL:
		return nil, fmt.Errorf("%s=%q: must be %s or %s", key("Front"), s.Front, FrontObjectLambda, FrontFunctionURL)
	case c.S3.KeysRefreshInterval <= 0:
		return nil, fmt.Errorf("%s=%q: must be positive", key("KeysRefreshInterval"), s.KeysRefreshInterval.raw)
	}
	if c.Front == FrontFunctionURL {
		if err := c.S3.Validate(); err != nil {
			return nil, fmt.Errorf("%s=%s: %w", key("Front"), FrontFunctionURL, err)
		}
	}
	pathStyle, err := parsePathStyle(s.S3PathStyle)
	if err != nil {
		return nil, err
	}
	c.S3PathStyle = pathStyle
	if want := strings.ToLower(strings.TrimSpace(s.PrefixVmapExtSha256)); want != "" {
		if len(want) != 64 || strings.Trim(want, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("%s=%q: not a hex SHA-256", key("PrefixVmapExtSha256"), s.PrefixVmapExtSha256)
		}
		if env[vmap.EnvExtFile] == "" {
			return nil, fmt.Errorf("%s is set but %s is not", key("PrefixVmapExtSha256"), vmap.EnvExtFile)
		}
		readFile = verified(readFile, want, &c.Warnings)
	}
	m, err := vmap.FromEnv(func(k string) string { return env[k] }, readFile)
	if err != nil {
		return nil, err
	}
	c.VMap = m
	c.Unknown = unknown(env)
	return c, nil
}

func (c *Config) validate(s spec) error {
	bad := func(field, value, why string) error {
		return fmt.Errorf("%s=%q: %s", key(field), value, why)
	}
	if c.CacheDir == "" || !filepath.IsAbs(c.CacheDir) {
		return bad("CacheDir", c.CacheDir, "must be an absolute directory path")
	}
	if c.CacheChunkSize != 0 {
		n := floorPow2(c.CacheChunkSize)
		if n < MinChunkSize || n > MaxChunkSize {
			return bad("CacheChunkSize", s.CacheChunkSize.raw,
				fmt.Sprintf("a chunk must be 4 KiB to 8 MiB (this rounds down to %d bytes); 0 uses the archive's block size", n))
		}
		c.CacheChunkSize = n
	}
	if c.RevalidateInterval < 0 {
		return bad("RevalidateInterval", s.RevalidateInterval.raw, "must not be negative")
	}
	if c.CacheSettleTimeout < 0 {
		return bad("CacheSettleTimeout", s.CacheSettleTimeout.raw, "must not be negative")
	}
	if c.OpenArchives < 1 {
		return bad("OpenArchives", strconv.Itoa(c.OpenArchives), "must be at least 1")
	}
	if c.TailPrefetchBytes > maxTailPrefetch {
		return bad("TailPrefetchBytes", s.TailPrefetchBytes.raw, "must be at most 64 MiB")
	}
	switch c.Engine {
	case "auto", "go", "native":
	default:
		return bad("Engine", s.Engine, "must be auto, go or native")
	}
	if c.NativeLibDir == "" || !filepath.IsAbs(c.NativeLibDir) {
		return bad("NativeLibDir", c.NativeLibDir, "must be an absolute directory path")
	}
	switch strings.ToLower(strings.TrimSpace(s.LogLevel)) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return bad("LogLevel", s.LogLevel, "must be debug, info, warn or error")
	}
	if u := c.WGOREndpointURL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return bad("WGOREndpointURL", u, "must be an http:// or https:// URL")
	}
	return nil
}

// memoryBudget resolves S3ARCHIVEFS_MEMORY_BUDGET_BYTES: a third of the
// function's memory leaves the rest to the Go runtime, request buffers and
// the garbage collector's headroom.
func memoryBudget(set int64, lambdaMiB string) int64 {
	if set > 0 {
		return set
	}
	if mib, err := strconv.ParseInt(lambdaMiB, 10, 64); err == nil && mib > 0 {
		return mib << 20 / 3
	}
	return 256 << 20
}

// floorPow2 rounds n > 0 down to a power of two (chunks then align with
// squashfs blocks, which are powers of two).
func floorPow2(n int64) int64 {
	if n <= 1 {
		return 1
	}
	return 1 << (bits.Len64(uint64(n)) - 1)
}

// Known returns the names of every variable the function reads, sorted.
func Known() []string {
	var names []string
	for _, v := range vars() {
		names = append(names, v.Name)
	}
	for i := 1; i <= vmap.EnvMaxIndex; i++ {
		names = append(names, vmap.EnvPrefix+strconv.Itoa(i))
	}
	names = append(names, vmap.EnvExtFile)
	sort.Strings(names)
	return names
}

func unknown(env map[string]string) []string {
	known := map[string]bool{}
	for _, n := range Known() {
		known[n] = true
	}
	var out []string
	for k := range env {
		if strings.HasPrefix(k, Prefix+"_") && !known[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// byteSize is a size in bytes written as a number with an optional
// suffix: K, M, G (powers of 1000) or Ki, Mi, Gi (powers of 1024),
// optionally followed by B.
type byteSize struct {
	n   int64
	raw string
}

func (b *byteSize) Decode(v string) error {
	n, err := parseBytes(v)
	if err != nil {
		return err
	}
	*b = byteSize{n: n, raw: v}
	return nil
}

func parseBytes(v string) (int64, error) {
	s := strings.TrimSpace(v)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "b")
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}} {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("not a size in bytes (want e.g. 1048576, 1Mi or 512K)")
	case n < 0:
		return 0, fmt.Errorf("must not be negative")
	case n > (1<<62)/mult:
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}

// duration is a Go duration ("30s", "5m") or a number of seconds.
type duration struct {
	d   time.Duration
	raw string
}

func (d *duration) Decode(v string) error {
	s := strings.TrimSpace(v)
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs < 0 || secs > int64((1<<62)/time.Second) {
			return fmt.Errorf("out of range")
		}
		*d = duration{d: time.Duration(secs) * time.Second, raw: v}
		return nil
	}
	x, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("not a duration (want e.g. 30s, 5m or a number of seconds)")
	}
	*d = duration{d: x, raw: v}
	return nil
}

// verified wraps readFile to check the content's SHA-256. Terraform writes
// the ext file before it updates the function, so an instance that starts
// in between reads the new map with the old hash: the map read is the one
// to serve (it is what the next configuration names), and the mismatch is
// a warning. A file changed behind Terraform's back shows up the same way.
func verified(readFile func(string) ([]byte, error), want string, warnings *[]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		data, err := readFile(name)
		if err != nil {
			return nil, err
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != want {
			*warnings = append(*warnings, fmt.Sprintf("%s: content has SHA-256 %s, but %s says %s (changed outside Terraform, or an apply is in progress); serving the content read",
				name, got, key("PrefixVmapExtSha256"), want))
		}
		return data, nil
	}
}

// PathStyle reads S3ARCHIVEFS_S3_PATH_STYLE from the environment, as Load
// does: whether an S3 endpoint override means path-style addressing. The
// S3 client must exist before Load (the VMAP ext file may be in S3), so
// this is read on its own. getenv is os.Getenv.
func PathStyle(getenv func(string) string) (bool, error) {
	return parsePathStyle(getenv(key("S3PathStyle")))
}

// parsePathStyle: unset or true (any case) is path-style, false is not.
func parsePathStyle(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%s=%q: must be true or false", key("S3PathStyle"), v)
}
