// Command layertool assembles and checks the libsquashfs Lambda layer zip.
//
//	layertool build -arch arm64 -root STAGING -base layer/al2023-base-libs.txt -o dist/layer-arm64.zip
//	layertool check -arch arm64 -base layer/al2023-base-libs.txt dist/layer-arm64.zip
//
// build walks the DT_NEEDED graph of libsquashfs.so.1 inside STAGING (where
// layer/build.sh extracted the Debian packages), writes the zip atomically and
// checks it; check only checks.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/s3archivefs/s3archivefs/layer"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "layertool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: layertool build|check [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	archName := fs.String("arch", "", "arm64 or x86_64")
	basePath := fs.String("base", "layer/al2023-base-libs.txt", "SONAMEs the runtime provides")
	root := fs.String("root", "", "build: directory holding the extracted Debian packages")
	out := fs.String("o", "", "build: output zip")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	arch, err := layer.ParseArch(*archName)
	if err != nil {
		return err
	}
	bf, err := os.Open(*basePath)
	if err != nil {
		return err
	}
	base, err := layer.ReadBaseLibs(bf)
	bf.Close()
	if err != nil {
		return err
	}
	switch args[0] {
	case "build":
		if *root == "" || *out == "" || fs.NArg() != 0 {
			return errors.New("usage: layertool build -arch A -root DIR -o OUT.zip")
		}
		return build(*root, *out, arch, base)
	case "check":
		if fs.NArg() != 1 {
			return errors.New("usage: layertool check -arch A ZIP")
		}
		data, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		return check(data, arch, base)
	}
	return fmt.Errorf("unknown command %q (want build or check)", args[0])
}

func build(root, out string, arch layer.Arch, base layer.BaseLibs) error {
	files, err := layer.Collect(root, arch, base)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := layer.WriteZip(&buf, files); err != nil {
		return err
	}
	if err := check(buf.Bytes(), arch, base); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Printf("%s\t%d\tsha256:%x\n", f.Name, len(f.Data), sha256.Sum256(f.Data))
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".layer-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Printf("%s\t%d\tsha256:%x\n", out, buf.Len(), sha256.Sum256(buf.Bytes()))
	return nil
}

func check(data []byte, arch layer.Arch, base layer.BaseLibs) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("not a zip: %w", err)
	}
	return layer.Check(zr, arch, base)
}
