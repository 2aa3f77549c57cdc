package main

import (
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/s3archivefs/s3archivefs/image"
	"github.com/s3archivefs/s3archivefs/layer"
)

// TestPush pushes a small layout to an in-process registry (ECR is not
// reachable here) and reads it back by the digest push printed.
func TestPush(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	files := []image.File{{Path: "/var/runtime/bootstrap", Mode: 0o755, Data: []byte("#!/bin/true\n")}}
	img, err := image.Build(layer.ARM64, files, image.Meta{Version: "v1", Revision: "abc", Created: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	if err := image.WriteLayout(dir, "v1", img); err != nil {
		t.Fatal(err)
	}
	repo := strings.TrimPrefix(reg.URL, "http://") + "/s3archivefs"
	var out bytes.Buffer
	if err := run([]string{"push", "-layout", dir, "-ref", repo + ":v1-arm64"}, strings.NewReader("secret\n"), &out); err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != repo+"@"+want.String() {
		t.Fatalf("push printed %q, want %s@%s", got, repo, want)
	}
	ref, err := name.NewTag(repo + ":v1-arm64")
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := pulled.Digest(); err != nil || d != want {
		t.Fatalf("registry holds %v (%v), want %s", d, err, want)
	}

	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"no password", []string{"push", "-layout", dir, "-ref", repo + ":x"}, "", "no registry password"},
		{"no tag", []string{"push", "-layout", dir, "-ref", repo}, "pw", "-ref"},
		{"no layout", []string{"push", "-layout", t.TempDir(), "-ref", repo + ":x"}, "pw", "image:"},
		{"unknown command", []string{"pull"}, "", `unknown command "pull"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, strings.NewReader(tt.stdin), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
