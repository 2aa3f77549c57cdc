package main

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPackageIsDeterministic builds the function zip twice, into two
// directories, the way `make package` does: the bytes must be equal (so
// Terraform sees no change when nothing changed), and the zip must hold one
// executable file, bootstrap, at its root.
func TestPackageIsDeterministic(t *testing.T) {
	if _, err := exec.LookPath("zip"); err != nil {
		t.Skip("zip is not installed")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	var zips [][]byte
	for range 2 {
		dist := t.TempDir()
		target := filepath.Join(dist, "function-x86_64.zip")
		cmd := exec.Command("make", "--no-print-directory", "-C", root, "DIST="+dist, target)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
		b, err := os.ReadFile(target)
		if err != nil {
			t.Fatal(err)
		}
		zips = append(zips, b)
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Fatal("two builds of the same source gave different zips")
	}
	zr, err := zip.NewReader(bytes.NewReader(zips[0]), int64(len(zips[0])))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode()&0o111 == 0 {
		t.Fatalf("zip entries: %v (want one executable bootstrap)", names(zr))
	}
}

func names(zr *zip.Reader) []string {
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name+" "+f.Mode().String())
	}
	return out
}
