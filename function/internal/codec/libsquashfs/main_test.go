package libsquashfs

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/s3archivefs/s3archivefs/layer"
)

// layerLib is the lib/ of the layer built for this run, extracted the way
// Lambda does it: the native engine under test is loaded from there, never
// from the system's libsquashfs.
var layerLib string

// fixtureDir holds the images the tests build, once per run.
var fixtureDir string

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(child())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "libsquashfs-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := extractLayer(dir); err != nil {
		fmt.Fprintln(os.Stderr, "libsquashfs tests need the layer:", err)
		return 1
	}
	layerLib = filepath.Join(dir, "opt", "lib")
	fixtureDir = filepath.Join(dir, "fixtures")
	return m.Run()
}

// extractLayer uses $S3ARCHIVEFS_LAYER_ZIP when set (make layer's output),
// else builds the layer for this machine with layer/build.sh.
func extractLayer(dir string) error {
	zipPath := os.Getenv("S3ARCHIVEFS_LAYER_ZIP")
	if zipPath == "" {
		arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
		if arch == "" {
			return fmt.Errorf("no Lambda layer for GOARCH %s", runtime.GOARCH)
		}
		zipPath = filepath.Join(dir, "layer.zip")
		cmd := exec.Command("../../../../layer/build.sh", arch, zipPath)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("layer/build.sh %s: %w\n%s", arch, err, log.String())
		}
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%s: %w", zipPath, err)
	}
	return layer.Extract(zr, filepath.Join(dir, "opt"))
}
