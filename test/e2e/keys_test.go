package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A second access key of the function URL front, allowed only some
// prefixes.
const (
	limitedAccessKey = "AKIALIMITED"
	limitedSecretKey = "limited-secret"
)

// keyFile is the keys document of the function URL front.
type keyFile struct {
	Keys []keyEntry `json:"keys"`
}

type keyEntry struct {
	ID       string   `json:"access_key_id"`
	Secret   string   `json:"secret_access_key"`
	Prefixes []string `json:"allow_prefixes"`
}

// writeKeys writes (or rewrites, atomically) the keys file in dir.
func writeKeys(t *testing.T, dir string, k keyFile) string {
	t.Helper()
	path := filepath.Join(dir, "keys.json")
	data, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}
