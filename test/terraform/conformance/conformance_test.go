// Package conformance proves that the offline stand-in makes Terraform
// check configurations as the real hashicorp/aws would: for every resource
// and data source type the stack uses, a small valid configuration
// (testdata/valid) validates and plans cleanly, and broken copies of it each
// fail `terraform validate` with Terraform's own error.
package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/s3archivefs/s3archivefs/test/terraform/internal/tfenv"
)

// mutation turns a valid configuration into a broken one.
type mutation struct {
	file            string // testdata/valid/<file>.tf
	kind            string
	from, to        string // exact text, replaced once
	summary, detail string // the diagnostic Terraform must report
}

func misspelled(file, arg string) mutation {
	return mutation{file, "misspelled", "\n  " + arg + " ", "\n  " + arg + "_typo ",
		"Unsupported argument", fmt.Sprintf("An argument named %q is not expected here.", arg+"_typo")}
}

func missing(file, arg, line string) mutation {
	return mutation{file, "missing", line, "",
		"Missing required argument", fmt.Sprintf("The argument %q is required, but no definition was found.", arg)}
}

func notAList(file, arg, list, collection string) mutation {
	return mutation{file, "not_a_list", list, `"not-a-list"`,
		"Incorrect attribute value type", fmt.Sprintf("Inappropriate value for attribute %q: %s of string required.", arg, collection)}
}

func blockAsArgument(file, block string) mutation {
	return mutation{file, "block_as_argument", "\n  " + block + " {", "\n  " + block + " = {",
		"Unsupported argument", fmt.Sprintf("An argument named %q is not expected here. Did you mean to define a block of type %q?", block, block)}
}

func argumentAsBlock(file, arg, from, to string) mutation {
	return mutation{file, "argument_as_block", from, to,
		"Unsupported block type", fmt.Sprintf("Blocks of type %q are not expected here. Did you mean to define argument %q?", arg, arg)}
}

