package config

import (
	"strings"
	"testing"
	"time"
)

// TestFront checks the front choice and what the function_url front
// requires (the contract of issue 17).
func TestFront(t *testing.T) {
	c, err := Load(setenv(t, nil), noFile)
	if err != nil || c.Front != FrontObjectLambda || c.S3.KeysRefreshInterval != 5*time.Minute {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	const arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:keys-AbCdEf"
	c, err = Load(setenv(t, map[string]string{"S3ARCHIVEFS_FRONT": "function_url", "S3ARCHIVEFS_KEYS_SECRET_ARN": arn,
		"S3ARCHIVEFS_REAL_BUCKET": "my-data", "S3ARCHIVEFS_KEYS_REFRESH_INTERVAL": "90s"}), noFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := (S3Endpoint{KeysSecretARN: arn, KeysRefreshInterval: 90 * time.Second, Bucket: "my-data", RealBucket: "my-data"}); c.Front != FrontFunctionURL || c.S3 != want {
		t.Fatalf("got %s %+v, want %+v", c.Front, c.S3, want)
	}
	c, err = Load(setenv(t, map[string]string{"S3ARCHIVEFS_FRONT": "function_url", "S3ARCHIVEFS_KEYS_FILE": "/etc/keys.json",
		"S3ARCHIVEFS_BUCKET": "archives"}), noFile)
	if err != nil || c.S3.Bucket != "archives" || c.S3.RealBucket != "" || c.S3.KeysFile != "/etc/keys.json" {
		t.Fatalf("virtual only: %+v %v", c, err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"S3ARCHIVEFS_FRONT": "url"}, "S3ARCHIVEFS_FRONT=\"url\": must be object_lambda or function_url"},
		{map[string]string{"S3ARCHIVEFS_FRONT": "function_url", "S3ARCHIVEFS_BUCKET": "b12"}, "S3ARCHIVEFS_KEYS_SECRET_ARN (on Lambda) or S3ARCHIVEFS_KEYS_FILE is required"},
		{map[string]string{"S3ARCHIVEFS_FRONT": "function_url", "S3ARCHIVEFS_BUCKET": "b12", "S3ARCHIVEFS_KEYS_FILE": "/k", "S3ARCHIVEFS_KEYS_SECRET_ARN": arn}, "are both set"},
		{map[string]string{"S3ARCHIVEFS_FRONT": "function_url", "S3ARCHIVEFS_KEYS_FILE": "/k"}, "S3ARCHIVEFS_BUCKET (or S3ARCHIVEFS_REAL_BUCKET) is required"},
		{map[string]string{"S3ARCHIVEFS_FRONT": "function_url", "S3ARCHIVEFS_KEYS_FILE": "/k", "S3ARCHIVEFS_REAL_BUCKET": "My_Bucket"}, "S3ARCHIVEFS_BUCKET=\"My_Bucket\": not an S3 bucket name"},
		{map[string]string{"S3ARCHIVEFS_KEYS_REFRESH_INTERVAL": "0"}, "S3ARCHIVEFS_KEYS_REFRESH_INTERVAL=\"0\": must be positive"},
		{map[string]string{"S3ARCHIVEFS_KEYS_REFRESH_INTERVAL": "soon"}, "S3ARCHIVEFS_KEYS_REFRESH_INTERVAL"},
	} {
		if _, err := Load(setenv(t, tc.env), noFile); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.env, err, tc.want)
		}
	}
	// The Object Lambda front needs none of it, and keys set for it are
	// still checked (a typo in a value is never silently ignored).
	if _, err := Load(setenv(t, map[string]string{"S3ARCHIVEFS_KEYS_FILE": "/k"}), noFile); err != nil {
		t.Errorf("object_lambda with a keys file: %v", err)
	}
}
