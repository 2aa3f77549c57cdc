//go:build aws

// Package realaws applies the dev environment to a real AWS account under a
// unique name, uploads a fixture archive, reads it back through the Object
// Lambda access point with the SDK (GetObject, ranged GetObject,
// HeadObject, ListObjectsV2), compares bytes, and always destroys.
//
//	S3ARCHIVEFS_E2E_BUCKET=<existing bucket> S3ARCHIVEFS_E2E_REGION=eu-west-1 \
//	  make package && go test -tags aws -timeout 60m ./test/terraform/realaws/
//
// Optional: S3ARCHIVEFS_E2E_VPC=1 deploys with VPC, NAT and EFS (hourly
// costs while the test runs). Without AWS credentials, or without the
// bucket, the test skips with a message saying which.
package realaws

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/s3archivefs/s3archivefs/test/terraform/internal/tfenv"
)

// fixture is the archive's content: path → bytes.
var fixture = map[string][]byte{
	"README.txt":          []byte("s3archivefs end-to-end fixture\n"),
	"dir/small.txt":       []byte("hello from inside a squashfs archive\n"),
	"dir/sub/numbers.bin": bytes.Repeat([]byte("0123456789abcdef"), 64<<10), // 1 MiB, several blocks
}

func TestEndToEnd(t *testing.T) {
	bucket, region := os.Getenv("S3ARCHIVEFS_E2E_BUCKET"), os.Getenv("S3ARCHIVEFS_E2E_REGION")
	if bucket == "" || region == "" {
		t.Skip("skipping: set S3ARCHIVEFS_E2E_BUCKET (an existing bucket) and S3ARCHIVEFS_E2E_REGION to run against AWS")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err == nil {
		credCtx, credCancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = cfg.Credentials.Retrieve(credCtx)
		credCancel()
	}
	if err != nil {
		t.Skipf("skipping: no AWS credentials (%v)", err)
	}
	tf, err := tfenv.FindTerraform()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := tfenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, zip := range []string{"function-arm64.zip", "layer-arm64.zip"} {
		if _, err := os.Stat(filepath.Join(repo, "dist", zip)); err != nil {
			t.Fatalf("dist/%s missing: run `make package` first", zip)
		}
	}

	id := uniqueID(t)
	prefix := "e2e/" + id
	archiveKey := "s3archivefs-e2e/" + id + "/fixture.sqfs"
	client := s3.NewFromConfig(cfg)

	archive := buildArchive(t)
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &archiveKey, Body: bytes.NewReader(archive)}); err != nil {
		t.Fatalf("upload fixture archive: %v", err)
	}
	t.Cleanup(func() {
		if _, err := client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: &archiveKey}); err != nil {
			t.Errorf("delete fixture archive s3://%s/%s: %v", bucket, archiveKey, err)
		}
	})

	stack := tfenv.CopyStack(t, repo)
	dist := filepath.Join(filepath.Dir(stack), "dist")
	for _, zip := range []string{"function-arm64.zip", "layer-arm64.zip"} {
		buf, err := os.ReadFile(filepath.Join(repo, "dist", zip))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dist, zip), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A root of its own, shaped like environments/dev but named after the
	// run, so that concurrent runs and a real dev never collide.
	dir := filepath.Join(filepath.Dir(stack), "realaws")
	root := `terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "= 6.25.0"
    }
  }
}

variable "region" { type = string }
variable "name" { type = string }
variable "bucket_name" { type = string }
variable "prefix_vmap" { type = map(string) }
variable "enable_vpc" { type = bool }

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "s3archivefs", Environment = "realaws", ManagedBy = "terraform" }
  }
}

module "s3archivefs" {
  source = "../terraform/modules/stack"

  name              = var.name
  bucket_name       = var.bucket_name
  prefix_vmap       = var.prefix_vmap
  vmap_ext_bucket   = var.bucket_name
  function_zip_path = "${path.root}/../dist/function-arm64.zip"
  layer_zip_path    = "${path.root}/../dist/layer-arm64.zip"
  enable_vpc        = var.enable_vpc
}

output "object_lambda_access_point_arn" {
  value = module.s3archivefs.object_lambda_access_point_arn
}
`
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(root), 0o644); err != nil {
		t.Fatal(err)
	}
	vpc := os.Getenv("S3ARCHIVEFS_E2E_VPC") != ""
	vars := map[string]any{
		"name":        "s3archivefs-" + id,
		"region":      region,
		"bucket_name": bucket,
		"prefix_vmap": map[string]string{prefix: "s3://" + bucket + "/" + archiveKey},
		"enable_vpc":  vpc,
	}
	opts := &terraform.Options{TerraformBinary: tf, TerraformDir: dir, Vars: vars, NoColor: true}
	// Registered before apply: a half-applied stack is destroyed too.
	t.Cleanup(func() { terraform.Destroy(t, opts) })
	terraform.InitAndApply(t, opts)
	olap := terraform.Output(t, opts, "object_lambda_access_point_arn")

	t.Run("GetObject", func(t *testing.T) {
		for path, want := range fixture {
			got := get(ctx, t, client, olap, prefix+"/"+path, "")
			if !bytes.Equal(got, want) {
				t.Errorf("%s: got %d bytes, want %d (contents differ)", path, len(got), len(want))
			}
		}
	})
	t.Run("GetObject Range", func(t *testing.T) {
		want := fixture["dir/sub/numbers.bin"][100000:300001]
		got := get(ctx, t, client, olap, prefix+"/dir/sub/numbers.bin", "bytes=100000-300000")
		if !bytes.Equal(got, want) {
			t.Errorf("range: got %d bytes, want %d (contents differ)", len(got), len(want))
		}
	})
	t.Run("HeadObject", func(t *testing.T) {
		out, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &olap, Key: aws.String(prefix + "/dir/small.txt")})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToInt64(out.ContentLength), int64(len(fixture["dir/small.txt"])); got != want {
			t.Errorf("ContentLength = %d, want %d", got, want)
		}
	})
	t.Run("ListObjectsV2", func(t *testing.T) {
		var keys []string
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &olap, Prefix: aws.String(prefix + "/")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
		}
		var want []string
		for path := range fixture {
			want = append(want, prefix+"/"+path)
		}
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("keys = %q, want %q", keys, want)
		}
	})
}

func get(ctx context.Context, t *testing.T, client *s3.Client, olap, key, rng string) []byte {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: &olap, Key: &key}
	if rng != "" {
		in.Range = &rng
	}
	out, err := client.GetObject(ctx, in)
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer out.Body.Close()
	buf, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s: read: %v", key, err)
	}
	return buf
}

// buildArchive makes the fixture with mksquashfs (reproducibly).
func buildArchive(t *testing.T) []byte {
	t.Helper()
	src := t.TempDir()
	for path, data := range fixture {
		full := filepath.Join(src, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "fixture.sqfs")
	cmd := exec.Command("mksquashfs", src, out, "-noappend", "-no-progress", "-all-root", "-mkfs-time", "0", "-all-time", "0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			t.Fatalf("mksquashfs not found (apt-get install squashfs-tools): %v", err)
		}
		t.Fatalf("mksquashfs: %v\n%s", err, msg)
	}
	buf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

// uniqueID is a valid environment name: "e" and 7 hex digits.
func uniqueID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("e%s", strings.ToLower(hex.EncodeToString(b))[:7])
}