var mutations = []mutation{
	misspelled("aws_vpc", "cidr_block"),
	argumentAsBlock("aws_vpc", "tags", `tags                 = {`, `tags {`),
	misspelled("aws_subnet", "availability_zone"),
	missing("aws_subnet", "vpc_id", `vpc_id            = "vpc-0123456789abcdef0"`),
	misspelled("aws_internet_gateway", "vpc_id"),
	misspelled("aws_eip", "domain"),
	misspelled("aws_nat_gateway", "allocation_id"),
	missing("aws_route_table", "vpc_id", `vpc_id = "vpc-0123456789abcdef0"`),
	missing("aws_route", "route_table_id", `route_table_id         = "rtb-0123456789abcdef0"`),
	misspelled("aws_route", "nat_gateway_id"),
	missing("aws_route_table_association", "route_table_id", `route_table_id = "rtb-0123456789abcdef0"`),
	notAList("aws_vpc_endpoint", "route_table_ids", `["rtb-0123456789abcdef0"]`, "set"),
	missing("aws_vpc_endpoint", "vpc_id", `vpc_id            = "vpc-0123456789abcdef0"`),
	misspelled("aws_flow_log", "traffic_type"),
	misspelled("aws_efs_file_system", "throughput_mode"),
	blockAsArgument("aws_efs_file_system", "lifecycle_policy"),
	missing("aws_efs_mount_target", "subnet_id", `subnet_id       = "subnet-0123456789abcdef0"`),
	notAList("aws_efs_mount_target", "security_groups", `["sg-0123456789abcdef0"]`, "set"),
	missing("aws_efs_access_point", "file_system_id", `file_system_id = "fs-0123456789abcdef0"`),
	blockAsArgument("aws_efs_access_point", "posix_user"),
	misspelled("aws_security_group", "description"),
	misspelled("aws_default_security_group", "vpc_id"),
	missing("aws_vpc_security_group_ingress_rule", "ip_protocol", `ip_protocol                  = "tcp"`),
	misspelled("aws_vpc_security_group_ingress_rule", "referenced_security_group_id"),
	missing("aws_vpc_security_group_egress_rule", "security_group_id", `security_group_id = "sg-0123456789abcdef0"`),
	missing("aws_lambda_layer_version", "layer_name", `layer_name               = "libsquashfs"`),
	notAList("aws_lambda_layer_version", "compatible_runtimes", `["provided.al2023"]`, "set"),
	misspelled("aws_lambda_function", "memory_size"),
	missing("aws_lambda_function", "role", `role             = "arn:aws:iam::123456789012:role/fn"`),
	notAList("aws_lambda_function", "layers", `["arn:aws:lambda:eu-west-1:123456789012:layer:libsquashfs:1"]`, "list"),
	blockAsArgument("aws_lambda_function", "environment"),
	argumentAsBlock("aws_lambda_function", "architectures", `architectures    = ["arm64"]`, `architectures {}`),
	missing("aws_lambda_permission", "principal", `principal     = "s3-object-lambda.amazonaws.com"`),
	missing("aws_iam_role", "assume_role_policy", `assume_role_policy = jsonencode({`+"\n"+`    Version = "2012-10-17"`+"\n"+`    Statement = [{`+"\n"+`      Effect    = "Allow"`+"\n"+`      Action    = "sts:AssumeRole"`+"\n"+`      Principal = { Service = "lambda.amazonaws.com" }`+"\n"+`    }]`+"\n"+`  })`),
	misspelled("aws_iam_role_policy", "role"),
	misspelled("aws_cloudwatch_log_group", "retention_in_days"),
	blockAsArgument("aws_cloudwatch_log_metric_filter", "metric_transformation"),
	missing("aws_cloudwatch_log_metric_filter", "pattern", `pattern        = "{ $.cache_hits = * }"`),
	missing("aws_cloudwatch_metric_alarm", "evaluation_periods", `evaluation_periods  = 1`),
	notAList("aws_cloudwatch_metric_alarm", "alarm_actions", `["arn:aws:sns:eu-west-1:123456789012:ops"]`, "set"),
	missing("aws_cloudwatch_dashboard", "dashboard_body", `dashboard_body = jsonencode({ widgets = [] })`),
	blockAsArgument("aws_s3_access_point", "public_access_block_configuration"),
	missing("aws_s3_access_point", "bucket", `bucket = "my-archives"`),
	missing("aws_s3_bucket_policy", "policy", `policy = jsonencode({`+"\n"+`    Version   = "2012-10-17"`+"\n"+`    Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "*", Resource = "arn:aws:s3:::my-archives/*" }]`+"\n"+`  })`),
	misspelled("aws_s3_object", "content_type"),
	notAList("aws_s3control_object_lambda_access_point", "allowed_features", `["GetObject-Range", "GetObject-PartNumber"]`, "set"),
	misspelled("aws_s3control_object_lambda_access_point", "name"),
	missing("aws_s3control_object_lambda_access_point_policy", "name", `name = "conformance"`),
	missing("aws_s3control_access_point_policy", "access_point_arn", `access_point_arn = "arn:aws:s3:eu-west-1:123456789012:accesspoint/conformance-src"`),
	misspelled("data_aws_availability_zones", "state"),
	missing("aws_efs_file_system_policy", "file_system_id", `file_system_id = "fs-0123456789abcdef0"`),
	misspelled("aws_sns_topic", "kms_master_key_id"),
	missing("aws_lambda_function_url", "authorization_type", `authorization_type = "NONE"`),
	misspelled("aws_lambda_function_url", "invoke_mode"),
	misspelled("aws_secretsmanager_secret", "recovery_window_in_days"),
	blockAsArgument("aws_ecr_repository", "image_scanning_configuration"),
	misspelled("aws_ecr_repository", "image_tag_mutability"),
	missing("aws_ecr_lifecycle_policy", "repository", `repository = "s3archivefs-conformance"`),
	missing("aws_ecr_repository_policy", "repository", `repository = "s3archivefs-conformance"`),
	missing("data_aws_servicequotas_service_quota", "service_code", `service_code = "lambda"`),
	missing("data_aws_iam_policy_document", "test", `test     = "StringEquals"`),
}

