// Command vmapresolve prints, as JSON, the map vmap.FromEnv reads from its
// own environment, and what the function's whole configuration loading
// (config.Load, the same call bootstrap makes at init) says of that
// environment: its error, if any, and the S3ARCHIVEFS_* variables it does
// not know. The Terraform plan suite (test/terraform/plan) runs it on the
// planned function's environment, so that what Terraform renders and what
// the function reads cannot drift apart.
//
//	S3ARCHIVEFS_PREFIX_VMAP1='a|s3://b/k.sqfs' go run ./function/internal/vmap/cmd/vmapresolve [-ext-file local-copy]
//
// -ext-file is read in place of the object S3ARCHIVEFS_PREFIX_VMAP_EXT_FILE
// names (the plan holds its content; S3 is not reached).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/s3archivefs/s3archivefs/function/internal/config"
	"github.com/s3archivefs/s3archivefs/function/internal/vmap"
)

type output struct {
	ExtFileRead string            `json:"ext_file_read,omitempty"` // the name FromEnv asked for
	Entries     map[string]string `json:"entries"`                 // prefix → s3://bucket/key
	ConfigError string            `json:"config_error,omitempty"`  // config.Load's error
	Unknown     []string          `json:"unknown,omitempty"`       // variables config.Load does not know
	Front       string            `json:"front,omitempty"`         // the front config.Load chose
}

func main() {
	ext := flag.String("ext-file", "", "local file to read in place of the ext file")
	flag.Parse()
	var out output
	m, err := vmap.FromEnv(os.Getenv, func(name string) ([]byte, error) {
		out.ExtFileRead = name
		if *ext == "" {
			return nil, fmt.Errorf("no -ext-file given for %s", name)
		}
		return os.ReadFile(*ext)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmapresolve:", err)
		os.Exit(1)
	}
	out.Entries = map[string]string{}
	for _, e := range m.Entries() {
		out.Entries[e.Prefix] = "s3://" + e.Bucket + "/" + e.Key
	}
	cfg, err := config.Load(os.Environ(), func(name string) ([]byte, error) {
		if *ext == "" {
			return nil, fmt.Errorf("no -ext-file given for %s", name)
		}
		return os.ReadFile(*ext)
	})
	if err != nil {
		out.ConfigError = err.Error()
	} else {
		out.Unknown, out.Front = cfg.Unknown, cfg.Front
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "vmapresolve:", err)
		os.Exit(1)
	}
}
