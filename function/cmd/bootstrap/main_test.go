package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestSetupFailsFast: a bad value stops init with a message naming the
// variable (and, for the ext file, the line).
func TestSetupFailsFast(t *testing.T) {
	ext := t.TempDir() + "/vmap"
	if err := os.WriteFile(ext, []byte("# comment\nok/prefix|s3://bucket-one/a.sqfs\nbroken line without a bar\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"S3ARCHIVEFS_CACHE_CHUNK_SIZE": "lots"}, "S3ARCHIVEFS_CACHE_CHUNK_SIZE"},
		{map[string]string{"S3ARCHIVEFS_ENGINE": "turbo"}, "S3ARCHIVEFS_ENGINE"},
		{map[string]string{"S3ARCHIVEFS_ENGINE": "native", "S3ARCHIVEFS_NATIVE_LIB_DIR": t.TempDir()}, "S3ARCHIVEFS_ENGINE=native"},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP3": "a|b|c"}, "S3ARCHIVEFS_PREFIX_VMAP3"},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": ext}, ext + ":3"},
		{map[string]string{"S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE": "s3://only-a-bucket"}, "s3://bucket/key"},
	}
	for _, tt := range tests {
		clearEnv(t)
		t.Setenv("AWS_REGION", "us-east-1")
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		_, err := setup(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want it to name %q", tt.env, err, tt.want)
		}
	}
	clearEnv(t)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("S3ARCHIVEFS_ENGINE", "go")
	t.Setenv("S3ARCHIVEFS_CACHE_DIR", t.TempDir())
	t.Setenv("S3ARCHIVEFS_PREFIX_VMAP7", "data|s3://bucket-one/data.sqfs")
	if _, err := setup(context.Background()); err != nil {
		t.Errorf("a valid configuration: %v", err)
	}
}

// TestSetupFunctionURL: the function_url front needs its access keys at
// init; a missing or bad keys document stops init, a good one starts.
func TestSetupFunctionURL(t *testing.T) {
	keys := t.TempDir() + "/keys.json"
	base := map[string]string{"S3ARCHIVEFS_FRONT": "function_url", "S3ARCHIVEFS_ENGINE": "go", "S3ARCHIVEFS_CACHE_DIR": t.TempDir(),
		"S3ARCHIVEFS_BUCKET": "served", "S3ARCHIVEFS_KEYS_FILE": keys}
	for _, tc := range []struct{ doc, want string }{
		{"", "no such file"},
		{`{"keys": []}`, "no keys"},
		{`{"keys": [{"access_key_id": "A", "secret_access_key": "s", "allow_prefixes": [""]}]}`, ""},
	} {
		if tc.doc != "" {
			if err := os.WriteFile(keys, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		clearEnv(t)
		t.Setenv("AWS_REGION", "us-east-1")
		for k, v := range base {
			t.Setenv(k, v)
		}
		_, err := setup(context.Background())
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("keys %q: %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func clearEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "S3ARCHIVEFS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}