// validate runs init and `validate -json` in dir and returns the diagnostics.
func validate(t *testing.T, env *tfenv.Env, dir string) (bool, []diagnostic) {
	t.Helper()
	if out, err := env.Run(dir, "init", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	out, _ := env.Run(dir, "validate", "-json", "-no-color")
	var res struct {
		Valid       bool         `json:"valid"`
		Diagnostics []diagnostic `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("terraform validate -json: %v\n%s", err, out)
	}
	return res.Valid, res.Diagnostics
}

type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Range    struct {
		Filename string `json:"filename"`
	} `json:"range"`
}

func copyValid(t *testing.T, dir string, only func(name string) bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/valid/*.tf: %v", err)
	}
	for _, f := range files {
		if !only(filepath.Base(f)) {
			continue
		}
		buf, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConformance validates and plans every valid configuration together,
// then validates every broken copy together and checks that each broken
// file carries exactly its expected error.
func TestConformance(t *testing.T) {
	env := tfenv.Setup(t)

	valid := t.TempDir()
	copyValid(t, valid, func(string) bool { return true })
	ok, diags := validate(t, env, valid)
	if !ok || len(diags) != 0 {
		t.Fatalf("valid configurations do not validate cleanly: %+v", diags)
	}
	if out, err := env.Run(valid, "plan", "-input=false", "-no-color", "-lock=false"); err != nil {
		t.Fatalf("valid configurations do not plan: %v\n%s", err, out)
	}

	broken := t.TempDir()
	copyValid(t, broken, func(name string) bool { return name == "providers.tf" })
	label := regexp.MustCompile(`^((?:resource|data) "\w+") "this"`)
	for _, m := range mutations {
		src, err := os.ReadFile(filepath.Join("testdata", "valid", m.file+".tf"))
		if err != nil {
			t.Fatalf("%s: %v", m.file, err)
		}
		text := string(src)
		if n := strings.Count(text, m.from); n != 1 {
			t.Fatalf("%s/%s: %q occurs %d times, want once", m.file, m.kind, m.from, n)
		}
		text = label.ReplaceAllString(strings.Replace(text, m.from, m.to, 1), `$1 "`+m.kind+`"`)
		if err := os.WriteFile(filepath.Join(broken, m.file+"__"+m.kind+".tf"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ok, diags = validate(t, env, broken)
	if ok {
		t.Fatal("broken configurations validated")
	}
	byFile := map[string][]diagnostic{}
	for _, d := range diags {
		byFile[d.Range.Filename] = append(byFile[d.Range.Filename], d)
	}
	for _, m := range mutations {
		file := m.file + "__" + m.kind + ".tf"
		t.Run(strings.TrimSuffix(file, ".tf"), func(t *testing.T) {
			got := byFile[file]
			delete(byFile, file)
			// A misspelled required argument is also reported missing, a
			// required block written as an argument also too few blocks:
			// the expected error must be among the file's errors.
			found := false
			for _, d := range got {
				found = found || d.Severity == "error" && d.Summary == m.summary && strings.Contains(d.Detail, m.detail)
			}
			if !found {
				t.Errorf("want error %q: %q; got %+v", m.summary, m.detail, got)
			}
		})
	}
	for file, ds := range byFile {
		t.Errorf("unexpected diagnostics in %s: %+v", file, ds)
	}
}

// TestCoversStack fails when terraform/ uses a resource or data source type
// that has no valid configuration here, or that no broken copy exercises.
func TestCoversStack(t *testing.T) {
	env := tfenv.Setup(t)
	used := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^(resource|data) "(aws_\w+)"`)
	err := filepath.WalkDir(filepath.Join(env.Repo, "terraform"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return err
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(buf), -1) {
			name := m[2]
			if m[1] == "data" {
				name = "data_" + name
			}
			used[name] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) == 0 {
		t.Fatal("terraform/ declares no aws resources")
	}
	mutated := map[string]bool{}
	for _, m := range mutations {
		mutated[m.file] = true
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := os.Stat(filepath.Join("testdata", "valid", n+".tf")); err != nil {
			t.Errorf("terraform/ uses %s: add testdata/valid/%s.tf", n, n)
		}
		if !mutated[n] && n != "data_aws_caller_identity" && n != "data_aws_partition" && n != "data_aws_region" {
			t.Errorf("terraform/ uses %s: add a broken copy to the mutations table", n)
		}
	}
}
