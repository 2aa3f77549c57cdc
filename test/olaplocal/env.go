package olaplocal

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FunctionEnv is the environment Lambda gives the function as the
// project's Terraform configures it, pointed at local servers.
type FunctionEnv struct {
	Name     string // function name (default s3archivefs)
	MemoryMB int    // default 1024
	Region   string
	// AccessKeyID and SecretAccessKey stand for the function role.
	AccessKeyID, SecretAccessKey string
	// S3Endpoint is the S3 server the function reads archives from
	// (AWS_ENDPOINT_URL_S3); empty on AWS.
	S3Endpoint string
	// WGOREndpoint is where WriteGetObjectResponse goes
	// (S3ARCHIVEFS_WGOR_ENDPOINT_URL); empty on AWS.
	WGOREndpoint string
	// Binary is the bootstrap path; its directory is LAMBDA_TASK_ROOT.
	Binary string
	// Vars are more NAME=value pairs (S3ARCHIVEFS_* settings); they win
	// over everything above.
	Vars []string
}

// Environ renders the environment. It passes through the caller's
// S3ARCHIVEFS_* variables and LD_LIBRARY_PATH (where a local libsquashfs
// lives), as Terraform would set the former.
func (f FunctionEnv) Environ() []string {
	name := f.Name
	if name == "" {
		name = "s3archivefs"
	}
	mem := f.MemoryMB
	if mem <= 0 {
		mem = 1024
	}
	region := f.Region
	if region == "" {
		region = DefaultRegion
	}
	env := []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(mem),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local/[$LATEST]olaplocal",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_LEVEL=INFO",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=" + f.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + f.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"_HANDLER=bootstrap",
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
	}
	if f.Binary != "" {
		if abs, err := filepath.Abs(f.Binary); err == nil {
			env = append(env, "LAMBDA_TASK_ROOT="+filepath.Dir(abs))
		}
	}
	if f.S3Endpoint != "" {
		env = append(env, "AWS_ENDPOINT_URL_S3="+f.S3Endpoint, "S3ARCHIVEFS_S3_PATH_STYLE=true")
	}
	if f.WGOREndpoint != "" {
		env = append(env, "S3ARCHIVEFS_WGOR_ENDPOINT_URL="+f.WGOREndpoint)
	}
	if v, ok := os.LookupEnv("LD_LIBRARY_PATH"); ok {
		env = append(env, "LD_LIBRARY_PATH="+v)
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "S3ARCHIVEFS_") {
			env = append(env, kv)
		}
	}
	return mergeEnv(env, f.Vars)
}

// mergeEnv applies over (NAME=value) on top of base; later entries win.
func mergeEnv(base, over []string) []string {
	idx := map[string]int{}
	var out []string
	for _, kv := range append(append([]string(nil), base...), over...) {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[name]; ok {
			out[i] = kv
			continue
		}
		idx[name] = len(out)
		out = append(out, kv)
	}
	return out
}

// FunctionARN is the ARN Lambda would give the function.
func FunctionARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, name)
}
