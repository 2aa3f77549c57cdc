// Command imagetool builds the function's OCI image without a container
// engine, and pushes it.
//
//	imagetool build -arch arm64 -debroot DIR -layer dist/layer-arm64.zip \
//	    -bootstrap dist/bootstrap-arm64/bootstrap -cli dist/s3archivefs-arm64 \
//	    -version V -revision R -created UNIX -o dist/image-arm64
//	imagetool push -layout dist/image-arm64 -ref ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG < password
//
// build prints the image's digest and sizes; push reads the registry
// password (for ECR: `aws ecr get-login-password`) from stdin and prints
// REPOSITORY@DIGEST, the URI Lambda's image_uri takes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/s3archivefs/s3archivefs/image"
	"github.com/s3archivefs/s3archivefs/layer"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "imagetool:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: imagetool build|push [flags]")
	}
	switch args[0] {
	case "build":
		return build(args[1:], stdout)
	case "push":
		return push(args[1:], stdin, stdout)
	}
	return fmt.Errorf("unknown command %q (want build or push)", args[0])
}

func build(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	archName := fs.String("arch", "", "arm64 or x86_64")
	debRoot := fs.String("debroot", "", "directory where libc6 and ca-certificates were extracted")
	layerZip := fs.String("layer", "", "the layer zip")
	bootstrap := fs.String("bootstrap", "", "bootstrap built for -arch")
	cli := fs.String("cli", "", "the s3archivefs CLI built for -arch")
	version := fs.String("version", "", "image version label")
	revision := fs.String("revision", "", "source revision label")
	created := fs.Int64("created", 0, "creation time, Unix seconds (SOURCE_DATE_EPOCH)")
	out := fs.String("o", "", "output OCI layout directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *debRoot == "" || *layerZip == "" || *bootstrap == "" || *cli == "" || *out == "" || fs.NArg() != 0 {
		return errors.New("usage: imagetool build -arch A -debroot DIR -layer ZIP -bootstrap FILE -cli FILE -version V -revision R [-created UNIX] -o DIR")
	}
	arch, err := layer.ParseArch(*archName)
	if err != nil {
		return err
	}
	in := image.Inputs{Arch: arch, DebRoot: *debRoot}
	for _, r := range []struct {
		path string
		dst  *[]byte
	}{{*layerZip, &in.LayerZip}, {*bootstrap, &in.Bootstrap}, {*cli, &in.CLI}} {
		if *r.dst, err = os.ReadFile(r.path); err != nil {
			return err
		}
	}
	files, err := image.RootFS(in)
	if err != nil {
		return err
	}
	img, err := image.Build(arch, files, image.Meta{Version: *version, Revision: *revision, Created: time.Unix(*created, 0)})
	if err != nil {
		return err
	}
	if err := image.WriteLayout(*out, *version, img); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	size, err := image.CompressedSize(img)
	if err != nil {
		return err
	}
	var unpacked int64
	for _, f := range files {
		unpacked += int64(len(f.Data))
	}
	fmt.Fprintf(stdout, "%s\t%s\t%s\tcompressed %d bytes, unpacked %d bytes, %d entries\n", *out, "linux/"+image.Platform(arch), digest, size, unpacked, len(files))
	return nil
}

func push(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	dir := fs.String("layout", "", "OCI layout written by build")
	ref := fs.String("ref", "", "REPOSITORY:TAG to push to")
	user := fs.String("username", "AWS", "registry user (ECR: AWS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *ref == "" || fs.NArg() != 0 {
		return errors.New("usage: imagetool push -layout DIR -ref REPOSITORY:TAG < password")
	}
	tag, err := name.NewTag(*ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-ref: %w", err)
	}
	pw, err := io.ReadAll(io.LimitReader(stdin, 64<<10))
	if err != nil {
		return err
	}
	password := strings.TrimSpace(string(pw))
	if password == "" {
		return errors.New("no registry password on stdin (for ECR: aws ecr get-login-password | imagetool push ...)")
	}
	img, err := image.ReadLayout(*dir)
	if err != nil {
		return err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: *user, Password: password})
	if err := remote.Write(tag, img, remote.WithAuth(auth)); err != nil {
		return fmt.Errorf("pushing %s: %w", tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s@%s\n", tag.Context().Name(), digest)
	return nil
}
